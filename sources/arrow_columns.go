package sources

import (
	"context"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
)

// Reading some columns of an Arrow record batch, for the key passes
// (class counts of --stratify, group keys of --group). The batch's header
// is read and checked as for a read by ranges (arrow_direct.go), and the
// field nodes and buffers of every column are checked to be as the
// batch's rows need them; then only the buffers of the top-level fields
// holding the columns asked for are read (and, in a compressed body,
// decompressed), made into arrays and validated as arrow-go validates a
// decoded batch. A batch that cannot be read so (dictionary, view, list
// or map columns, a big-endian file or machine, or any buffer not as the
// rows need it) is decoded whole, as ReadUnit decodes it, so that a
// damaged batch gives ReadUnit's error. Either way only the fields asked
// for are shredded into values, by the row path's shredder: the values
// are those of ReadUnit's rows. Columns not asked for are not checked:
// a batch damaged only there reads without error here, as a Parquet row
// group's other column chunks do.

var (
	_ ColumnReader  = (*Arrow)(nil)
	_ ColumnsReader = (*Arrow)(nil)
)

// ReadColumn reads column col of record batch i; see [ColumnReader] and
// [Arrow.ReadColumns].
func (a *Arrow) ReadColumn(ctx context.Context, i, col, batch int, fn func(values []parquet.Value) error) error {
	return readColumn(ctx, a, i, col, batch, fn)
}

// readColumn is cr's ReadColumns of the one column col.
func readColumn(ctx context.Context, cr ColumnsReader, i, col, batch int, fn func(values []parquet.Value) error) error {
	return cr.ReadColumns(ctx, i, []int{col}, batch, func(values [][]parquet.Value) error { return fn(values[0]) })
}

// ReadColumns reads leaf columns cols of record batch i; see
// [ColumnsReader]. It reads only the buffers of the top-level fields
// holding those columns where the batch allows it (see the top of
// arrow_columns.go), and yields the values [Arrow.ReadUnit]'s rows hold
// for those columns. Damaged data gives an [*InputError] wrapping
// [ErrCorrupt] naming the file, the record batch and, where known, the
// column, as ReadUnit's do. It may be called from several goroutines at
// once.
func (a *Arrow) ReadColumns(ctx context.Context, i int, cols []int, batch int, fn func(values [][]parquet.Value) error) error {
	return batchUnit(a.name, a.readColumns(ctx, i, cols, batch, fn))
}

func (a *Arrow) readColumns(ctx context.Context, i int, cols []int, batch int, fn func(values [][]parquet.Value) error) error {
	if i < 0 || i >= len(a.batches) {
		return fmt.Errorf("%s: record batch %d out of range [0,%d)", a.name, i, len(a.batches))
	}
	if batch <= 0 || len(cols) == 0 {
		return fmt.Errorf("%s: read of %d columns in batches of %d rows", a.name, len(cols), batch)
	}
	want := make([]bool, len(a.nodes))
	for _, col := range cols {
		if col < 0 || col >= a.leaves {
			return fmt.Errorf("%s: column %d out of range [0,%d)", a.name, col, a.leaves)
		}
		if a.layout[col].MaxRep > 0 {
			return fmt.Errorf("%s: column %q is repeated: its values are not one a row", a.name, a.layout[col].Path)
		}
		for k, n := range a.nodes {
			want[k] = want[k] || (col >= n.col && col < n.col+n.leaves)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	arrs, err := a.fieldArrays(i, want)
	if err != nil {
		return err
	}
	defer func() {
		for _, arr := range arrs {
			if arr != nil {
				arr.Release()
			}
		}
	}()
	var s shredder
	s.cols = make([][]parquet.Value, a.leaves)
	out := make([][]parquet.Value, len(cols))
	for k := range out {
		out[k] = make([]parquet.Value, 0, batch)
	}
	rows := int(a.batches[i].rows)
	for lo := 0; lo < rows; lo += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		s.scratch = s.scratch[:0] // the last batch's values are gone
		for k := range out {
			out[k] = out[k][:0]
		}
		for r := lo; r < min(lo+batch, rows); r++ {
			if err := a.shredFields(&s, arrs, r); err != nil {
				return &InputError{Path: a.name, RowGroup: i, Column: err.column, Err: fmt.Errorf("row %d: %w", r, err.err)}
			}
			for k, col := range cols {
				if len(s.cols[col]) != 1 {
					return corrupt(a.name, i, fmt.Errorf("row %d: column %q: %d values for one row", r, a.layout[col].Path, len(s.cols[col])))
				}
				out[k] = append(out[k], s.cols[col][0])
			}
		}
		if err := fn(out); err != nil {
			return err
		}
	}
	return nil
}

// shredFields shreds row r of the fields whose arrays arrs holds (nil for
// the others) into s.cols, emptied first for their columns.
func (a *Arrow) shredFields(s *shredder, arrs []arrow.Array, r int) *shredError {
	for k, n := range a.nodes {
		if arrs[k] == nil {
			continue
		}
		for c := n.col; c < n.col+n.leaves; c++ {
			s.cols[c] = s.cols[c][:0]
		}
		if err := s.emit(n, arrs[k], r, 0, 0, 0); err != nil {
			var se *shredError
			if errors.As(err, &se) {
				return se
			}
			return &shredError{column: n.path, err: err}
		}
	}
	return nil
}

// fieldArrays returns the arrays of the top-level fields of record batch
// i that want selects (nil for the others), checked: read from their
// buffers alone where the batch allows, else taken from the batch decoded
// whole. The caller releases them.
func (a *Arrow) fieldArrays(i int, want []bool) ([]arrow.Array, error) {
	if arrs, err := a.readFields(i, want); err == nil {
		return arrs, nil
	}
	// Not plain, or something is wrong with the batch: decode it as
	// ReadUnit does, which reports what is wrong as ReadUnit reports it.
	rec, err := a.decode(i)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	if err := a.checkRecord(i, rec); err != nil {
		return nil, err
	}
	arrs := make([]arrow.Array, len(a.nodes))
	for k := range want {
		if want[k] {
			arrs[k] = rec.Column(k)
			arrs[k].Retain()
		}
	}
	return arrs, nil
}

// readFields reads the arrays of the fields want selects from their
// buffers alone (see the top of this file), or fails for a batch that
// cannot be read so or is damaged.
func (a *Arrow) readFields(i int, want []bool) (arrs []arrow.Array, err error) {
	pb, err := a.plainBatch(i, true)
	if err != nil {
		return nil, err
	}
	rows := a.batches[i].rows
	r := rangeReader{a: a, pb: pb, rows: rows, e: rows}
	defer func() { r.inf.close() }() // r.inf is made when first needed
	arrs = make([]arrow.Array, len(a.nodes))
	defer func() {
		if err != nil {
			for _, arr := range arrs {
				if arr != nil {
					arr.Release()
				}
			}
		}
	}()
	for k, f := range a.arrowSchema.Fields() {
		r.pathForErr, r.dry = f.Name, !want[k]
		d, err := r.array(f.Type)
		if err != nil {
			return nil, err
		}
		if d == nil {
			continue
		}
		arrs[k] = array.MakeFromData(d)
		d.Release()
		if err := guard(a.name, i, func() error { return array.ValidateFull(arrs[k]) }); err != nil {
			return nil, err
		}
	}
	return arrs, nil
}
