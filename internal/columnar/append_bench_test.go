package columnar_test

import (
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// BenchmarkAppendFixed appends 8,192-row pages of an optional int64
// column to a column, the pages without nulls (levels checked a word at a
// time) or with every tenth row null.
func BenchmarkAppendFixed(b *testing.B) {
	const n = 8192
	for _, tc := range []struct {
		name  string
		every int // a null every this many rows; 0 for none
	}{{"no nulls", 0}, {"tenth null", 10}} {
		b.Run(tc.name, func(b *testing.B) {
			defs := make([]byte, n)
			defined := 0
			for i := range defs {
				if tc.every == 0 || i%tc.every != 0 {
					defs[i] = 1
					defined++
				}
			}
			values := make([]byte, 8*defined)
			col := columnar.Column{Type: columnar.Type{Kind: parquet.Int64, Width: 8, MaxDef: 1}}
			b.ReportAllocs()
			b.SetBytes(n)
			for b.Loop() {
				col.Defs, col.Fixed = col.Defs[:0], col.Fixed[:0]
				if err := col.AppendFixed(n, defs, values); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
