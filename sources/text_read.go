package sources

import (
	"context"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// What reading CSV and JSON Lines share: the byte order mark skipped at
// the start, the bounds of a unit, and the batches its rows are handed
// out in.

// start returns the offset of the first byte after a byte order mark.
func (t *textFile) start() (int64, error) {
	var bom [len(utf8BOM)]byte
	n, err := t.r.ReadAt(bom[:], 0)
	if n == len(bom) && string(bom[:]) == utf8BOM && t.size >= int64(len(bom)) {
		return int64(len(bom)), nil
	}
	if err != nil && err != io.EOF {
		return 0, &InputError{Path: t.name, RowGroup: -1, Err: fmt.Errorf("read: %w", err)}
	}
	return 0, nil
}

// checkUnit reports whether i is a unit of t.
func (t *textFile) checkUnit(i int) error {
	if i < 0 || i >= len(t.units) {
		return fmt.Errorf("%s: unit %d out of range [0,%d)", t.name, i, len(t.units))
	}
	return nil
}

// tooManyRecords is the error of unit i when it holds more than the
// records the scan found.
func (t *textFile) tooManyRecords(i int, line int64) error {
	return &InputError{Path: t.name, RowGroup: i, Line: line, Err: fmt.Errorf("%w: unit holds more than the %d records found when the file was opened", ErrCorrupt, t.units[i].rows)}
}

// checkRecords reports, once unit i is read whole, whether it held the got
// records the scan found.
func (t *textFile) checkRecords(i int, got int64) error {
	u := t.units[i]
	if got != u.rows {
		return &InputError{Path: t.name, RowGroup: i, Line: u.line, Err: fmt.Errorf("%w: unit holds %d records, %d when the file was opened", ErrCorrupt, got, u.rows)}
	}
	return nil
}

// textBatch is the rows of a unit being read, handed to the caller's fn
// up to size rows at a time. The rows and the bytes in arena are reused
// from batch to batch: fn borrows them until it returns. It is for one
// goroutine.
type textBatch struct {
	rows  []parquet.Row
	arena []byte // string bytes of the current batch's values
	k     int    // rows filled in the current batch
}

// newTextBatch returns a batch of size rows (at least 1) of ncols values.
func newTextBatch(size, ncols int) *textBatch {
	size = max(size, 1)
	values := make([]parquet.Value, size*ncols)
	rows := make([]parquet.Row, size)
	for k := range rows {
		rows[k] = values[k*ncols : (k+1)*ncols : (k+1)*ncols]
	}
	return &textBatch{rows: rows}
}

// row returns the row to fill next.
func (b *textBatch) row() parquet.Row { return b.rows[b.k] }

// add counts the row just filled and, when the batch is full, hands it to
// fn (unless ctx is done) and starts the next.
func (b *textBatch) add(ctx context.Context, fn func(rows []parquet.Row) error) error {
	if b.k++; b.k < len(b.rows) {
		return nil
	}
	return b.flush(ctx, fn)
}

// flush hands the rows filled and not yet handed out to fn (unless ctx is
// done) and starts the next batch.
func (b *textBatch) flush(ctx context.Context, fn func(rows []parquet.Row) error) error {
	if b.k == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := fn(b.rows[:b.k]); err != nil {
		return err
	}
	b.k, b.arena = 0, b.arena[:0]
	return nil
}

// readColumns is ReadColumns of unit i of a file of ncols columns: each
// reads the unit's records, putting the values of the columns asked for
// into tc.row and calling tc.add after each record, and returns the
// records read.
func (t *textFile) readColumns(ctx context.Context, i, ncols int, cols []int, batch int, fn func(values [][]parquet.Value) error, each func(tc *textColumns) (int64, error)) error {
	if err := t.checkUnit(i); err != nil {
		return err
	}
	tc, err := newTextColumns(t.name, ncols, cols, batch)
	if err != nil {
		return err
	}
	got, err := each(tc)
	if err != nil {
		return err
	}
	if err := tc.flush(ctx, fn); err != nil {
		return err
	}
	return t.checkRecords(i, got)
}

// textColumns is the values of some columns of a unit's records being
// read (ReadColumns of CSV and JSON Lines), handed to the caller's fn up
// to batch rows at a time: the record's values go to row (only those of
// the columns in want need be set), add copies those of cols. The values
// and the bytes in arena are reused from batch to batch: fn borrows them
// until it returns. It is for one goroutine.
type textColumns struct {
	cols  []int
	want  []bool            // by column: in cols
	row   []parquet.Value   // the current record's values, by column
	out   [][]parquet.Value // [k]: the batch's values of column cols[k]
	arena []byte            // string bytes of the current batch's values
	batch int
}

// newTextColumns returns the reader of columns cols, in batches of batch
// rows, of a file of ncols columns, named name in errors.
func newTextColumns(name string, ncols int, cols []int, batch int) (*textColumns, error) {
	if batch <= 0 || len(cols) == 0 {
		return nil, fmt.Errorf("%s: read of %d columns in batches of %d rows", name, len(cols), batch)
	}
	t := &textColumns{cols: cols, want: make([]bool, ncols), row: make([]parquet.Value, ncols),
		out: make([][]parquet.Value, len(cols)), batch: batch}
	for k, col := range cols {
		if col < 0 || col >= ncols {
			return nil, fmt.Errorf("%s: column %d out of range [0,%d)", name, col, ncols)
		}
		t.want[col] = true
		t.out[k] = make([]parquet.Value, 0, batch)
	}
	return t, nil
}

// add appends the record's values of cols to the batch and, when it is
// full, hands it to fn (unless ctx is done).
func (t *textColumns) add(ctx context.Context, fn func(values [][]parquet.Value) error) error {
	for k, col := range t.cols {
		t.out[k] = append(t.out[k], t.row[col])
	}
	if len(t.out[0]) < t.batch {
		return nil
	}
	return t.flush(ctx, fn)
}

// flush hands the values not yet handed out to fn (unless ctx is done)
// and starts the next batch.
func (t *textColumns) flush(ctx context.Context, fn func(values [][]parquet.Value) error) error {
	if len(t.out[0]) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := fn(t.out); err != nil {
		return err
	}
	for k := range t.out {
		t.out[k] = t.out[k][:0]
	}
	t.arena = t.arena[:0]
	return nil
}

// Layout returns the columnar layout of t's schema: one column per column
// of the table, of its type's Parquet kind, optional unless the schema
// makes it required. Every CSV and JSON Lines schema has one.
func (t *textFile) Layout() (columnar.Layout, error) {
	layout, err := columnar.LayoutOf(t.schema)
	if err != nil {
		return nil, &InputError{Path: t.name, RowGroup: -1, Err: fmt.Errorf("%w: %w", ErrUnsupported, err)}
	}
	return layout, nil
}
