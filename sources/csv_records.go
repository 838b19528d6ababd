package sources

import (
	"context"
	"io"
)

// eachRecord reads the records of unit i in file order, for both read
// paths (ReadUnit's rows, ReadBatchInto's columns): it hands each field to
// put with its column j, then calls done, which may ask line for the
// record's line, and returns the records read. A field put refuses is
// reported with its line and column; a unit holding more records than its
// scan found, or a record the reader refuses, as the unit's own error.
// The caller checks that the unit held all its records (checkRecords).
func (c *CSV) eachRecord(ctx context.Context, i int, put func(j int, field string) error, done func(line func() int64) error) (int64, error) {
	u, end := c.units[i], c.unitEnd(i)
	cr := c.newReader(u.offset, end-u.offset)
	ncols := len(c.cols)
	cr.FieldsPerRecord = ncols

	var got int64
	delta := u.line - 1 // file line minus reader line; exact from the first record on
	line := func() int64 {
		first, _ := cr.FieldPos(0)
		return int64(first) + delta
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return got, c.readError(i, delta, err, ncols)
		}
		if got == 0 {
			first, _ := cr.FieldPos(0)
			delta = u.line - int64(first)
		}
		if got++; got > u.rows {
			return got, c.tooManyRecords(i, u.line)
		}
		if got%csvBatchCheck == 0 {
			if err := ctx.Err(); err != nil {
				return got, err
			}
		}
		for j, field := range rec {
			if err := put(j, field); err != nil {
				at, _ := cr.FieldPos(j)
				return got, &InputError{Path: c.name, RowGroup: i, Line: int64(at) + delta, Column: c.cols[j].Name, Err: err}
			}
		}
		if err := done(line); err != nil {
			return got, err
		}
	}
}
