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
//
// It is not inlined: a generic function's instantiation called from
// another package where it was inlined lost its escape information, and
// pad went to the heap.
//
//go:noinline
func decodeHybrid(dst []int32, src []byte, width int, pad *[]byte) error {
	return decodeRuns(dst, src, width, pad, 0, nil)
}

// decodeLevels is decodeHybrid for definition levels (width at most 8),
// decoded straight into bytes, and returns how many of them are maxDef:
// a page's levels are then neither widened to 32 bits nor counted in a
// pass of their own, and a page without nulls (one run of maxDef) is
// counted at once.
//
//go:noinline
func decodeLevels(dst []byte, src []byte, width int, maxDef byte, pad *[]byte) (int, error) {
	if width > 8 {
		return 0, fmt.Errorf("bit width %d", width)
	}
	defined := 0
	err := decodeRuns(dst, src, width, pad, maxDef, &defined)
	return defined, err
}

// decodeRuns is decodeHybrid into values of type T, and when matched is
// not nil adds to it how many of the values are match.
func decodeRuns[T int32 | uint8](dst []T, src []byte, width int, pad *[]byte, match T, matched *int) error {
	if width < 0 || width > 32 {
		return fmt.Errorf("bit width %d", width)
	}
	bytesPer := (width + 7) / 8
	out := 0
	var declared uint64 // values the runs declare, past dst included
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
			if declared += min(count, MaxPageValues+1); declared > MaxPageValues {
				return errRunsDeclare
			}
			m := int(min(count, uint64(len(dst)-out)))
			fill(dst[out:out+m], T(x))
			if matched != nil && T(x) == match {
				*matched += m
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
		if declared += min(groups, MaxPageValues) * 8; declared > MaxPageValues {
			return errRunsDeclare
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
			unpack(run, padded(pad, src[:need]), width)
		}
		if matched != nil {
			for _, v := range run {
				if v == match {
					*matched++
				}
			}
		}
		out += m
		src = src[nbytes:]
	}
	// Runs past the values: parquet-go decodes them too
	// (pages_decoder.go), so a page it would refuse is refused here.
	if len(src) > 0 && declared+runsDeclared(src, width) > MaxPageValues {
		return errRunsDeclare
	}
	return nil
}

// errRunsDeclare is the error of hybrid-encoded runs declaring more
// values than a page may hold, however few the page uses.
var errRunsDeclare = fmt.Errorf("runs declare more than %d values, more than a page may hold (MaxPageValues)", MaxPageValues)

// fill sets every value of run to x: runs of definition levels cover
// whole pages, so long ones are filled by doubling copies.
func fill[T int32 | uint8](run []T, x T) {
	if len(run) < 64 {
		for i := range run {
			run[i] = x
		}
		return
	}
	for i := range 64 {
		run[i] = x
	}
	for k := 64; k < len(run); k *= 2 {
		copy(run[k:], run[:k])
	}
}

// padded returns a copy of src in *pad followed by unpackPadding zeros.
func padded(pad *[]byte, src []byte) []byte {
	*pad = sized(*pad, len(src)+unpackPadding)
	copy(*pad, src)
	clear((*pad)[len(src):])
	return *pad
}

// unpackPadding is how many bytes unpack may read past the last value's.
const unpackPadding = 8

// unpack fills dst with values of width bits (1 to 32) packed least
// significant bit first from the start of src, which holds at least
// unpackPadding bytes past them: each value is one little-endian 64-bit
// load at its first byte, shifted and masked (its bits start at most 7
// bits into the load and end within 39). Groups of 8 values (width bytes)
// with 40 bytes readable from their start are unpacked in an unrolled
// loop without bounds checks, the rest one value at a time. It is not
// inlined: inside decodeRuns its loop kept its counters on the stack.
//
//go:noinline
func unpack[T int32 | uint8](dst []T, src []byte, width int) {
	mask := uint64(1)<<width - 1
	w := uint(width)
	// Value k of a group: byte off[k] (at most 31), shifted by sh[k].
	var off, sh [8]uint
	for k := range uint(8) {
		off[k], sh[k] = k*w>>3&31, k*w&7
	}
	i, at := 0, uint(0)
	for ; i+8 <= len(dst) && at+40 <= uint(len(src)); i, at = i+8, at+w {
		g := (*[40]byte)(src[at : at+40])
		d := (*[8]T)(dst[i : i+8])
		d[0] = T(uint32(binary.LittleEndian.Uint64(g[0:8]) & mask))
		d[1] = T(uint32(unpackAt(g, off[1], sh[1]) & mask))
		d[2] = T(uint32(unpackAt(g, off[2], sh[2]) & mask))
		d[3] = T(uint32(unpackAt(g, off[3], sh[3]) & mask))
		d[4] = T(uint32(unpackAt(g, off[4], sh[4]) & mask))
		d[5] = T(uint32(unpackAt(g, off[5], sh[5]) & mask))
		d[6] = T(uint32(unpackAt(g, off[6], sh[6]) & mask))
		d[7] = T(uint32(unpackAt(g, off[7], sh[7]) & mask))
	}
	bit := at * 8
	for ; i < len(dst); i++ {
		word := binary.LittleEndian.Uint64(src[bit>>3:])
		dst[i] = T(uint32(word >> (bit & 7) & mask))
		bit += w
	}
}

// unpackAt returns the 64 bits of g from byte off (at most 31) on, shifted
// right by sh.
func unpackAt(g *[40]byte, off, sh uint) uint64 {
	off &= 31
	return binary.LittleEndian.Uint64(g[off:off+8]) >> (sh & 7)
}

// definedIn counts the levels of defs equal to maxDef.
func definedIn(defs []byte, maxDef uint8) int {
	n := 0
	for _, d := range defs {
		if d == maxDef {
			n++
		}
	}
	return n
}
