package columnar_test

import (
	"errors"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// TestChunkReadTooLarge gathers picked byte arrays around the most a
// chunk's offsets address (lowered for the test): at the limit they are
// read, above it Read fails with ErrTooLarge and leaves an empty chunk,
// and the chunk reads again after. Rows read in place, rows viewed
// (ReadView), and fixed-width columns, are not counted.
func TestChunkReadTooLarge(t *testing.T) {
	defer columnar.SetChunkMaxBytes(10)()
	layout := columnar.Layout{{Kind: parquet.ByteArray, MaxDef: 1}, {Kind: parquet.Int64, Width: 8}}
	b := columnar.New(layout, 3)
	for _, v := range []string{"abcd", "ef", "ghijkl"} {
		if err := b.Cols[0].AppendValue(parquet.ByteArrayValue([]byte(v)).Level(0, 1, 0)); err != nil {
			t.Fatal(err)
		}
		if err := b.Cols[1].AppendValue(parquet.Int64Value(int64(len(v))).Level(0, 0, 1)); err != nil {
			t.Fatal(err)
		}
		b.Len++
	}
	other := columnar.New(layout, 1)
	if err := other.Cols[0].AppendValue(parquet.ByteArrayValue([]byte("mnopqrstu")).Level(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	if err := other.Cols[1].AppendValue(parquet.Int64Value(9).Level(0, 0, 1)); err != nil {
		t.Fatal(err)
	}
	other.Len++
	pick := columnar.NewPick([]*columnar.Batch{b, other}, []columnar.Ref{
		{Batch: 0, Row: 0}, {Batch: 0, Row: 2}, {Batch: 0, Row: 0}, {Batch: 1, Row: 0}, {Batch: 0, Row: 1},
	})
	tests := []struct {
		name    string
		rows    columnar.Rows
		c       int
		lo, hi  int
		want    []string // nil: ErrTooLarge
		wantN   int
		tooMuch bool
		view    bool
	}{
		{name: "at the limit", rows: pick, lo: 0, hi: 2, want: []string{"abcd", "ghijkl"}, wantN: 2},
		{name: "above the limit", rows: pick, lo: 0, hi: 3, tooMuch: true},
		{name: "above, two batches", rows: pick, lo: 2, hi: 5, tooMuch: true},
		{name: "under it again", rows: pick, lo: 3, hi: 4, want: []string{"mnopqrstu"}, wantN: 1},
		{name: "in place, not counted", rows: b, lo: 0, hi: 3, want: []string{"abcd", "ef", "ghijkl"}, wantN: 3},
		{name: "fixed width, not counted", rows: pick, c: 1, lo: 0, hi: 5, wantN: 5},
		{name: "viewed, not counted", rows: pick, lo: 0, hi: 5, want: []string{"abcd", "ghijkl", "abcd", "mnopqrstu", "ef"}, wantN: 5, view: true},
		{name: "gathered after a view", rows: pick, lo: 2, hi: 5, tooMuch: true},
	}
	var ch columnar.Chunk
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if tc.view {
				ch.ReadView(tc.rows, tc.c, tc.lo, tc.hi)
			} else {
				err = ch.Read(tc.rows, tc.c, tc.lo, tc.hi)
			}
			if tc.tooMuch {
				if !errors.Is(err, columnar.ErrTooLarge) {
					t.Fatalf("error %v, want ErrTooLarge", err)
				}
				if ch.N != 0 {
					t.Fatalf("%d rows left in the chunk after the error", ch.N)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ch.N != tc.wantN {
				t.Fatalf("%d rows, want %d", ch.N, tc.wantN)
			}
			for k, v := range tc.want {
				if got := string(ch.Value(k)); got != v {
					t.Errorf("row %d: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestChunkRelease views picked byte arrays, releases the chunk, and
// checks that it then holds no view of the batches and no rows, and
// that it reads again after.
func TestChunkRelease(t *testing.T) {
	layout := columnar.Layout{{Kind: parquet.ByteArray}}
	b := columnar.New(layout, 4)
	for _, v := range []string{"a", "bc", "def", "ghij"} {
		if err := b.Cols[0].AppendValue(parquet.ByteArrayValue([]byte(v))); err != nil {
			t.Fatal(err)
		}
		b.Len++
	}
	pick := columnar.NewPick([]*columnar.Batch{b}, []columnar.Ref{{Row: 3}, {Row: 1}, {Row: 2}})
	var ch columnar.Chunk
	ch.ReadView(pick, 0, 0, 3)
	ch.ReadView(pick, 0, 1, 2) // a shorter read leaves older views behind
	if got := columnar.ViewsHeld(&ch); got != 3 {
		t.Fatalf("%d views held after two reads, want 3", got)
	}
	ch.Release()
	if got := columnar.ViewsHeld(&ch); got != 0 || ch.N != 0 || ch.Bytes != nil {
		t.Fatalf("after Release: %d views held, %d rows, bytes %q", got, ch.N, ch.Bytes)
	}
	ch.ReadView(pick, 0, 0, 3)
	for k, want := range []string{"ghij", "bc", "def"} {
		if got := string(ch.Value(k)); got != want {
			t.Errorf("row %d after Release: %q, want %q", k, got, want)
		}
	}
}
