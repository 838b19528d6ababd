package sources

import (
	"context"
	"fmt"

	"github.com/parquet-go/parquet-go"
)

// ReadUnit parses the records of unit i, converts their values to values
// of the schema and streams them to fn in batches of at most batch rows
// (at least 1), in file order. The rows passed to fn, and the byte slices
// of their values, are borrowed: they are valid only until fn returns.
// ReadUnit checks that the unit holds exactly the records the scan found.
// A record that is not valid JSON, or a value that does not fit its column,
// is reported as an [*InputError] with its line and key.
func (j *JSONL) ReadUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	if err := j.checkUnit(i); err != nil {
		return err
	}
	b := newTextBatch(batch, len(j.cols))
	var row parquet.Row // the record's, from its first value on
	put := func(c int, p jsonPair) error {
		if row == nil {
			row = b.row()
		}
		v, err := j.value(c, p, &b.arena)
		row[c] = v
		return err
	}
	missing := func(c int) {
		if row == nil {
			row = b.row()
		}
		row[c] = parquet.NullValue().Level(0, 0, c)
	}
	got, err := j.eachRecord(ctx, i, put, missing, func(line int64) error {
		r := row
		row = nil
		if err := j.layout.Check(r); err != nil {
			return &InputError{Path: j.name, RowGroup: i, Line: line, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
		}
		return b.add(ctx, fn)
	})
	if err != nil {
		return err
	}
	if err := b.flush(ctx, fn); err != nil {
		return err
	}
	return j.checkRecords(i, got)
}
