package sources

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"testing"
)

// TestGatherFixedAlignment gathers 4- and 8-byte values (and 3-byte ones,
// which are never viewed as numbers) from a dictionary and into a column
// at every alignment, so that the in-place typed loop and the byte-wise
// fallback are both checked against the values expected.
func TestGatherFixedAlignment(t *testing.T) {
	const size, n = 37, 101
	indexes := make([]int32, n)
	for i := range indexes {
		indexes[i] = int32(i * 13 % size)
	}
	for _, w := range []int{3, 4, 8} {
		for _, dictShift := range []int{0, 1, 4} {
			for _, outShift := range []int{0, 2, 4} {
				t.Run(fmt.Sprintf("w=%d/dict+%d/out+%d", w, dictShift, outShift), func(t *testing.T) {
					dict := make([]byte, dictShift+size*w)[dictShift:]
					for k := range size {
						v := uint64(k)*0x0101010101010101 + 0x1122334455667788
						var b [8]byte
						binary.LittleEndian.PutUint64(b[:], v)
						copy(dict[k*w:k*w+w], b[:w])
					}
					out := make([]byte, outShift+n*w)[outShift:]
					gatherFixed(out, indexes, dict, w)
					for i, x := range indexes {
						if got, want := out[i*w:i*w+w], dict[int(x)*w:int(x)*w+w]; !bytes.Equal(got, want) {
							t.Fatalf("value %d (index %d) = %x, want %x", i, x, got, want)
						}
					}
				})
			}
		}
	}
}
