// Package columnar holds rows of a Parquet schema without repeated fields
// column by column: for every leaf column one definition level and one value
// slot per row, values packed in flat byte slices.
//
// It is the representation of splitdata's columnar hot path: Parquet pages
// decode into a [Batch] with a copy per page, a split's rows are picked out
// of it in place ([Batch.View], [Pick]) or copied ([Batch.Take], a gather
// per column), and the encoder hands each column's values to the Parquet
// writer in row order ([Rows]). Batches hold no
// pointers besides their slices, so the garbage collector scans nothing
// per value, unlike rows of parquet.Value.
package columnar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// Type is what a column's values are: their physical kind, the width in
// bytes of a fixed-width value, and the column's maximum definition level.
type Type struct {
	Kind   parquet.Kind
	Width  int  // bytes per value; 0 for ByteArray
	MaxDef byte // 0: required
}

// Layout is the types of a schema's leaf columns, in column order.
type Layout []Type

// ErrRepeated reports a schema with a repeated field, which batches cannot
// hold.
var ErrRepeated = errors.New("schema has repeated fields")

// LayoutOf returns the layout of schema's leaf columns, or an error wrapping
// [ErrRepeated] when a leaf has a repetition level (lists, maps, repeated
// fields): such rows are not one value slot per column.
func LayoutOf(schema *parquet.Schema) (Layout, error) {
	paths := schema.Columns()
	layout := make(Layout, len(paths))
	for c, path := range paths {
		leaf, ok := schema.Lookup(path...)
		if !ok {
			return nil, fmt.Errorf("column %d not found in schema", c)
		}
		if leaf.MaxRepetitionLevel > 0 {
			return nil, fmt.Errorf("%w: column %q", ErrRepeated, joinPath(path))
		}
		t := Type{Kind: leaf.Node.Type().Kind(), MaxDef: byte(leaf.MaxDefinitionLevel)}
		switch t.Kind {
		case parquet.Boolean:
			t.Width = 1
		case parquet.Int32, parquet.Float:
			t.Width = 4
		case parquet.Int64, parquet.Double:
			t.Width = 8
		case parquet.Int96:
			t.Width = 12
		case parquet.FixedLenByteArray:
			t.Width = leaf.Node.Type().Length()
			if t.Width <= 0 {
				return nil, fmt.Errorf("column %q: fixed length %d", joinPath(path), t.Width)
			}
		case parquet.ByteArray:
		default:
			return nil, fmt.Errorf("column %q: unknown kind %v", joinPath(path), t.Kind)
		}
		layout[c] = t
	}
	return layout, nil
}

func joinPath(path []string) string { return strings.Join(path, ".") }

// Column is one leaf column of a batch. Row r is null (at level Defs[r])
// when Defs[r] < MaxDef; a null's value slot is zero (fixed width) or empty
// (ByteArray).
type Column struct {
	Type
	// Defs holds one definition level per row; nil for a required column.
	Defs []byte
	// Fixed holds Width little-endian bytes per row, for every kind but
	// ByteArray. Booleans are one byte, 0 or 1.
	Fixed []byte
	// Offsets and Bytes hold ByteArray values: row r's value is
	// Bytes[Offsets[r]:Offsets[r+1]]. Offsets has one entry more than
	// there are rows (or is empty for no rows).
	Offsets []uint32
	Bytes   []byte
}

// Batch is rows held column by column. Len is the number of rows; Cols
// follows the layout the batch was made with.
type Batch struct {
	Len  int
	Cols []Column
}

// New returns an empty batch of layout with room for about rows rows.
func New(layout Layout, rows int) *Batch {
	b := &Batch{Cols: make([]Column, len(layout))}
	for c, t := range layout {
		col := &b.Cols[c]
		col.Type = t
		if t.MaxDef > 0 {
			col.Defs = make([]byte, 0, rows)
		}
		if t.Kind == parquet.ByteArray {
			col.Offsets = make([]uint32, 1, rows+1)
		} else {
			col.Fixed = make([]byte, 0, rows*t.Width)
		}
	}
	return b
}

// Size returns the bytes b's slices hold (their capacity), for memory
// accounting.
func (b *Batch) Size() int64 {
	var n int64
	for c := range b.Cols {
		col := &b.Cols[c]
		n += int64(cap(col.Defs) + cap(col.Fixed) + 4*cap(col.Offsets) + cap(col.Bytes))
	}
	return n
}

// maxBytes is the most value bytes one ByteArray column of a batch holds,
// bounded by its 32-bit offsets.
const maxBytes = math.MaxUint32

// ErrTooLarge reports a ByteArray column whose values exceed what a batch's
// 32-bit offsets address.
var ErrTooLarge = errors.New("column values exceed 4 GiB in one batch")

// Take returns a new batch of b's rows sel[0], sel[1], ...; a row may be
// taken more than once. It panics if an index is out of range.
func (b *Batch) Take(sel []int32) (*Batch, error) {
	if isRun(sel) {
		// One run of rows (every row of a unit goes to one output): a
		// copy per column.
		return b.Slice(int(sel[0]), int(sel[0])+len(sel)).clone(), nil
	}
	// Copying shorter runs of consecutive rows as blocks measured no
	// faster, even for an 80% split's runs of five rows (BenchmarkTake):
	// the copy calls cost what the word moves save.
	return b.take(sel)
}

// isRun reports whether sel is consecutive rows, each once.
func isRun(sel []int32) bool {
	if len(sel) == 0 {
		return false
	}
	for k, r := range sel {
		if r != sel[0]+int32(k) {
			return false
		}
	}
	return true
}

// clone returns a copy of b that shares no memory with it, its byte array
// offsets starting at 0.
func (b *Batch) clone() *Batch {
	out := &Batch{Len: b.Len, Cols: make([]Column, len(b.Cols))}
	for c := range b.Cols {
		src, dst := &b.Cols[c], &out.Cols[c]
		dst.Type = src.Type
		if src.Defs != nil {
			dst.Defs = slices.Clone(src.Defs[:b.Len])
		}
		if src.Width > 0 {
			dst.Fixed = slices.Clone(src.Fixed[:b.Len*src.Width])
			continue
		}
		lo := src.Offsets[0]
		dst.Offsets = make([]uint32, b.Len+1)
		for r, o := range src.Offsets[1 : b.Len+1] {
			dst.Offsets[r+1] = o - lo
		}
		dst.Bytes = slices.Clone(src.Bytes[lo:src.Offsets[b.Len]])
	}
	return out
}

// Slice returns rows [lo, hi) of b, sharing its memory.
func (b *Batch) Slice(lo, hi int) *Batch {
	out := &Batch{Len: hi - lo, Cols: make([]Column, len(b.Cols))}
	for c := range b.Cols {
		src, dst := &b.Cols[c], &out.Cols[c]
		dst.Type = src.Type
		if src.Defs != nil {
			dst.Defs = src.Defs[lo:hi:hi]
		}
		if src.Width == 0 {
			dst.Offsets = src.Offsets[lo : hi+1 : hi+1]
			dst.Bytes = src.Bytes
		} else {
			dst.Fixed = src.Fixed[lo*src.Width : hi*src.Width : hi*src.Width]
		}
	}
	return out
}

// Value returns row r of column c as a parquet.Value with its definition
// level and column index c set (repetition level 0). A ByteArray or
// FixedLenByteArray value refers to b's memory.
func (b *Batch) Value(c, r int) parquet.Value {
	col := &b.Cols[c]
	def := col.MaxDef
	if col.Defs != nil {
		def = col.Defs[r]
	}
	if def < col.MaxDef {
		return parquet.NullValue().Level(0, int(def), c)
	}
	var v parquet.Value
	switch col.Kind {
	case parquet.Boolean:
		v = parquet.BooleanValue(col.Fixed[r] != 0)
	case parquet.Int32:
		v = parquet.Int32Value(int32(binary.LittleEndian.Uint32(col.Fixed[4*r:])))
	case parquet.Int64:
		v = parquet.Int64Value(int64(binary.LittleEndian.Uint64(col.Fixed[8*r:])))
	case parquet.Int96:
		f := col.Fixed[12*r:]
		v = parquet.Int96Value(deprecated.Int96{
			binary.LittleEndian.Uint32(f), binary.LittleEndian.Uint32(f[4:]), binary.LittleEndian.Uint32(f[8:]),
		})
	case parquet.Float:
		v = parquet.FloatValue(math.Float32frombits(binary.LittleEndian.Uint32(col.Fixed[4*r:])))
	case parquet.Double:
		v = parquet.DoubleValue(math.Float64frombits(binary.LittleEndian.Uint64(col.Fixed[8*r:])))
	case parquet.FixedLenByteArray:
		w := col.Width
		v = parquet.FixedLenByteArrayValue(col.Fixed[w*r : w*r+w : w*r+w])
	case parquet.ByteArray:
		lo, hi := col.Offsets[r], col.Offsets[r+1]
		v = parquet.ByteArrayValue(col.Bytes[lo:hi:hi])
	}
	return v.Level(0, int(def), c)
}

// AppendValues appends the values of rows [lo, hi) of column c to dst, as
// [Batch.Value] makes them, and returns the extended slice.
func (b *Batch) AppendValues(dst []parquet.Value, c, lo, hi int) []parquet.Value {
	col := &b.Cols[c]
	at := len(dst)
	dst = slices.Grow(dst, hi-lo)[:at+hi-lo]
	vals := dst[at:]
	// Values are made without levels, which are set in place:
	// parquet.Value.Level is too large to inline and costs a call per
	// value, its in-place setters inline. A made value's levels are 0.
	switch col.Kind {
	case parquet.Int64:
		for k := range vals {
			vals[k] = parquet.Int64Value(int64(binary.LittleEndian.Uint64(col.Fixed[8*(lo+k):])))
			vals[k].SetColumnIndex(c)
		}
	case parquet.Double:
		for k := range vals {
			vals[k] = parquet.DoubleValue(math.Float64frombits(binary.LittleEndian.Uint64(col.Fixed[8*(lo+k):])))
			vals[k].SetColumnIndex(c)
		}
	case parquet.Int32:
		for k := range vals {
			vals[k] = parquet.Int32Value(int32(binary.LittleEndian.Uint32(col.Fixed[4*(lo+k):])))
			vals[k].SetColumnIndex(c)
		}
	case parquet.ByteArray:
		offsets := col.Offsets[lo : hi+1]
		for k := range vals {
			s, e := offsets[k], offsets[k+1]
			vals[k] = parquet.ByteArrayValue(col.Bytes[s:e:e])
			vals[k].SetColumnIndex(c)
		}
	default:
		for k := range vals {
			vals[k] = b.Value(c, lo+k)
		}
	}
	if col.Defs == nil {
		return dst
	}
	for k, d := range col.Defs[lo:hi] {
		v := &vals[k]
		if d < col.MaxDef {
			*v = parquet.NullValue()
			v.SetColumnIndex(c)
		}
		v.SetDefinitionLevel(int(d))
	}
	return dst
}

// Row appends row r of b to dst as a parquet.Row, values referring to b's
// memory, and returns it.
func (b *Batch) Row(dst parquet.Row, r int) parquet.Row {
	for c := range b.Cols {
		dst = append(dst, b.Value(c, r))
	}
	return dst
}

// Ref names row Row of batch Batch among a list of batches.
type Ref struct {
	Batch, Row int32
}

// Gather returns a new batch of the rows refs names among srcs, in the
// order of refs. The sources must share a layout. It panics if a
// reference is out of range.
func Gather(srcs []*Batch, refs []Ref) (*Batch, error) {
	if len(srcs) == 0 {
		if len(refs) > 0 {
			panic("columnar: Gather from no batches")
		}
		return &Batch{}, nil
	}
	out := &Batch{Len: len(refs), Cols: make([]Column, len(srcs[0].Cols))}
	cols := make([]*Column, len(srcs))
	for c := range out.Cols {
		for k, src := range srcs {
			cols[k] = &src.Cols[c]
		}
		if err := gatherColumn(&out.Cols[c], cols, refs); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// gatherColumn sets dst to the rows refs names among srcs, the same column
// of several batches. Widths 8 and 4 move a word per row rather than call
// copy, which costs a call to memmove per value.
func gatherColumn(dst *Column, srcs []*Column, refs []Ref) error {
	dst.Type = srcs[0].Type
	if dst.MaxDef > 0 {
		dst.Defs = make([]byte, len(refs))
		for k, ref := range refs {
			dst.Defs[k] = srcs[ref.Batch].Defs[ref.Row]
		}
	}
	switch w := dst.Width; w {
	case 0:
		total := 0
		for _, ref := range refs {
			src := srcs[ref.Batch]
			total += int(src.Offsets[ref.Row+1] - src.Offsets[ref.Row])
		}
		if int64(total) > maxBytes {
			return ErrTooLarge
		}
		dst.Offsets = make([]uint32, len(refs)+1)
		dst.Bytes = make([]byte, total)
		at := 0
		for k, ref := range refs {
			src := srcs[ref.Batch]
			at += copy(dst.Bytes[at:], src.Bytes[src.Offsets[ref.Row]:src.Offsets[ref.Row+1]])
			dst.Offsets[k+1] = uint32(at)
		}
	case 8:
		dst.Fixed = make([]byte, 8*len(refs))
		for k, ref := range refs {
			binary.LittleEndian.PutUint64(dst.Fixed[8*k:], binary.LittleEndian.Uint64(srcs[ref.Batch].Fixed[8*int(ref.Row):]))
		}
	case 4:
		dst.Fixed = make([]byte, 4*len(refs))
		for k, ref := range refs {
			binary.LittleEndian.PutUint32(dst.Fixed[4*k:], binary.LittleEndian.Uint32(srcs[ref.Batch].Fixed[4*int(ref.Row):]))
		}
	default:
		dst.Fixed = make([]byte, w*len(refs))
		for k, ref := range refs {
			r := w * int(ref.Row)
			copy(dst.Fixed[w*k:w*k+w], srcs[ref.Batch].Fixed[r:r+w])
		}
	}
	return nil
}
