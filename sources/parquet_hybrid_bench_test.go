package sources_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/splitdata/splitdata/sources"
)

// BenchmarkDecodeLevels decodes a page of 20,000 definition levels of an
// optional column, without nulls (one run) and with a tenth null
// (bit-packed groups), into bytes: decodeHybrid into 32-bit values then
// narrowed and counted (as before decodeLevels), against decodeLevels.
func BenchmarkDecodeLevels(b *testing.B) {
	const n = 20000
	for _, tc := range []struct {
		name  string
		nulls bool
	}{{"no nulls", false}, {"a tenth null", true}} {
		levels := make([]byte, n)
		for i := range levels {
			levels[i] = 1
			if tc.nulls && i%10 == 3 {
				levels[i] = 0
			}
		}
		src := appendLevelRuns(nil, levels, 1)
		dst := make([]byte, n)
		b.Run(tc.name+"/widened", func(b *testing.B) {
			b.ReportAllocs()
			wide := make([]int32, n)
			for b.Loop() {
				if err := sources.DecodeHybrid(wide, src, 1); err != nil {
					b.Fatal(err)
				}
				defined := 0
				for k, d := range wide {
					dst[k] = uint8(d)
					if uint8(d) == 1 {
						defined++
					}
				}
				_ = defined
			}
		})
		b.Run(tc.name+"/decodeLevels", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sources.DecodeLevels(dst, src, 1, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeIndexes decodes a page of 20,000 dictionary indexes, all
// in bit-packed groups (as Polars writes a column of many distinct
// values), at a few bit widths.
func BenchmarkDecodeIndexes(b *testing.B) {
	const n = 20000
	for _, width := range []int{5, 9, 13, 18} {
		src := binary.AppendUvarint(nil, uint64(n/8)<<1|1)
		var acc uint64
		bits := 0
		for i := range n {
			acc |= uint64(uint32(i)*2654435761>>(32-width)) << bits
			bits += width
			for bits >= 8 {
				src = append(src, byte(acc))
				acc >>= 8
				bits -= 8
			}
		}
		dst := make([]int32, n)
		b.Run(fmt.Sprintf("width %d", width), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if err := sources.DecodeHybrid(dst, src, width); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
