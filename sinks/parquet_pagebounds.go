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
		a := plainAt(v, 0)
		b := a
		for i := 4 + len(a); i < len(v); {
			x := plainAt(v, i)
			switch {
			case compareBytes(x, a) < 0:
				a = x
			case compareBytes(x, b) > 0:
				b = x
			}
			i += 4 + len(x)
		}
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

// compareBytes is bytes.Compare, deciding first on the bytes' first 8
// when both have 8 that differ: on strings most comparisons against a
// page's bounds end there, sparing the call.
func compareBytes(x, y []byte) int {
	if len(x) >= 8 && len(y) >= 8 {
		p, q := binary.BigEndian.Uint64(x), binary.BigEndian.Uint64(y)
		switch {
		case p < q:
			return -1
		case p > q:
			return +1
		}
	}
	return bytes.Compare(x, y)
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
