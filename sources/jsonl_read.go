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

// ReadColumns reads columns cols of unit i; see [ColumnsReader]. Every
// record is still parsed, to find where the next one starts and check
// that it is a record of the schema, but only the values of cols are
// converted (and checked against their columns' types): the key passes
// of --stratify and --group skip converting the others. A value that does
// not fit its column is reported as by [JSONL.ReadUnit].
func (j *JSONL) ReadColumns(ctx context.Context, i int, cols []int, batch int, fn func(values [][]parquet.Value) error) error {
	return j.readColumns(ctx, i, len(j.cols), cols, batch, fn, func(tc *textColumns) (int64, error) {
		put := func(c int, p jsonPair) (err error) {
			if tc.want[c] {
				tc.row[c], err = j.value(c, p, &tc.arena)
			}
			return err
		}
		missing := func(c int) { tc.row[c] = parquet.NullValue().Level(0, 0, c) }
		return j.eachRecord(ctx, i, put, missing, func(int64) error { return tc.add(ctx, fn) })
	})
}

// ReadColumn reads column col of unit i; see [ColumnReader] and
// [JSONL.ReadColumns].
func (j *JSONL) ReadColumn(ctx context.Context, i, col, batch int, fn func(values []parquet.Value) error) error {
	return readColumn(ctx, j, i, col, batch, fn)
}

var (
	_ ColumnReader  = (*JSONL)(nil)
	_ ColumnsReader = (*JSONL)(nil)
)
