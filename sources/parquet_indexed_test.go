package sources_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sources"
)

// indexedDict returns a dictionary of n values of type t: value k is k*3-7
// (its bytes little-endian for fixed widths), or the string "v<k>" with k
// dots for byte arrays.
func indexedDict(t columnar.Type, n int) *columnar.Column {
	d := &columnar.Column{Type: columnar.Type{Kind: t.Kind, Width: t.Width}}
	for k := range n {
		var err error
		switch t.Kind {
		case parquet.Int32:
			err = d.AppendValue(parquet.Int32Value(int32(k*3 - 7)))
		case parquet.Int64:
			err = d.AppendValue(parquet.Int64Value(int64(k*3 - 7)))
		case parquet.FixedLenByteArray:
			err = d.AppendValue(parquet.FixedLenByteArrayValue(bytes.Repeat([]byte{byte(k)}, t.Width)))
		default:
			err = d.AppendValue(parquet.ByteArrayValue([]byte(fmt.Sprintf("v%d%s", k, strings.Repeat(".", k%5)))))
		}
		if err != nil {
			panic(err)
		}
	}
	return d
}

// TestExpandIndexed checks the decoder's expansion of dictionary indexes
// against columnar's own, value by value: the same column for every
// kind, with and without nulls, and the same error for an index out of
// range.
func TestExpandIndexed(t *testing.T) {
	types := []columnar.Type{
		{Kind: parquet.Int32, Width: 4},
		{Kind: parquet.Int64, Width: 8},
		{Kind: parquet.FixedLenByteArray, Width: 3},
		{Kind: parquet.ByteArray},
	}
	for _, typ := range types {
		for _, nulls := range []bool{false, true} {
			t.Run(fmt.Sprintf("%v/nulls=%v", typ.Kind, nulls), func(t *testing.T) {
				dict := indexedDict(typ, 37)
				ct := typ
				if nulls {
					ct.MaxDef = 1
				}
				const n = 1000
				var defs []byte
				var indexes []int32
				for r := range n {
					if nulls {
						d := byte(1)
						if r%7 == 3 {
							d = 0
						}
						defs = append(defs, d)
						if d == 0 {
							continue
						}
					}
					indexes = append(indexes, int32(r*13%37))
				}
				want := &columnar.Column{Type: ct}
				if err := want.AppendIndexed(n, defs, indexes, dict); err != nil {
					t.Fatal(err)
				}
				got := &columnar.Column{Type: ct}
				// Two pages, the second appended after the first.
				half, k := n/2, 0
				for r := range half {
					if !nulls || defs[r] == 1 {
						k++
					}
				}
				var d1, d2 []byte
				if nulls {
					d1, d2 = defs[:half], defs[half:]
				}
				if err := sources.ExpandIndexed(got, half, d1, indexes[:k], dict); err != nil {
					t.Fatal(err)
				}
				if err := sources.ExpandIndexed(got, n-half, d2, indexes[k:], dict); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Defs, want.Defs) || !bytes.Equal(got.Fixed, want.Fixed) || !bytes.Equal(got.Bytes, want.Bytes) || fmt.Sprint(got.Offsets) != fmt.Sprint(want.Offsets) {
					t.Errorf("expanded column differs from AppendIndexed's:\ngot  %+v\nwant %+v", got, want)
				}
				for _, bad := range []int32{-1, 37} {
					col := &columnar.Column{Type: typ}
					if err := sources.ExpandIndexed(col, 1, nil, []int32{bad}, dict); err == nil || !strings.Contains(err.Error(), "out of range") {
						t.Errorf("index %d: got error %v, want one saying out of range", bad, err)
					}
				}
			})
		}
	}
}

// BenchmarkExpandIndexed expands a page of 20,000 dictionary indexes of
// an optional column (no nulls, or one row in 50 null) into a column, as
// the decoder does for each dictionary-encoded page: path=gather is the
// decoder's, path=append columnar's value-by-value AppendIndexed, the
// baseline.
func BenchmarkExpandIndexed(b *testing.B) {
	const n = 20_000
	for _, c := range []struct {
		typ       columnar.Type
		nullEvery int
	}{{columnar.Type{Kind: parquet.Int64, Width: 8}, 0}, {columnar.Type{Kind: parquet.Int64, Width: 8}, 50}, {columnar.Type{Kind: parquet.ByteArray}, 0}, {columnar.Type{Kind: parquet.ByteArray}, 50}} {
		dict := indexedDict(c.typ, 700)
		ct := c.typ
		ct.MaxDef = 1
		defs := make([]byte, n)
		var indexes []int32
		for r := range n {
			if c.nullEvery == 0 || r%c.nullEvery != 0 {
				defs[r] = 1
				indexes = append(indexes, int32(r*31%700))
			}
		}
		for _, path := range []string{"gather", "append"} {
			b.Run(fmt.Sprintf("kind=%v/nulls=%d/path=%s", c.typ.Kind, c.nullEvery, path), func(b *testing.B) {
				b.ReportAllocs()
				col := &columnar.Column{Type: ct}
				cpu := processCPU(b)
				for b.Loop() {
					col.Defs, col.Fixed, col.Offsets, col.Bytes = col.Defs[:0], col.Fixed[:0], col.Offsets[:0], col.Bytes[:0]
					var err error
					if path == "gather" {
						err = sources.ExpandIndexed(col, n, defs, indexes, dict)
					} else {
						err = col.AppendIndexed(n, defs, indexes, dict)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				reportCPU(b, cpu)
			})
		}
	}
}
