package columnar_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// AppendBinaryBins makes for every selection the bytes AppendBinaryRows
// makes of it, whatever the rows, their order, repeats and empty
// selections; the pieces do not overlap, and bad rows are refused.
func TestAppendBinaryBins(t *testing.T) {
	layout, err := columnar.LayoutOf(testSchema)
	if err != nil {
		t.Fatal(err)
	}
	whole := batchOf(t, layout, randomRows(rand.New(rand.NewPCG(7, 8)), 400))
	r := rand.New(rand.NewPCG(9, 10))
	full := batchOf(t, layout, fullRows(t, layout, r, 200)) // levels not spilled
	cases := []struct {
		name       string
		batch      *columnar.Batch
		bins, rows int
		ordered    bool // each row once, in order
	}{
		{"one bin", whole, 1, 400, true},
		{"many bins", whole, 37, 400, true},
		{"more bins than rows", whole, 300, 50, false},
		{"repeated rows", whole, 5, 700, false},
		{"sliced batch", whole.Slice(101, 333), 9, 232, true},
		{"no rows", whole, 4, 0, true},
		{"no nulls", full, 37, 200, true},
		{"no nulls, repeated rows", full, 5, 300, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sel := make([][]int32, tc.bins)
			for j := range tc.rows {
				row := int32(j)
				if !tc.ordered {
					row = int32(r.IntN(tc.batch.Len))
				}
				k := r.IntN(tc.bins)
				sel[k] = append(sel[k], row)
			}
			pieces := make([][]byte, tc.bins)
			if err := tc.batch.AppendBinaryBins(pieces, sel); err != nil {
				t.Fatal(err)
			}
			// Into a used buffer, too large: every byte the pieces take
			// is written again, the same as into a new one.
			dirty := bytes.Repeat([]byte{0xa5}, 2*tc.rows*64+64)
			again := make([][]byte, tc.bins)
			buf, err := tc.batch.AppendBinaryBinsInto(dirty, again, sel)
			if err != nil {
				t.Fatal(err)
			}
			if tc.rows > 0 && &buf[0] != &dirty[0] {
				t.Fatal("a buffer with room was not used")
			}
			for k := range pieces {
				if !bytes.Equal(pieces[k], again[k]) {
					t.Fatalf("bin %d: in a used buffer %x, in a new one %x", k, again[k], pieces[k])
				}
			}
			if small, err := tc.batch.AppendBinaryBinsInto(make([]byte, 1), again, sel); err != nil || (tc.rows > 0 && cap(small) < 2) {
				t.Fatalf("into a buffer without room: %d bytes, %v", cap(small), err)
			}
			for k, p := range pieces {
				if len(sel[k]) == 0 {
					if p != nil {
						t.Fatalf("bin %d: %d bytes for no rows", k, len(p))
					}
					continue
				}
				if want := tc.batch.AppendBinaryRows(nil, sel[k]); !bytes.Equal(p, want) {
					t.Fatalf("bin %d: %d bytes differ from AppendBinaryRows' %d", k, len(p), len(want))
				}
				if cap(p) != len(p) {
					t.Fatalf("bin %d: room for %d bytes past its end", k, cap(p)-len(p))
				}
			}
		})
	}
	for _, bad := range [][][]int32{{{0}, {400}}, {{-1}}, {{3}, {2}, {1}}} {
		if err := whole.AppendBinaryBins(make([][]byte, 2), bad); err == nil {
			t.Errorf("AppendBinaryBins(%v) accepted", bad)
		}
	}
}

// BenchmarkSpillPieces encodes a unit of 122,880 rows of a mixed-like
// layout into the pieces of a shuffle spilling in 228 key ranges, one
// selection at a time (AppendBinaryRows) or all at once (AppendBinaryBins).
func BenchmarkSpillPieces(b *testing.B) {
	layout := columnar.Layout{
		{Kind: parquet.Int64, Width: 8}, {Kind: parquet.ByteArray}, {Kind: parquet.Double, Width: 8, MaxDef: 1},
		{Kind: parquet.Int32, Width: 4, MaxDef: 1}, {Kind: parquet.ByteArray, MaxDef: 1}, {Kind: parquet.Int64, Width: 8, MaxDef: 1},
		{Kind: parquet.Boolean, Width: 1, MaxDef: 1},
	}
	const n, parts = 122880, 228
	r := rand.New(rand.NewPCG(2, 2))
	batch := columnar.New(layout, n)
	text := make([]byte, 70)
	for range n {
		for c, t := range layout {
			col := &batch.Cols[c]
			var defs []byte
			if t.MaxDef > 0 {
				defs = []byte{1}
			}
			var err error
			if t.Width == 0 {
				k := uint32(3 + r.IntN(5)) // a label; the text column's take 20 to 70 bytes
				if c == 4 {
					k = uint32(20 + r.IntN(51))
				}
				err = col.AppendByteArrays(1, defs, text[:k], []uint32{0, k})
			} else {
				err = col.AppendFixed(1, defs, make([]byte, t.Width))
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	batch.Len = n
	sel := make([][]int32, parts)
	for i := range n {
		k := r.IntN(parts)
		sel[k] = append(sel[k], int32(i))
	}
	b.Run("rows", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, s := range sel {
				_ = batch.AppendBinaryRows(nil, s)
			}
		}
	})
	b.Run("bins", func(b *testing.B) {
		b.ReportAllocs()
		pieces := make([][]byte, parts)
		for b.Loop() {
			if err := batch.AppendBinaryBins(pieces, sel); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bins-reused", func(b *testing.B) {
		b.ReportAllocs()
		pieces := make([][]byte, parts)
		var buf []byte
		for b.Loop() {
			var err error
			if buf, err = batch.AppendBinaryBinsInto(buf, pieces, sel); err != nil {
				b.Fatal(err)
			}
		}
	})
}
