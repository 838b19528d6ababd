package report_test

import (
	"math/rand/v2"
	"testing"

	"github.com/splitdata/splitdata/report"
)

// scanColumn returns a number column of a million gen rows as a split
// keeps them, in input order: id and ts ascending, user_id random
// integers of 500,000, x1 uniform in [0, 1), x2 uniform in [-1, 1) with
// one value in ten null (dropped).
func scanColumn(name string) []float64 {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(1, 2))
	vs := make([]float64, 0, n)
	for i := range n {
		switch name {
		case "id":
			vs = append(vs, float64(i))
		case "user_id":
			vs = append(vs, float64(rng.IntN(500_000)))
		case "x1":
			vs = append(vs, rng.Float64())
		case "x2":
			if rng.IntN(10) != 0 {
				vs = append(vs, 2*rng.Float64()-1)
			}
		case "ts":
			vs = append(vs, 1.7e15+float64(i)*1e6)
		}
	}
	return vs
}

// BenchmarkSketchScan fills a column's sketch as a report's scan does:
// a sketch per output row group (131,072 rows), filled a chunk of 4,096
// values at a time, merged into the split's sketch and reused.
func BenchmarkSketchScan(b *testing.B) {
	const unitRows, chunk = 131_072, 4096
	for _, name := range []string{"id", "user_id", "x1", "x2", "ts"} {
		vs := scanColumn(name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(8 * len(vs)))
			split := report.NewSketch(report.DefaultSketchCapacity)
			unit := report.NewSketch(report.DefaultSketchCapacity)
			for b.Loop() {
				split.Reset()
				for u := 0; u < len(vs); u += unitRows {
					unit.Reset()
					rows := vs[u:min(u+unitRows, len(vs))]
					for c := 0; c < len(rows); c += chunk {
						report.AddFinite(unit, rows[c:min(c+chunk, len(rows))])
					}
					split.Merge(unit)
				}
			}
		})
	}
}
