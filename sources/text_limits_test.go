package sources

import (
	"bytes"
	"cmp"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// readText opens data as a CSV (name f.csv) or JSON Lines (f.jsonl) input,
// reads every unit and returns the first error.
func readText(t *testing.T, jsonl bool, data []byte, opts CSVOptions) error {
	t.Helper()
	var src FileSource
	var err error
	if jsonl {
		src, err = fileSource(OpenJSONL("f.jsonl", bytes.NewReader(data), int64(len(data)), JSONLOptions{}))
	} else {
		src, err = fileSource(OpenCSV("f.csv", bytes.NewReader(data), int64(len(data)), opts))
	}
	if err != nil {
		return err
	}
	defer src.Close()
	for i := range src.NumUnits() {
		if err := src.ReadUnit(t.Context(), i, 100, func([]parquet.Row) error { return nil }); err != nil {
			return err
		}
	}
	return nil
}

// wideCSV returns a record of n fields "c0,c1,...".
func wideCSV(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("c" + strconv.Itoa(i))
	}
	return b.String()
}

// wideJSON returns a JSON object with n keys.
func wideJSON(n int) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":1`)
	}
	b.WriteByte('}')
	return b.String()
}

// TestTextLimits checks the documented limits of text inputs: more than
// MaxColumns columns, and a record longer than MaxRecordBytes (lowered
// to 4 KiB but for the wide records), are InputErrors wrapping ErrUnsupported that name the
// line, not a usage error later or an unbounded allocation.
func TestTextLimits(t *testing.T) {
	old := maxRecordBytes
	defer func() { maxRecordBytes = old }()
	long := strings.Repeat("x", 4<<10+1)
	fits := strings.Repeat("x", 4<<10-3) // with its quotes and LF, exactly the limit
	for _, tc := range []struct {
		name     string
		limit    int64 // the record limit; 0: MaxRecordBytes
		jsonl    bool
		data     string
		opts     CSVOptions
		wantLine int64  // 0: no error
		want     string // in the message
	}{
		{"csv header too wide", 0, false, wideCSV(MaxColumns+1) + "\n", CSVOptions{}, 1, "65536 columns, more than the 65535"},
		{"csv first record too wide", 0, false, "\n" + wideCSV(MaxColumns+1) + "\n", CSVOptions{NoHeader: true}, 2, "65536 columns"},
		{"csv widest header", 0, false, wideCSV(MaxColumns) + "\n", CSVOptions{}, 0, ""},
		{"jsonl too many keys", 0, true, `{"a":1}` + "\n" + wideJSON(MaxColumns+1) + "\n", CSVOptions{}, 2, "65536 columns"},
		{"csv long field", 4 << 10, false, "a,b\n1,2\n\n\"" + long + "\",3\n4,5\n", CSVOptions{}, 4, "more than 4096 bytes"},
		{"csv long header", 4 << 10, false, long + "\n1\n", CSVOptions{}, 1, "more than 4096 bytes"},
		{"csv long multi-line field", 4 << 10, false, "a\n\"" + strings.Repeat("x\n", 3000) + "\"\n", CSVOptions{}, 2, "more than 4096 bytes"},
		{"csv field at the limit", 4 << 10, false, "a\n\"" + fits + "\"\n", CSVOptions{}, 0, ""},
		{"jsonl long line", 4 << 10, true, `{"a":"x"}` + "\n" + `{"a":"` + long + `"}` + "\n", CSVOptions{}, 2, "more than 4096 bytes"},
		{"jsonl long last line", 4 << 10, true, `{"a":"x"}` + "\n" + `{"a":"` + long + `"}`, CSVOptions{}, 2, "more than 4096 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			maxRecordBytes = cmp.Or(tc.limit, MaxRecordBytes)
			err := readText(t, tc.jsonl, []byte(tc.data), tc.opts)
			if tc.wantLine == 0 {
				if err != nil {
					t.Fatalf("got %v, want no error", err)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, ErrUnsupported) || ie.Line != tc.wantLine || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an ErrUnsupported InputError at line %d saying %q", err, tc.wantLine, tc.want)
			}
			if len(err.Error()) > 200 {
				t.Fatalf("message of %d bytes: %.200s...", len(err.Error()), err)
			}
		})
	}
}

// TestTextLongRecordMemory checks that a field far longer than the limit
// is refused after reading about the limit, not the whole field: a 16 MiB
// field costs well under 16 MiB of allocations with a 64 KiB limit.
func TestTextLongRecordMemory(t *testing.T) {
	old := maxRecordBytes
	maxRecordBytes = 64 << 10
	defer func() { maxRecordBytes = old }()
	field := strings.Repeat("y", 16<<20)
	for _, tc := range []struct {
		name  string
		jsonl bool
		data  []byte
	}{
		{"csv", false, []byte("a\n\"" + field + "\"\n")},
		{"jsonl", true, []byte(`{"a":"` + field + `"}` + "\n")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			err := readText(t, tc.jsonl, tc.data, CSVOptions{})
			runtime.ReadMemStats(&after)
			if !errors.Is(err, ErrUnsupported) {
				t.Fatalf("got %v, want the record refused", err)
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 4<<20 {
				t.Fatalf("refusing a 16 MiB field allocated %d bytes", got)
			}
		})
	}
}
