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
	if i < 0 || i >= len(c.units) {
		return fmt.Errorf("%s: unit %d out of range [0,%d)", c.name, i, len(c.units))
	}
	batch = max(batch, 1)
	u, end := c.units[i], c.unitEnd(i)
	cr := c.newReader(u.offset, end-u.offset)
	ncols := len(c.cols)
	cr.FieldsPerRecord = ncols

	values := make([]parquet.Value, batch*ncols)
	rows := make([]parquet.Row, batch)
	for k := range rows {
		rows[k] = values[k*ncols : (k+1)*ncols : (k+1)*ncols]
	}
	var arena []byte // string bytes of the current batch
	k := 0           // rows in the current batch
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
			return &InputError{Path: c.name, RowGroup: i, Line: u.line, Err: fmt.Errorf("%w: unit holds more than the %d records found when the file was opened", ErrCorrupt, u.rows)}
		}
		row := rows[k]
		for j, field := range rec {
			v, err := c.value(j, field, &arena)
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
		if k++; k == batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(rows[:k]); err != nil {
				return err
			}
			k, arena = 0, arena[:0]
		}
	}
	if k > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(rows[:k]); err != nil {
			return err
		}
	}
	if got != u.rows {
		return &InputError{Path: c.name, RowGroup: i, Line: u.line, Err: fmt.Errorf("%w: unit holds %d records, %d when the file was opened", ErrCorrupt, got, u.rows)}
	}
	return nil
}
