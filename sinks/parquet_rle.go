package sinks

import (
	"encoding/binary"
	"math/bits"
	"slices"
)

// This file holds the encoder of dictionary indexes of splitdata 0.7.0
// (docs/algorithm.md, "Dictionary indexes"): the RLE/bit-packed hybrid of
// the Parquet format, emitting an RLE run for equal indexes wherever the
// run takes fewer bytes than packing it, not only, as parquet-go v0.32's
// encoder does (splitdata 0.6.0's bytes), for groups of 8 equal indexes
// aligned on the page's 8-value grid. Sorted or clustered columns (dates,
// labels in order) repeat an index a few times in a row: flights' dates
// take about 11 rows each, which parquet-go mostly bit-packs at 14 bits a
// row where one 3-byte run holds them all.
//
// The format (apache/parquet-format Encodings.md, RLE = 3):
//
//	page-data := <bit width: 1 byte> <run>*
//	run       := <rle-run> | <bit-packed-run>
//	rle-run   := uvarint(count << 1) <value: ceil(width/8) bytes, little endian>
//	packed    := uvarint(groups << 1 | 1) <groups*8 values, width bits each, LSB first>
//
// A bit-packed run holds whole groups of 8 values. The last values of a
// page, fewer than 8, are RLE runs (as parquet-go writes them), not a
// padded group: where no run pays, a page's bytes are then parquet-go's,
// which spares re-encoding most of the pages parquet-go writes
// (parquet_rle_chunks.go).

// indexRunWidth returns the bit width of a page of dictionary indexes: that
// of its largest index, as parquet-go writes it.
func indexRunWidth(idx []int32) uint {
	var m uint32
	for _, v := range idx {
		m |= uint32(v)
	}
	return uint(bits.Len32(m))
}

// runPays reports whether n equal values of width bits take fewer bytes as
// an RLE run than bit-packed: the run's header and value, and the header
// of the bit-packed run that may have to resume after it, against n*width
// bits.
func runPays(n int, width uint) bool {
	cost := uvarintLen(uint64(n)<<1) + int(width+7)/8 + 1
	return uint64(n)*uint64(width) > 8*uint64(cost)
}

// uvarintLen returns the length of the uvarint encoding of v.
func uvarintLen(v uint64) int {
	return (bits.Len64(v|1) + 6) / 7
}

// appendIndexRuns appends the RLE_DICTIONARY encoding of idx, a data
// page's dictionary indexes (none negative), to dst and returns it: the
// bit width of its largest index, then the hybrid runs chosen by this
// rule, in one pass over the maximal runs of equal indexes:
//
//   - with width 0 (every index 0), one RLE run of all the values;
//   - else, for a maximal run of n equal indexes, where p values wait to be
//     bit-packed (p is 0 after an RLE run), k = (8 - p%8) % 8 of them
//     complete the waiting values' last group of 8: when the other n-k
//     pay as a run (runPays), the k join the waiting values, which are
//     bit-packed, and the n-k are an RLE run; else all n wait;
//   - of the values still waiting at the end, the whole groups of 8 are
//     bit-packed, and the rest (up to 7) are RLE runs of equal values.
//
// A page without values is its bit width (0) and an empty RLE run, as
// parquet-go writes it.
func appendIndexRuns(dst []byte, idx []int32) []byte {
	width := indexRunWidth(idx)
	dst = append(dst, byte(width))
	if width == 0 {
		return binary.AppendUvarint(dst, uint64(len(idx))<<1)
	}
	// The shortest run that pays: runPays is monotone in a run's length.
	shortest := 1
	for !runPays(shortest, width) {
		shortest++
	}
	lit := 0 // idx[lit:i] wait to be bit-packed
	for from := 0; ; {
		i, j, ok := nextRun(idx, from, shortest)
		if !ok {
			break
		}
		v := idx[i]
		k := 0
		if p := i - lit; p%8 != 0 {
			k = min(8-p%8, j-i)
		}
		if n := j - i - k; n > 0 && runPays(n, width) {
			if i+k > lit {
				dst = appendPackedRun(dst, idx[lit:i+k], width)
			}
			dst = appendRLERun(dst, n, v, width)
			lit = j
		}
		from = j
	}
	tail := lit + (len(idx)-lit)/8*8
	if tail > lit {
		dst = appendPackedRun(dst, idx[lit:tail], width)
	}
	for i := tail; i < len(idx); {
		j := i + 1
		for j < len(idx) && idx[j] == idx[i] {
			j++
		}
		dst = appendRLERun(dst, j-i, idx[i], width)
		i = j
	}
	return dst
}

// nextRun returns the first maximal run idx[i:j] of at least shortest
// equal indexes at or after from, which starts a maximal run, or false
// when there is none. With shortest at least 3 it looks for two equal
// neighbours only every shortest-1 indexes, which such a run cannot
// step over (it holds shortest-1 neighbouring pairs), and then finds the
// run's ends.
func nextRun(idx []int32, from, shortest int) (i, j int, ok bool) {
	step := shortest - 1
	if step < 2 {
		for i = from; i < len(idx); i = j {
			for j = i + 1; j < len(idx) && idx[j] == idx[i]; j++ {
			}
			if j-i >= shortest {
				return i, j, true
			}
		}
		return 0, 0, false
	}
	for p := from; p+1 < len(idx); {
		if idx[p] != idx[p+1] {
			p += step
			continue
		}
		v := idx[p]
		for i = p; i > from && idx[i-1] == v; i-- {
		}
		for j = p + 2; j < len(idx) && idx[j] == v; j++ {
		}
		if j-i >= shortest {
			return i, j, true
		}
		p = j
	}
	return 0, 0, false
}

// appendRLERun appends an RLE run of n values v of width bits.
func appendRLERun(dst []byte, n int, v int32, width uint) []byte {
	dst = binary.AppendUvarint(dst, uint64(n)<<1)
	for b := uint(0); b < width; b += 8 {
		dst = append(dst, byte(uint32(v)>>b))
	}
	return dst
}

// appendPackedRun appends a bit-packed run of vals, of width bits each
// (1 to 32), in groups of 8, the last padded with zeros.
func appendPackedRun(dst []byte, vals []int32, width uint) []byte {
	groups := (len(vals) + 7) / 8
	dst = binary.AppendUvarint(dst, uint64(groups)<<1|1)
	if width <= 16 {
		// Whole groups of 8 at a time: a group is width bytes.
		whole := len(vals) / 8
		dst = appendPackedGroups(dst, vals[:8*whole], width)
		vals = vals[8*whole:]
		groups -= whole
	}
	dst = slices.Grow(dst, groups*int(width))
	var acc uint64 // bits not yet appended, the oldest lowest
	var n uint     // how many, under 32 between values
	for _, v := range vals {
		acc |= uint64(uint32(v)) << n
		if n += width; n >= 32 {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(acc))
			acc >>= 32
			n -= 32
		}
	}
	// Padding values are zeros: their bits, and the partial byte's rest;
	// a group of 8 values ends on a byte.
	for n += uint(groups*8-len(vals)) * width; n >= 8; n -= 8 {
		dst = append(dst, byte(acc))
		acc >>= 8
	}
	return dst
}

// appendPackedGroups appends the bits of vals, whole groups of 8 values
// of width bits each (1 to 16), as appendPackedRun packs them: each group
// is two halves of 4 values, of 4*width bits, the second shifted past the
// first, 8*width bits written as width bytes.
func appendPackedGroups(dst []byte, vals []int32, width uint) []byte {
	at := len(dst)
	size := len(vals) / 8 * int(width)
	// 16 bytes of room past the end: each group writes 16.
	dst = slices.Grow(dst, size+16)[:at+size+16]
	half := 4 * width
	for i := 0; i+8 <= len(vals); i += 8 {
		g := vals[i : i+8 : i+8]
		a := uint64(uint32(g[0])) | uint64(uint32(g[1]))<<width | uint64(uint32(g[2]))<<(2*width) | uint64(uint32(g[3]))<<(3*width)
		b := uint64(uint32(g[4])) | uint64(uint32(g[5]))<<width | uint64(uint32(g[6]))<<(2*width) | uint64(uint32(g[7]))<<(3*width)
		out := dst[at : at+16 : at+16]
		binary.LittleEndian.PutUint64(out, a|b<<half)
		binary.LittleEndian.PutUint64(out[8:], b>>(64-half))
		at += int(width)
	}
	return dst[:at]
}
