package sources

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/splitdata/splitdata/internal/columnar"
)

// Arrow record batches as columnar batches, the fast path for Arrow inputs
// of a schema without lists or maps. A record batch is decoded and checked
// as ReadUnit decodes and checks it (arrow_read.go), or, for a range of the
// rows of an uncompressed batch of plain columns, only the bytes of those
// rows are read and checked the same way (arrow_direct.go); then the arrays
// are copied column by column into a [columnar.Batch]: fixed-width values whose
// Arrow and Parquet forms are the same bytes as one copy, validity bitmaps
// (of the field and of every struct above it) as definition levels, string
// and binary offsets and data as the column's offsets and bytes. Every other
// leaf (booleans, narrow integers, the types the mapping scales or
// re-encodes, views, dictionary-encoded arrays) goes through the same
// converter the row path uses (arrow_convert.go), value by value, so the
// batch holds the values and levels ReadUnit's rows hold, in the same
// order.

var _ RangeBatchReader = (*Arrow)(nil)

// Layout returns the columnar layout of the input's schema, one
// [columnar.Type] per leaf column, or an [*InputError] wrapping
// [ErrUnsupported] (and [columnar.ErrRepeated]) for a schema with a list
// or map, which only ReadUnit reads.
func (a *Arrow) Layout() (columnar.Layout, error) {
	layout, err := columnar.LayoutOf(a.schema)
	if err != nil {
		return nil, &InputError{Path: a.name, RowGroup: -1, Err: fmt.Errorf("%w: %w", ErrUnsupported, err)}
	}
	return layout, nil
}

// ReadBatch decodes record batch i into a columnar batch that belongs to
// the caller. It holds the rows [Arrow.ReadUnit] yields, with the same
// values and levels. Damaged data gives an [*InputError] wrapping
// [ErrCorrupt] naming the file, the record batch and, where known, the
// column; a schema [Arrow.Layout] refuses, a value the mapping cannot
// convert or a column that would take more than [MaxColumnChunkBytes] in
// the batch gives one wrapping [ErrUnsupported] (ReadUnit reports the
// first two the same way and may still read the third). ReadBatch may be
// called from several goroutines at once.
func (a *Arrow) ReadBatch(ctx context.Context, i int) (*columnar.Batch, error) {
	return a.ReadBatchInto(ctx, i, nil)
}

// ReadBatchInto is [Arrow.ReadBatch] decoding into reuse's memory where it
// is large enough: reuse, a batch the caller no longer needs (nor anything
// sliced from it), is overwritten and returned. A nil reuse, or one of
// another layout, is ignored.
func (a *Arrow) ReadBatchInto(ctx context.Context, i int, reuse *columnar.Batch) (*columnar.Batch, error) {
	if i < 0 || i >= len(a.batches) {
		return nil, fmt.Errorf("%s: record batch %d out of range [0,%d)", a.name, i, len(a.batches))
	}
	return a.readBatch(ctx, i, 0, a.batches[i].rows, reuse)
}

// ReadBatchRangeInto is [Arrow.ReadBatchInto] for rows [first,
// first+count) of record batch i: the batch holds the rows at those places
// of ReadBatch's batch. When [Arrow.ReadsRanges] reports so for batch i,
// only the bytes of those rows are read, and the memory taken is that of
// the range; else the whole batch is decoded, as ReadBatch decodes it. A
// range outside the record batch is an error.
func (a *Arrow) ReadBatchRangeInto(ctx context.Context, i int, first, count int64, reuse *columnar.Batch) (*columnar.Batch, error) {
	if i < 0 || i >= len(a.batches) {
		return nil, fmt.Errorf("%s: record batch %d out of range [0,%d)", a.name, i, len(a.batches))
	}
	if rows := a.batches[i].rows; first < 0 || count < 0 || first > rows-count {
		return nil, fmt.Errorf("%s: rows [%d, %d) out of record batch %d's %d rows", a.name, first, first+count, i, rows)
	}
	return a.readBatch(ctx, i, first, count, reuse)
}

// readBatch copies rows [first, first+count), a valid range, of record
// batch i into a batch, reusing reuse's memory.
func (a *Arrow) readBatch(ctx context.Context, i int, first, count int64, reuse *columnar.Batch) (*columnar.Batch, error) {
	b, err := a.fillBatch(ctx, i, first, count, reuse)
	return b, batchUnit(a.name, err)
}

func (a *Arrow) fillBatch(ctx context.Context, i int, first, count int64, reuse *columnar.Batch) (*columnar.Batch, error) {
	if !hostLittleEndian {
		return nil, &InputError{Path: a.name, RowGroup: i, Err: fmt.Errorf("%w: columnar decoding needs a little-endian machine", ErrUnsupported)}
	}
	layout, err := a.Layout()
	if err != nil {
		var ie *InputError
		if errors.As(err, &ie) {
			ie.RowGroup = i // a new error of Layout's, unshared
		}
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rec, at, err := a.record(i, first, count)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	b := &columnar.Batch{Cols: make([]columnar.Column, len(layout))}
	if reuse != nil && len(reuse.Cols) == len(layout) {
		b, reuse.Len = reuse, 0
	}
	f := arrowFill{a: a, rg: i, b: b, lo: int(at), n: int(count)}
	for c := range layout {
		col := &b.Cols[c]
		if col.Type != layout[c] {
			*col = columnar.Column{} // reused for another type: nothing to keep
		}
		col.Type = layout[c]
		if slot := slotBytes(col.Type); count > MaxColumnChunkBytes/slot {
			return nil, f.fail(c, fmt.Errorf("%w: %d rows of %d bytes (nulls included)", errBatchTooLarge, count, slot))
		}
	}
	err = guard(a.name, i, func() error {
		for k, n := range a.nodes {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := f.node(n, rec.Column(k), nil, 0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	b.Len = int(count)
	defs := make([][]byte, len(b.Cols))
	for c := range b.Cols {
		defs[c] = b.Cols[c].Defs
	}
	if err := a.layout.CheckColumns(defs); err != nil {
		return nil, corrupt(a.name, i, err)
	}
	return b, nil
}

// record returns the record batch holding rows [first, first+count) of
// record batch i, decoded and checked, and the row where they start in it:
// the rows alone, read from the buffers holding them, for a range of a
// batch that can be read so (arrow_direct.go); else the whole batch,
// decoded. The caller releases it.
func (a *Arrow) record(i int, first, count int64) (arrow.RecordBatch, int64, error) {
	if first != 0 || count != a.batches[i].rows {
		rec, err := a.rangeRecord(i, first, count)
		if !errors.Is(err, errNotPlain) {
			return rec, 0, err
		}
	}
	rec, err := a.decode(i)
	if err != nil {
		return nil, 0, err
	}
	if err := a.checkRecord(i, rec); err != nil {
		rec.Release()
		return nil, 0, err
	}
	return rec, first, nil
}

// checkRecord checks decoded record batch i against its header and the
// schema, as ReadUnit does.
func (a *Arrow) checkRecord(i int, rec arrow.RecordBatch) error {
	if want, got := a.batches[i].rows, rec.NumRows(); got != want {
		return corrupt(a.name, i, fmt.Errorf("header declares %d rows, found %d", want, got))
	}
	if int(rec.NumCols()) != len(a.nodes) {
		return corrupt(a.name, i, fmt.Errorf("%d columns for %d fields", rec.NumCols(), len(a.nodes)))
	}
	return nil
}

// arrowFill copies rows [lo, lo+n) of a record batch's arrays into the
// columns of a batch. It is for one goroutine.
type arrowFill struct {
	a       *Arrow
	rg      int
	b       *columnar.Batch
	lo, n   int
	scratch []byte // bytes a converter builds for one value
}

// fail wraps err, a problem with the data of column c, as an InputError:
// corruption, or an unsupported input for a value the mapping refuses or
// a column a batch cannot hold.
func (f *arrowFill) fail(c int, err error) error {
	var ie *InputError
	if errors.As(err, &ie) {
		return err
	}
	kind := ErrCorrupt
	if errors.Is(err, ErrUnsupported) || errors.Is(err, ErrCorrupt) {
		kind = nil // the converter said which
	} else if errors.Is(err, columnar.ErrTooLarge) || errors.Is(err, errBatchTooLarge) {
		kind = ErrUnsupported
	}
	if kind != nil {
		err = fmt.Errorf("%w: %w", kind, err)
	}
	return &InputError{Path: f.a.name, RowGroup: f.rg, Column: f.a.layout[c].Path, Err: err}
}

// node fills the columns of n from arr, n's array. up holds each row's
// definition level reached above n, nil when every row reached level d: a
// row reaches n when its level is d.
func (f *arrowFill) node(n *arrowNode, arr arrow.Array, up []byte, d int) error {
	if arr.Len() < f.lo+f.n {
		return f.fail(n.col, fmt.Errorf("array of %d rows for rows [%d, %d)", arr.Len(), f.lo, f.lo+f.n))
	}
	switch n.kind {
	case arrowStruct:
		defs, err := f.levels(n, arr, up, d, nil)
		if err != nil {
			return err
		}
		if n.nullable {
			d++
		}
		sa := arr.(*array.Struct)
		for k, c := range n.children {
			if err := f.node(c, sa.Field(k), defs, d); err != nil {
				return err
			}
		}
		return nil
	case arrowLeaf:
		col := &f.b.Cols[n.col]
		own := d
		if n.nullable {
			own++
		}
		if own != int(col.MaxDef) {
			return fmt.Errorf("internal error: column %s at level %d, layout says %d", n.path, own, col.MaxDef)
		}
		defs, err := f.levels(n, arr, up, d, col.Defs[:0])
		if err != nil {
			return err
		}
		if col.MaxDef > 0 {
			if defs == nil {
				defs = fillBytes(col.Defs[:0], col.MaxDef, f.n)
			}
			col.Defs = defs
		}
		if err := f.values(n, col, arr, defs); err != nil {
			return f.fail(n.col, err)
		}
		return nil
	}
	return fmt.Errorf("internal error: %s is a list in a schema without repeated fields", n.path)
}

// levels returns the definition level of each row at n, appended to dst,
// or nil when every row is defined there: a row that reached n (see node)
// and is not null in arr is at level d+1 if n is nullable, d otherwise; a
// null, at level d, in a field that is not nullable is an error, as in
// ReadUnit. A dictionary-encoded row is null when its index is or when the
// value it selects is.
func (f *arrowFill) levels(n *arrowNode, arr arrow.Array, up []byte, d int, dst []byte) ([]byte, error) {
	bits, off := arr.NullBitmapBytes(), arr.Data().Offset()
	var dict *array.Dictionary
	var dictBits []byte
	dictOff := 0
	if n.dict {
		dict = arr.(*array.Dictionary)
		dictBits, dictOff = dict.Dictionary().NullBitmapBytes(), dict.Dictionary().Data().Offset()
	}
	if up == nil && len(bits) == 0 && len(dictBits) == 0 {
		return nil, nil
	}
	own := d
	if n.nullable {
		own++
	}
	dst = dst[:0]
	for k := range f.n {
		if up != nil && up[k] != byte(d) {
			dst = append(dst, up[k])
			continue
		}
		r := f.lo + k
		null := len(bits) != 0 && !bitutil.BitIsSet(bits, off+r)
		if !null && len(dictBits) != 0 {
			x := dict.GetValueIndex(r)
			if x < 0 || x >= dict.Dictionary().Len() {
				return nil, f.fail(n.col, fmt.Errorf("row %d: dictionary index %d outside the %d values", r, x, dict.Dictionary().Len()))
			}
			null = !bitutil.BitIsSet(dictBits, dictOff+x)
		}
		if !null {
			dst = append(dst, byte(own))
			continue
		}
		if !n.nullable {
			return nil, &InputError{Path: f.a.name, RowGroup: f.rg, Column: n.path,
				Err: fmt.Errorf("row %d: %w: %w", r, ErrCorrupt, errNullInRequired)}
		}
		dst = append(dst, byte(d))
	}
	return dst, nil
}

// fillBytes returns dst with n bytes v appended.
func fillBytes(dst []byte, v byte, n int) []byte {
	at := len(dst)
	dst = grow(dst, n)
	for k := at; k < len(dst); k++ {
		dst[k] = v
	}
	return dst
}

// grow returns b extended by n bytes of unspecified content.
func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	out := make([]byte, len(b)+n)
	copy(out, b)
	return out
}
