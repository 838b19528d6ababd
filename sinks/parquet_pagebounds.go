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
		a, b := int64(binary.LittleEndian.Uint64(v)), int64(binary.LittleEndian.Uint64(v))
		for i := 8; i < len(v); i += 8 {
			x := int64(binary.LittleEndian.Uint64(v[i:]))
			a, b = min(a, x), max(b, x)
		}
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
		a := math.Float64frombits(binary.LittleEndian.Uint64(v[i:]))
		b := a
		for i += 8; i < len(v); i += 8 {
			x := math.Float64frombits(binary.LittleEndian.Uint64(v[i:]))
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
		return binary.LittleEndian.AppendUint64(nil, math.Float64bits(a)), binary.LittleEndian.AppendUint64(nil, math.Float64bits(b)), true
	}
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
