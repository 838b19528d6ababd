package sources

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/splitdata/splitdata/internal/columnar"
)

// Dictionary-encoded pages. A page of dictionary indexes is expanded into
// the batch's column from the chunk's dictionary (a required column of
// the values). For a page of fixed-width values without nulls (the
// dictionary-encoded numbers and timestamps Polars and DuckDB write), the
// indexes are checked against the dictionary's size and gathered straight
// into the column's new value slots ([columnar.Column.ExtendFixed]), in
// typed loops for 4- and 8-byte values: appending them one at a time
// ([columnar.Column.AppendIndexed]) took a runtime call per value, and
// gathering them into scratch first cost a copy and the scratch. Pages
// with nulls, whose values are spread between null slots anyway, go
// through AppendIndexed, byte arrays through AppendIndexedBytes.

// appendIndexed appends the n rows of a page whose definition levels are
// defs and whose defined rows hold indexes into dict, to col, as
// [columnar.Column.AppendIndexed] does.
func appendIndexed(col *columnar.Column, n int, defs []byte, indexes []int32, dict *columnar.Column) error {
	w := col.Width
	if w == 0 {
		return col.AppendIndexedBytes(n, defs, indexes, dict)
	}
	if len(indexes) != n || dict.Kind != col.Kind || dict.Width != w {
		return col.AppendIndexed(n, defs, indexes, dict)
	}
	// As unsigned numbers, negative indexes are above any size: one
	// comparison, after a loop without branches.
	var top uint32
	for _, x := range indexes {
		top = max(top, uint32(x))
	}
	if size := dict.Rows(); len(indexes) > 0 && int64(top) >= int64(size) {
		for _, x := range indexes {
			if x < 0 || int(x) >= size {
				return fmt.Errorf("dictionary index %d out of range [0, %d)", x, size)
			}
		}
	}
	out, err := col.ExtendFixed(n, defs)
	if err != nil {
		return err
	}
	gatherFixed(out, indexes, dict.Fixed, w)
	return nil
}

// gatherFixed sets out, len(indexes) values of w bytes, to the w-byte
// values of dict (end to end) at indexes, which are in range. Values of 4
// and 8 bytes are copied as numbers, one load and one store each, where
// both can be viewed as such in place.
func gatherFixed(out []byte, indexes []int32, dict []byte, w int) {
	switch w {
	case 8:
		if o, d, ok := viewNumbers[uint64](out, dict); ok {
			gatherNumbers(o, indexes, d)
			return
		}
		for i, x := range indexes {
			binary.LittleEndian.PutUint64(out[8*i:], binary.LittleEndian.Uint64(dict[8*int(x):]))
		}
	case 4:
		if o, d, ok := viewNumbers[uint32](out, dict); ok {
			gatherNumbers(o, indexes, d)
			return
		}
		for i, x := range indexes {
			binary.LittleEndian.PutUint32(out[4*i:], binary.LittleEndian.Uint32(dict[4*int(x):]))
		}
	default:
		for i, x := range indexes {
			copy(out[w*i:w*i+w], dict[w*int(x):])
		}
	}
}

// gatherNumbers sets out[i] to dict[indexes[i]].
func gatherNumbers[T uint32 | uint64](out []T, indexes []int32, dict []T) {
	out = out[:len(indexes)]
	for i, x := range indexes {
		out[i] = dict[x]
	}
}

// viewNumbers returns out and dict viewed in place as numbers of T's size,
// which they can be on a little-endian machine when both are aligned to
// it (a batch's values are stored little-endian).
func viewNumbers[T uint32 | uint64](out, dict []byte) ([]T, []T, bool) {
	size := int(unsafe.Sizeof(T(0)))
	if !hostLittleEndian || len(out) == 0 || len(dict) == 0 {
		return nil, nil, false
	}
	po, pd := unsafe.Pointer(unsafe.SliceData(out)), unsafe.Pointer(unsafe.SliceData(dict))
	if uintptr(po)%uintptr(size) != 0 || uintptr(pd)%uintptr(size) != 0 {
		return nil, nil, false
	}
	return unsafe.Slice((*T)(po), len(out)/size), unsafe.Slice((*T)(pd), len(dict)/size), true
}
