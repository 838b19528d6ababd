package sources_test

import (
	"testing"

	"github.com/splitdata/splitdata/sources"
)

// A batch's column reused for the next unit keeps its memory when it is
// large enough; when it falls short its replacement has an eighth to
// spare, within the presize limit, so that the next unit of about the
// same size fits; a new column gets exactly what it asks.
func TestReserve(t *testing.T) {
	tests := []struct {
		name     string
		cap      int
		n, most  int64
		want     int  // capacity
		sameData bool // s's own memory
	}{
		{"new", 0, 800, 1 << 20, 800, false},
		{"reused, large enough", 1000, 800, 1 << 20, 1000, true},
		{"reused, exactly", 800, 800, 1 << 20, 800, true},
		{"reused, short", 700, 800, 1 << 20, 900, false},
		{"reused, short, near the limit", 700, 800, 850, 850, false},
		{"reused, short, at the limit", 700, 800, 800, 800, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var s []byte
			if tc.cap > 0 {
				s = make([]byte, 5, tc.cap)
			}
			got := sources.Reserve(s, tc.n, tc.most)
			if len(got) != 0 || cap(got) != tc.want {
				t.Fatalf("len %d cap %d, want 0 and %d", len(got), cap(got), tc.want)
			}
			if same := tc.cap > 0 && cap(got) > 0 && &got[:1][0] == &s[:1][0]; same != tc.sameData {
				t.Fatalf("reused s's memory: %v, want %v", same, tc.sameData)
			}
		})
	}
}
