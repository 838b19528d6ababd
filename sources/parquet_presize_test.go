package sources_test

import (
	"bytes"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
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

// A fixed-width column gets its memory at its first page: all its chunk's
// values when the page proves them or they are within the limit, else
// twice what it had (or the limit), never less than the page needs, and a
// column with room keeps its memory and values.
func TestRoomFixed(t *testing.T) {
	tests := []struct {
		name        string
		width       int
		len, cap    int // bytes held and their capacity
		rows        int // the page's
		want, limit int64
		wantCap     int
		sameMemory  bool
	}{
		{"one page per chunk, above the limit", 8, 0, 0, 1000, 1000, 1 << 10, 8000, false},
		{"first of many pages, within the limit", 8, 0, 0, 100, 1000, 1 << 20, 8000, false},
		{"first of many pages, above the limit", 8, 0, 0, 100, 100000, 1 << 12, 1 << 12, false},
		{"later page doubles", 8, 4096, 4096, 100, 100000, 1 << 12, 8192, false},
		{"later page above double", 8, 4096, 4096, 2000, 100000, 1 << 12, 4096 + 16000, false},
		{"doubling capped at the chunk", 8, 4096, 4096, 100, 700, 1 << 12, 5600, false},
		{"a footer promising too many rows", 4, 0, 0, 10, 1 << 40, 1 << 20, 1 << 20, false},
		{"room enough", 4, 40, 4000, 10, 1000, 1 << 20, 4000, true},
		{"byte arrays", 0, 0, 0, 10, 1000, 1 << 20, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			col := &columnar.Column{Type: columnar.Type{Kind: parquet.Int64, Width: tc.width}}
			if tc.width == 0 {
				col.Kind = parquet.ByteArray
			}
			if tc.cap > 0 {
				col.Fixed = make([]byte, tc.len, tc.cap)
				for k := range col.Fixed {
					col.Fixed[k] = byte(k)
				}
			}
			old := col.Fixed
			sources.RoomFixed(col, tc.rows, tc.want, tc.limit)
			if cap(col.Fixed) != tc.wantCap || len(col.Fixed) != tc.len {
				t.Fatalf("len %d cap %d, want %d and %d", len(col.Fixed), cap(col.Fixed), tc.len, tc.wantCap)
			}
			if same := cap(old) > 0 && &col.Fixed[:1][0] == &old[:1][0]; tc.cap > 0 && same != tc.sameMemory {
				t.Fatalf("kept its memory: %v, want %v", same, tc.sameMemory)
			}
			if !bytes.Equal(col.Fixed, old[:tc.len]) {
				t.Fatal("values held changed")
			}
		})
	}
}
