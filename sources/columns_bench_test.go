package sources_test

import (
	"testing"

	"github.com/parquet-go/parquet-go"
)

// BenchmarkReadColumns reads two of the four columns of a 200,000-row row
// group (the dictionary-encoded origin and the plain id, beside a delay
// and a text column), as the key pass of --group origin,id does: from
// whole rows (ReadUnit, as before ColumnsReader) and from the two columns
// alone, in lockstep (ReadColumns).
func BenchmarkReadColumns(b *testing.B) {
	const rows = 200_000
	p := openBench(b, writeDecodeBench(b, rows))
	cols := []int{1, 2} // origin, id
	b.Run("rows", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			err := p.ReadUnit(b.Context(), 0, 1024, func(batch []parquet.Row) error {
				for _, row := range batch {
					n += len(row[cols[0]].ByteArray()) + int(row[cols[1]].Int64()&1)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("columns", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n := 0
			err := p.ReadColumns(b.Context(), 0, cols, 1024, func(values [][]parquet.Value) error {
				for r := range values[0] {
					n += len(values[0][r].ByteArray()) + int(values[1][r].Int64()&1)
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
}
