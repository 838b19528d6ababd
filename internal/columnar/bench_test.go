package columnar_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// BenchmarkTake gathers a split's share of a 131072-row batch shaped like
// the gen table (five 8-byte columns, one optional; a short and a 40-byte
// string), rows chosen independently with probability p as a split's rows
// are.
func BenchmarkTake(b *testing.B) {
	layout := columnar.Layout{
		{Kind: parquet.Int64, Width: 8}, {Kind: parquet.Int64, Width: 8}, {Kind: parquet.ByteArray},
		{Kind: parquet.Double, Width: 8}, {Kind: parquet.Double, Width: 8, MaxDef: 1},
		{Kind: parquet.ByteArray}, {Kind: parquet.Int64, Width: 8},
	}
	r := rand.New(rand.NewPCG(1, 1))
	const n = 1 << 17
	batch := columnar.New(layout, n)
	text := make([]byte, 40)
	for i := range n {
		for c, t := range layout {
			col := &batch.Cols[c]
			var err error
			switch {
			case t.Width == 0:
				err = col.AppendByteArrays(1, nil, text[:6+34*(c/5)], []uint32{0, uint32(6 + 34*(c/5))})
			case t.MaxDef > 0 && i%10 == 0:
				err = col.AppendFixed(1, []byte{0}, nil)
			case t.MaxDef > 0:
				err = col.AppendFixed(1, []byte{1}, make([]byte, 8))
			default:
				err = col.AppendFixed(1, nil, make([]byte, 8))
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	batch.Len = n
	rows := make([]struct{}, n)
	for _, p := range []float64{1, 0.8, 0.5, 0.2, 1.0 / 128} {
		var sel []int32
		for i := range len(rows) {
			if r.Float64() < p {
				sel = append(sel, int32(i))
			}
		}
		b.Run(fmt.Sprintf("p=%.3f", p), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := batch.Take(sel); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
