package splitter

import (
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
)

// AppendGroupValue appends to b the canonical bytes of a group value
// (docs/algorithm.md section 7b), the bytes a [GroupHasher] hashes: 0x00
// for nil, else 0x01 followed by a bool as "true" or "false", an int32 or
// int64 in decimal, a string or []byte as its bytes. These are the values
// of the column types a grouped split accepts (BOOLEAN, INT32, INT64,
// BYTE_ARRAY), as the CLI reads them: it is for callers that hold a row's
// group value rather than a Parquet column, such as the Beam transforms.
// Any other type is an error wrapping [ErrUsage].
func AppendGroupValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, 0), nil
	case bool:
		return strconv.AppendBool(append(b, 1), v), nil
	case int32:
		return strconv.AppendInt(append(b, 1), int64(v), 10), nil
	case int64:
		return strconv.AppendInt(append(b, 1), v, 10), nil
	case string:
		return append(append(b, 1), v...), nil
	case []byte:
		return append(append(b, 1), v...), nil
	default:
		return b, fmt.Errorf("%w: a group value is a bool, int32, int64, string or []byte, not %T", ErrUsage, v)
	}
}

// AppendContentValue appends to b the canonical bytes of a value compared
// by content (--group-by-content, docs/algorithm.md section 19): those of
// [AppendGroupValue] for its types, and for a float32 or float64 0x01
// followed by the 8 bytes, big-endian, of the value as a float64, with
// -0.0 written as 0.0 and every NaN as 0x7ff8000000000000, so that equal
// numbers, and all NaNs, have equal bytes. Any other type is an error
// wrapping [ErrUsage].
func AppendContentValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case float32:
		return AppendFloatValue(b, float64(v)), nil
	case float64:
		return AppendFloatValue(b, v), nil
	}
	b, err := AppendGroupValue(b, v)
	if err != nil {
		return b, fmt.Errorf("%w: a content value is a bool, int32, int64, float32, float64, string or []byte, not %T", ErrUsage, v)
	}
	return b, nil
}

// AppendFloatValue appends the canonical bytes of a non-null floating
// point value, as [AppendContentValue] defines them.
func AppendFloatValue(b []byte, f float64) []byte {
	bits := math.Float64bits(f)
	switch {
	case f == 0:
		bits = 0 // -0.0 is 0.0
	case f != f:
		bits = canonicalNaN
	}
	return binary.BigEndian.AppendUint64(append(b, 1), bits)
}

// canonicalNaN is the bits every NaN is written as: Python's float("nan").
const canonicalNaN = 0x7ff8000000000000

// CompositeLengthBytes is the size of the length that precedes each
// column's canonical bytes in a composite group value.
const CompositeLengthBytes = 4

// BeginCompositePart starts the part of one column in a composite group
// value of several columns (docs/algorithm.md section 19): it appends a
// placeholder for the part's length and returns b and where the part
// starts. Append the column's canonical bytes, then call
// [EndCompositePart] with that start.
func BeginCompositePart(b []byte) ([]byte, int) {
	b = append(b, 0, 0, 0, 0)
	return b, len(b)
}

// EndCompositePart writes the length of the part that began at start
// (see [BeginCompositePart]): 4 bytes, big-endian, before it. A part of
// 2^32 bytes or more is a caller bug and panics; Parquet byte arrays are
// below 2^31 bytes.
func EndCompositePart(b []byte, start int) []byte {
	n := len(b) - start
	if uint64(n) > math.MaxUint32 {
		panic("splitter: composite part of 4 GiB or more")
	}
	binary.BigEndian.PutUint32(b[start-CompositeLengthBytes:start], uint32(n))
	return b
}

// AppendGroupValues appends to b the canonical bytes of a group made of
// several columns' values, in the listed order (--group A,B or
// --group-by-content, docs/algorithm.md section 19): for one value, its
// bytes as [AppendContentValue] gives them (for the types of
// [AppendGroupValue], those bytes: a one-column group keeps its key); for
// several, the concatenation, for each value, of its bytes' length as 4
// bytes big-endian followed by the bytes. The lengths make the encoding
// injective: different lists of values never give equal bytes. Types are
// as for [AppendContentValue]; an empty list is an error wrapping
// [ErrUsage].
func AppendGroupValues(b []byte, values ...any) ([]byte, error) {
	switch len(values) {
	case 0:
		return b, fmt.Errorf("%w: a group has at least one value", ErrUsage)
	case 1:
		return AppendContentValue(b, values[0])
	}
	orig := len(b)
	for _, v := range values {
		var start int
		var err error
		b, start = BeginCompositePart(b)
		if b, err = AppendContentValue(b, v); err != nil {
			return b[:orig], err
		}
		b = EndCompositePart(b, start)
	}
	return b, nil
}
