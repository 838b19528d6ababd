package columnar_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// BenchmarkAppendIndexedBytes expands a page of 20,000 dictionary indexes
// into a reused optional ByteArray column without nulls, as flights'
// airport codes are: AppendIndexed a value at a time against
// AppendIndexedBytes, for values of 3 and of 24 bytes.
func BenchmarkAppendIndexedBytes(b *testing.B) {
	const n = 20000
	r := rand.New(rand.NewPCG(1, 2))
	for _, size := range []int{3, 24} {
		dict := &columnar.Column{Type: columnar.Type{Kind: parquet.ByteArray}}
		var vals []byte
		offsets := []uint32{0}
		for range 300 {
			for range size {
				vals = append(vals, byte('A'+r.IntN(26)))
			}
			offsets = append(offsets, uint32(len(vals)))
		}
		if err := dict.AppendByteArrays(300, nil, vals, offsets); err != nil {
			b.Fatal(err)
		}
		indexes := make([]int32, n)
		defs := make([]byte, n)
		for k := range indexes {
			indexes[k], defs[k] = int32(r.IntN(300)), 1
		}
		for _, fast := range []bool{false, true} {
			name := fmt.Sprintf("bytes=%d/AppendIndexed", size)
			if fast {
				name = fmt.Sprintf("bytes=%d/AppendIndexedBytes", size)
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(n * size))
				col := &columnar.Column{Type: columnar.Type{Kind: parquet.ByteArray, MaxDef: 1}}
				for b.Loop() {
					col.Defs, col.Offsets, col.Bytes = col.Defs[:0], col.Offsets[:0], col.Bytes[:0]
					var err error
					if fast {
						err = col.AppendIndexedBytes(n, defs, indexes, dict)
					} else {
						err = col.AppendIndexed(n, defs, indexes, dict)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
