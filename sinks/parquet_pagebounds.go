package sinks

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"

	"github.com/parquet-go/parquet-go"
)

// A page's statistics as parquet-go finds them: its min and max values in
// their PLAIN encodings, compared as parquet-go's types compare them.

// bounds returns the PLAIN encodings of the page's min and max values, as
// parquet-go's pages find them, or false for a page without values.
func (w *pageWriter) bounds(n int) (lo, hi []byte, ok bool) {
	if n == 0 {
		return nil, nil, false
	}
	v := w.vals
	switch w.kind {
	case parquet.ByteArray:
		// Copies: the indexer and the chunk keep them past the page.
		a, b := byteArrayBounds(v)
		return append([]byte{}, a...), append([]byte{}, b...), true
	case parquet.Int32:
		a, b := int32(binary.LittleEndian.Uint32(v)), int32(binary.LittleEndian.Uint32(v))
		for i := 4; i < len(v); i += 4 {
			x := int32(binary.LittleEndian.Uint32(v[i:]))
			a, b = min(a, x), max(b, x)
		}
		return binary.LittleEndian.AppendUint32(nil, uint32(a)), binary.LittleEndian.AppendUint32(nil, uint32(b)), true
	case parquet.Int64:
		a, b := int64Bounds(v)
		return binary.LittleEndian.AppendUint64(nil, uint64(a)), binary.LittleEndian.AppendUint64(nil, uint64(b)), true
	case parquet.Float:
		i := 0
		for i < len(v) && isNaN32(v[i:]) {
			i += 4
		}
		if i == len(v) {
			return slices.Clone(v[:4]), slices.Clone(v[:4]), true
		}
		a := math.Float32frombits(binary.LittleEndian.Uint32(v[i:]))
		b := a
		for i += 4; i < len(v); i += 4 {
			x := math.Float32frombits(binary.LittleEndian.Uint32(v[i:]))
			if x != x {
				continue
			}
			if x < a {
				a = x
			}
			if x > b {
				b = x
			}
		}
		return binary.LittleEndian.AppendUint32(nil, math.Float32bits(a)), binary.LittleEndian.AppendUint32(nil, math.Float32bits(b)), true
	default: // Double
		i := 0
		for i < len(v) && isNaN64(v[i:]) {
			i += 8
		}
		if i == len(v) {
			return slices.Clone(v[:8]), slices.Clone(v[:8]), true
		}
		a, b := float64Bounds(v, i)
		return binary.LittleEndian.AppendUint64(nil, a), binary.LittleEndian.AppendUint64(nil, b), true
	}
}

// int64Bounds returns the least and the greatest of the little-endian
// int64 values v holds (at least one). Two pairs of bounds, of the even
// and the odd values, halve the chain of conditional moves each value
// waits on; equal integers are the same bits, so which pair found a
// bound does not matter.
func int64Bounds(v []byte) (lo, hi int64) {
	lo = int64(binary.LittleEndian.Uint64(v))
	hi, lo2, hi2 := lo, lo, lo
	i := 8
	for ; i+16 <= len(v); i += 16 {
		w := v[i : i+16 : i+16]
		x, y := int64(binary.LittleEndian.Uint64(w)), int64(binary.LittleEndian.Uint64(w[8:]))
		lo, hi = min(lo, x), max(hi, x)
		lo2, hi2 = min(lo2, y), max(hi2, y)
	}
	if i < len(v) {
		x := int64(binary.LittleEndian.Uint64(v[i:]))
		lo, hi = min(lo, x), max(hi, x)
	}
	return min(lo, lo2), max(hi, hi2)
}

// float64Bounds returns the bits of the least and the greatest of the
// little-endian doubles v holds from v[i:], where v[i:] is not NaN, as a
// loop in order finds them: NaNs skipped (no comparison holds for them),
// and of equal bounds the first. Two pairs of bounds, of the even and
// the odd values, halve the chain each value waits on. Equal doubles are
// the same bits but for -0 and +0, so where a bound is a zero it is the
// first zero in order, found again.
func float64Bounds(v []byte, i int) (lo, hi uint64) {
	a := math.Float64frombits(binary.LittleEndian.Uint64(v[i:]))
	b, a2, b2 := a, a, a
	for i += 8; i+16 <= len(v); i += 16 {
		w := v[i : i+16 : i+16]
		x := math.Float64frombits(binary.LittleEndian.Uint64(w))
		y := math.Float64frombits(binary.LittleEndian.Uint64(w[8:]))
		if x < a {
			a = x
		}
		if x > b {
			b = x
		}
		if y < a2 {
			a2 = y
		}
		if y > b2 {
			b2 = y
		}
	}
	if i < len(v) {
		x := math.Float64frombits(binary.LittleEndian.Uint64(v[i:]))
		if x < a {
			a = x
		}
		if x > b {
			b = x
		}
	}
	if a2 < a {
		a = a2
	}
	if b2 > b {
		b = b2
	}
	lo, hi = math.Float64bits(a), math.Float64bits(b)
	if a == 0 {
		lo = firstZero64(v)
	}
	if b == 0 {
		hi = firstZero64(v)
	}
	return lo, hi
}

// firstZero64 returns the bits of the first double of v equal to zero,
// -0 or +0; v holds one.
func firstZero64(v []byte) uint64 {
	for i := 0; i+8 <= len(v); i += 8 {
		if x := binary.LittleEndian.Uint64(v[i:]); math.Float64frombits(x) == 0 {
			return x
		}
	}
	return 0
}

// byteArrayBounds returns the least and the greatest of the PLAIN
// encoded byte arrays v holds (at least one), the first of equal ones.
// Each bound is kept with its prefix key, so that a value whose key lies
// strictly between theirs, most of a page's, is passed over after two
// integer comparisons.
func byteArrayBounds(v []byte) (lo, hi []byte) {
	lo = plainAt(v, 0)
	hi = lo
	klo := plainKey(v, 0)
	khi := klo
	for i := 4 + len(lo); i < len(v); {
		n := int(binary.LittleEndian.Uint32(v[i:]))
		var kx uint64
		if i+12 <= len(v) {
			kx = binary.BigEndian.Uint64(v[i+4:]) & (^uint64(0) << (8 * (8 - min(n, 8))))
		} else {
			kx = prefixKey(v[i+4 : i+4+n])
		}
		if kx <= klo || kx >= khi {
			x := v[i+4 : i+4+n : i+4+n]
			switch {
			case kx < klo || kx == klo && bytes.Compare(x, lo) < 0:
				lo, klo = x, kx
			case kx > khi || kx == khi && bytes.Compare(x, hi) > 0:
				hi, khi = x, kx
			}
		}
		i += 4 + n
	}
	return lo, hi
}

// compareBytes is bytes.Compare, deciding first on the bytes' prefix
// keys: on strings most comparisons against a page's bounds end there,
// sparing the call.
func compareBytes(x, y []byte) int {
	p, q := prefixKey(x), prefixKey(y)
	switch {
	case p < q:
		return -1
	case p > q:
		return +1
	}
	return bytes.Compare(x, y)
}

// prefixKey returns b's first 8 bytes as a big-endian integer, the bytes
// past a shorter b's end as zeros. Of two byte arrays, the one with the
// smaller key is the lesser in bytes.Compare's order: at the first byte
// where the keys differ, either both arrays hold that byte, or the
// shorter one ended before it and is a prefix of the other. Equal keys
// decide nothing.
func prefixKey(b []byte) uint64 {
	if len(b) >= 8 {
		return binary.BigEndian.Uint64(b)
	}
	var k uint64
	for _, c := range b {
		k = k<<8 | uint64(c)
	}
	return k << (8 * (8 - len(b)))
}

// plainKey returns the prefix key of the byte array whose PLAIN encoding
// starts at v[i:]. Where v holds 8 bytes after the length, they are read
// as one word and those past the value's end cleared.
func plainKey(v []byte, i int) uint64 {
	n := binary.LittleEndian.Uint32(v[i:])
	if i+12 > len(v) {
		return prefixKey(plainAt(v, i))
	}
	return binary.BigEndian.Uint64(v[i+4:]) & (^uint64(0) << (8 * (8 - min(n, 8))))
}

// plainAt returns the byte array whose PLAIN encoding starts at v[i:].
func plainAt(v []byte, i int) []byte {
	n := int(binary.LittleEndian.Uint32(v[i:]))
	return v[i+4 : i+4+n : i+4+n]
}

func isNaN32(b []byte) bool {
	x := math.Float32frombits(binary.LittleEndian.Uint32(b))
	return x != x
}

func isNaN64(b []byte) bool { return math.IsNaN(math.Float64frombits(binary.LittleEndian.Uint64(b))) }

// value returns the PLAIN encoded b as a parquet.Value of w's kind.
func (w *pageWriter) value(b []byte) parquet.Value {
	switch w.kind {
	case parquet.ByteArray:
		return parquet.ByteArrayValue(b)
	case parquet.Int32:
		return parquet.Int32Value(int32(binary.LittleEndian.Uint32(b)))
	case parquet.Int64:
		return parquet.Int64Value(int64(binary.LittleEndian.Uint64(b)))
	case parquet.Float:
		return parquet.FloatValue(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	default:
		return parquet.DoubleValue(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
}

// compare orders the PLAIN encoded a and b as parquet-go's types do: NaN
// is neither less nor greater than anything.
func (w *pageWriter) compare(a, b []byte) int {
	switch w.kind {
	case parquet.ByteArray:
		return bytes.Compare(a, b)
	case parquet.Int32:
		return cmp3(int32(binary.LittleEndian.Uint32(a)), int32(binary.LittleEndian.Uint32(b)))
	case parquet.Int64:
		return cmp3(int64(binary.LittleEndian.Uint64(a)), int64(binary.LittleEndian.Uint64(b)))
	case parquet.Float:
		return cmp3(math.Float32frombits(binary.LittleEndian.Uint32(a)), math.Float32frombits(binary.LittleEndian.Uint32(b)))
	default:
		return cmp3(math.Float64frombits(binary.LittleEndian.Uint64(a)), math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
}

// cmp3 is -1, +1 or 0 by < and >, so that NaN compares equal to all.
func cmp3[T int32 | int64 | float32 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return +1
	}
	return 0
}
