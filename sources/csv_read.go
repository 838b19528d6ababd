package sources

import (
	"context"
	"fmt"

	"github.com/parquet-go/parquet-go"
)

// ReadUnit parses the records of unit i, converts their fields to values
// of the schema and streams them to fn in batches of at most batch rows
// (at least 1), in file order. The rows passed to fn, and the byte slices
// of their values, are borrowed: they are valid only until fn returns.
// ReadUnit checks that the unit holds exactly the records the scan found.
// A field that does not fit its column's type is reported as an
// [*InputError] wrapping [ErrCorrupt] (invalid UTF-8: [ErrUnsupported])
// with its line and column.
func (c *CSV) ReadUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	if err := c.checkUnit(i); err != nil {
		return err
	}
	b := newTextBatch(batch, len(c.cols))
	var row parquet.Row
	put := func(j int, field string) error {
		if j == 0 {
			row = b.row()
		}
		v, err := c.value(j, field, &b.arena)
		row[j] = v
		return err
	}
	got, err := c.eachRecord(ctx, i, put, func(line func() int64) error {
		if err := c.layout.Check(row); err != nil {
			return &InputError{Path: c.name, RowGroup: i, Line: line(), Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
		}
		return b.add(ctx, fn)
	})
	if err != nil {
		return err
	}
	if err := b.flush(ctx, fn); err != nil {
		return err
	}
	return c.checkRecords(i, got)
}

// ReadColumns reads columns cols of unit i; see [ColumnsReader]. Every
// record is still parsed, to find where the next one starts, and checked
// to hold a field per column, but only the fields of cols are converted
// (and checked against their columns' types): the key passes of
// --stratify and --group skip converting the others. A field that does
// not fit its column's type is reported as by [CSV.ReadUnit].
func (c *CSV) ReadColumns(ctx context.Context, i int, cols []int, batch int, fn func(values [][]parquet.Value) error) error {
	return c.readColumns(ctx, i, len(c.cols), cols, batch, fn, func(tc *textColumns) (int64, error) {
		put := func(j int, field string) (err error) {
			if tc.want[j] {
				tc.row[j], err = c.value(j, field, &tc.arena)
			}
			return err
		}
		return c.eachRecord(ctx, i, put, func(func() int64) error { return tc.add(ctx, fn) })
	})
}

// ReadColumn reads column col of unit i; see [ColumnReader] and
// [CSV.ReadColumns].
func (c *CSV) ReadColumn(ctx context.Context, i, col, batch int, fn func(values []parquet.Value) error) error {
	return readColumn(ctx, c, i, col, batch, fn)
}

var (
	_ ColumnReader  = (*CSV)(nil)
	_ ColumnsReader = (*CSV)(nil)
)
