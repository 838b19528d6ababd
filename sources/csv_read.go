package sources

import (
	"context"
	"fmt"
	"io"

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
	u, end := c.units[i], c.unitEnd(i)
	cr := c.newReader(u.offset, end-u.offset)
	ncols := len(c.cols)
	cr.FieldsPerRecord = ncols

	b := newTextBatch(batch, ncols)
	var got int64
	delta := u.line - 1 // file line minus reader line; exact from the first record on
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return c.readError(i, delta, err, ncols)
		}
		if got == 0 {
			first, _ := cr.FieldPos(0)
			delta = u.line - int64(first)
		}
		if got++; got > u.rows {
			return c.tooManyRecords(i, u.line)
		}
		row := b.row()
		for j, field := range rec {
			v, err := c.value(j, field, &b.arena)
			if err != nil {
				line, _ := cr.FieldPos(j)
				return &InputError{Path: c.name, RowGroup: i, Line: int64(line) + delta, Column: c.cols[j].Name, Err: err}
			}
			row[j] = v
		}
		if err := c.layout.Check(row); err != nil {
			line, _ := cr.FieldPos(0)
			return &InputError{Path: c.name, RowGroup: i, Line: int64(line) + delta, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
		}
		if err := b.add(ctx, fn); err != nil {
			return err
		}
	}
	if err := b.flush(ctx, fn); err != nil {
		return err
	}
	return c.checkRecords(i, got)
}
