package sources

import (
	"encoding/binary"
	"fmt"
)

// Parquet's RLE/bit-packing hybrid encoding, of definition levels and
// dictionary indexes, for direct page decoding (parquet_direct.go).

// decodeHybrid fills dst with the values of src, in Parquet's
// RLE/bit-packing hybrid encoding of width bits a value (at most 32), and
// fails when src holds fewer than len(dst). Runs longer than dst are cut
// to it: a run's declared count allocates nothing. Bit-packed runs are
// unpacked a 64-bit load a value (unpack), which reads up to 8 bytes past
// a run's end: a run ending too near the end of src is unpacked from a
// copy in *pad.
func decodeHybrid(dst []int32, src []byte, width int, pad *[]byte) error {
	if width < 0 || width > 32 {
		return fmt.Errorf("bit width %d", width)
	}
	bytesPer := (width + 7) / 8
	out := 0
	for out < len(dst) {
		header, k := binary.Uvarint(src)
		if k <= 0 {
			return fmt.Errorf("%d values of %d", out, len(dst))
		}
		src = src[k:]
		if header&1 == 0 {
			count := header >> 1
			if len(src) < bytesPer {
				return fmt.Errorf("run value past the end, at value %d of %d", out, len(dst))
			}
			var x uint32
			for b := range bytesPer {
				x |= uint32(src[b]) << (8 * b)
			}
			src = src[bytesPer:]
			if count == 0 {
				return fmt.Errorf("empty run at value %d of %d", out, len(dst))
			}
			m := int(min(count, uint64(len(dst)-out)))
			run := dst[out : out+m]
			for i := range run {
				run[i] = int32(x)
			}
			out += m
			continue
		}
		// Writers may end the last run short of its groups' bytes: only
		// the values used must be there.
		groups := header >> 1
		if groups == 0 {
			return fmt.Errorf("empty bit-packed run at value %d of %d", out, len(dst))
		}
		m := int(min(groups*8, uint64(len(dst)-out)))
		need := (m*width + 7) / 8
		if need > len(src) {
			return fmt.Errorf("bit-packed run past the end, at value %d of %d", out, len(dst))
		}
		nbytes := len(src)
		if groups <= uint64(len(src)) {
			nbytes = min(int(groups)*width, len(src)) // 8 values of width bits a group
		}
		run := dst[out : out+m]
		switch {
		case width == 0:
			clear(run)
		case len(src) >= need+unpackPadding:
			unpack(run, src, width)
		default:
			*pad = sized(*pad, need+unpackPadding)
			copy(*pad, src[:need])
			clear((*pad)[need:])
			unpack(run, *pad, width)
		}
		out += m
		src = src[nbytes:]
	}
	return nil
}

// unpackPadding is how many bytes unpack may read past the last value's.
const unpackPadding = 8

// unpack fills dst with values of width bits (1 to 32) packed least
// significant bit first from the start of src, which holds at least
// unpackPadding bytes past them: each value is one little-endian 64-bit
// load at its first byte, shifted and masked (its bits start at most 7
// bits into the load and end within 39).
func unpack(dst []int32, src []byte, width int) {
	mask := uint64(1)<<width - 1
	bit := 0
	for i := range dst {
		word := binary.LittleEndian.Uint64(src[bit>>3:])
		dst[i] = int32(uint32(word >> (bit & 7) & mask))
		bit += width
	}
}
