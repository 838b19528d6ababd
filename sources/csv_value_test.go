package sources

import (
	"strings"
	"testing"
)

// TestTypeMismatch checks the message of a CSV field or JSON value that
// does not fit its column: quoted or as written, cut to 40 bytes without
// splitting a UTF-8 sequence, the article of the type, the reason.
func TestTypeMismatch(t *testing.T) {
	long := strings.Repeat("x", 39) + "éz" // é straddles byte 40
	tests := []struct {
		name  string
		text  string
		quote bool
		typ   CSVType
		why   string
		want  string
	}{
		{"csv field", "three", true, CSVInt64, "", `"three" is not an int64`},
		{"json value", `"three"`, false, CSVDouble, "", `"three" is not a double`},
		{"reason", "noon", true, CSVTimestamp, "want RFC 3339", `"noon" is not a timestamp (want RFC 3339)`},
		{"40 bytes kept whole", strings.Repeat("y", 40), true, CSVBool, "", `"` + strings.Repeat("y", 40) + `" is not a bool`},
		{"cut in a rune", long, true, CSVDate, "", `"` + strings.Repeat("x", 39) + `..." is not a date`},
		{"cut unquoted", strings.Repeat("7", 45), false, CSVBool, "", strings.Repeat("7", 40) + "... is not a bool"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := typeMismatch(tc.text, tc.quote, tc.typ, tc.why); got != tc.want {
				t.Errorf("typeMismatch(%q, %v, %v, %q) = %s, want %s", tc.text, tc.quote, tc.typ, tc.why, got, tc.want)
			}
		})
	}
}
