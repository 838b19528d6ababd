package sources

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// values copies the values of rows [lo, lo+n) of arr, the array of leaf n,
// into col, whose definition levels are defs (nil: every row defined): a
// null's value slot is zero, or empty for a ByteArray. Each value is the
// one n's converter makes.
func (f *arrowFill) values(n *arrowNode, col *columnar.Column, arr arrow.Array, defs []byte) error {
	if f.n == 0 {
		// No row to read: an empty array's buffers may be empty too.
		col.Fixed, col.Bytes = col.Fixed[:0], col.Bytes[:0]
		col.Offsets = append(col.Offsets[:0], 0)
		return nil
	}
	if !n.dict {
		var done bool
		var err error
		if col.Width == 0 {
			done, err = f.byteArrays(col, arr, defs)
		} else {
			done, err = f.fixed(col, arr, defs)
		}
		if done || err != nil {
			return err
		}
	}
	return f.convert(n, col, arr, defs)
}

// rawWidth returns the bytes of one value of arr when they are, as they
// are, the value n's converter makes (same width, same bits), 0 when
// they are not.
func rawWidth(arr arrow.Array) int {
	switch t := arr.DataType().(type) {
	case *arrow.Int32Type, *arrow.Uint32Type, *arrow.Date32Type, *arrow.Float32Type:
		return 4
	case *arrow.Int64Type, *arrow.Uint64Type, *arrow.Float64Type, *arrow.Time64Type:
		return 8
	case *arrow.TimestampType:
		if t.Unit != arrow.Second {
			return 8
		}
	case *arrow.Time32Type:
		if t.Unit == arrow.Millisecond {
			return 4
		}
	case *arrow.FixedSizeBinaryType:
		return t.ByteWidth
	}
	return 0
}

// fixed copies the values of a fixed-width column whose Arrow values are
// its bytes, or booleans, and reports whether it did.
func (f *arrowFill) fixed(col *columnar.Column, arr arrow.Array, defs []byte) (bool, error) {
	w := col.Width
	bufs := arr.Data().Buffers()
	off := arr.Data().Offset()
	_, boolean := arr.(*array.Boolean)
	raw := rawWidth(arr)
	plain := boolean && col.Kind == parquet.Boolean || !boolean && raw > 0 && raw == w
	if !plain || len(bufs) < 2 {
		return false, nil
	}
	var data []byte
	if bufs[1] != nil {
		data = bufs[1].Bytes()
	}
	col.Fixed = grow(col.Fixed[:0], f.n*w)
	if boolean {
		if need := (off + f.lo + f.n + 7) / 8; f.n > 0 && len(data) < need {
			return true, fmt.Errorf("%w: boolean buffer of %d bytes for %d rows from %d", ErrCorrupt, len(data), f.n, off+f.lo)
		}
		for k := range f.n {
			v := byte(0)
			if bitutil.BitIsSet(data, off+f.lo+k) {
				v = 1
			}
			col.Fixed[k] = v
		}
	} else {
		start := (off + f.lo) * w
		if f.n > 0 && (start < 0 || len(data)-start < f.n*w) {
			return true, fmt.Errorf("%w: values buffer of %d bytes for %d values of %d bytes from %d", ErrCorrupt, len(data), f.n, w, off+f.lo)
		}
		copy(col.Fixed, data[start:])
	}
	for k, d := range defs {
		if d < col.MaxDef {
			clear(col.Fixed[k*w : k*w+w])
		}
	}
	return true, nil
}

// byteArrays copies the values of a ByteArray column from a string or
// binary array with offsets, and reports whether it did.
func (f *arrowFill) byteArrays(col *columnar.Column, arr arrow.Array, defs []byte) (bool, error) {
	var data []byte
	if bufs := arr.Data().Buffers(); len(bufs) > 2 && bufs[2] != nil {
		data = bufs[2].Bytes()
	}
	switch a := arr.(type) {
	case *array.String:
		return true, copyByteArrays(col, a.ValueOffsets(), data, f.lo, f.n, defs)
	case *array.Binary:
		return true, copyByteArrays(col, a.ValueOffsets(), data, f.lo, f.n, defs)
	case *array.LargeString:
		return true, copyByteArrays(col, a.ValueOffsets(), data, f.lo, f.n, defs)
	case *array.LargeBinary:
		return true, copyByteArrays(col, a.ValueOffsets(), data, f.lo, f.n, defs)
	}
	return false, nil
}

// copyByteArrays sets col's offsets and bytes to rows [lo, lo+n) of the
// values offs and data hold, offs holding an offset per row and one more,
// checked: in range and not decreasing. Without nulls, or when every null
// is empty, the rows' bytes are one copy; else each defined row's.
func copyByteArrays[T int32 | int64](col *columnar.Column, offs []T, data []byte, lo, n int, defs []byte) error {
	col.Offsets = append(col.Offsets[:0], 0)
	col.Bytes = col.Bytes[:0]
	if n == 0 {
		return nil
	}
	if len(offs) < lo+n+1 {
		return fmt.Errorf("%w: %d offsets for rows [%d, %d)", ErrCorrupt, len(offs), lo, lo+n)
	}
	o := offs[lo : lo+n+1]
	base, end := o[0], o[n]
	if base < 0 || end < base || int64(end) > int64(len(data)) {
		return fmt.Errorf("%w: values [%d, %d) outside the %d bytes of data", ErrCorrupt, base, end, len(data))
	}
	whole := true
	for k, d := range defs {
		if d < col.MaxDef && o[k+1] != o[k] {
			whole = false
			break
		}
	}
	if whole && int64(end-base) > MaxColumnChunkBytes {
		return errBatchTooLarge
	}
	if cap(col.Offsets) < n+1 {
		col.Offsets = make([]uint32, n+1)
	}
	col.Offsets = col.Offsets[:n+1]
	at := int64(0)
	for k := 1; k <= n; k++ {
		if o[k] < o[k-1] || o[k] > end {
			return fmt.Errorf("%w: offset %d of row %d after %d", ErrCorrupt, o[k], lo+k, o[k-1])
		}
		if whole || defs[k-1] == col.MaxDef {
			at += int64(o[k] - o[k-1])
		}
		col.Offsets[k] = uint32(at)
	}
	if whole {
		col.Bytes = append(col.Bytes, data[base:end]...)
		return nil
	}
	if at > MaxColumnChunkBytes {
		return errBatchTooLarge
	}
	col.Bytes = grow(col.Bytes, int(at))
	for k, d := range defs {
		if d == col.MaxDef {
			copy(col.Bytes[col.Offsets[k]:col.Offsets[k+1]], data[o[k]:o[k+1]])
		}
	}
	return nil
}

// convert copies the values of rows [lo, lo+n) of arr, the array of leaf
// n, into col through n's converter, one value at a time: the types whose
// Arrow bytes are not the Parquet value's, and dictionary-encoded arrays.
func (f *arrowFill) convert(n *arrowNode, col *columnar.Column, arr arrow.Array, defs []byte) error {
	vals := arr
	var dict *array.Dictionary
	if n.dict {
		dict = arr.(*array.Dictionary)
		vals = dict.Dictionary()
	}
	w := col.Width
	col.Fixed = col.Fixed[:0]
	col.Offsets = append(col.Offsets[:0], 0)
	col.Bytes = col.Bytes[:0]
	if w == 0 && cap(col.Offsets) < f.n+1 {
		col.Offsets = append(make([]uint32, 0, f.n+1), 0)
	}
	if w > 0 && cap(col.Fixed) < f.n*w {
		col.Fixed = make([]byte, 0, f.n*w)
	}
	for k := range f.n {
		r := f.lo + k
		if defs != nil && defs[k] < col.MaxDef {
			if w == 0 {
				col.Offsets = append(col.Offsets, uint32(len(col.Bytes)))
			} else {
				col.Fixed = append(col.Fixed, make([]byte, w)...)
			}
			continue
		}
		i := r
		if dict != nil {
			i = dict.GetValueIndex(r)
			if i < 0 || i >= vals.Len() {
				return fmt.Errorf("%w: row %d: dictionary index %d outside the %d values", ErrCorrupt, r, i, vals.Len())
			}
		}
		f.scratch = f.scratch[:0]
		v, err := n.leaf(vals, i, &f.scratch)
		if err != nil {
			return fmt.Errorf("row %d: %w", r, err)
		}
		if err := appendArrowValue(col, v); err != nil {
			return fmt.Errorf("row %d: %w", r, err)
		}
	}
	return nil
}

// appendArrowValue appends v's value, of col's kind, to col's values (not
// its levels). A column's byte arrays past MaxColumnChunkBytes are
// errBatchTooLarge, as in Parquet's batches.
func appendArrowValue(col *columnar.Column, v parquet.Value) error {
	if col.Kind == parquet.ByteArray && int64(len(col.Bytes))+int64(len(v.ByteArray())) > MaxColumnChunkBytes {
		return errBatchTooLarge
	}
	if err := col.AppendDefined(v); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	return nil
}
