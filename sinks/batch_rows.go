package sinks

import (
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// The Arrow, CSV and JSON Lines encoders encode batches ([BatchEncoder])
// with the very code that encodes rows: batchCols.drain hands their take
// function the rows of the batches, rowBatch at a time, as parquet.Rows
// whose values refer to the batches' memory, as drainRows hands it the
// rows a reader returns. Every value is formatted by the formatter of its
// column both ways, so the chunks are the same bytes by construction; what
// the batches save is the row path's reading, cloning and checking of
// rows.

// batchCols is the columns an encoder's batches must have: its schema's
// layout, or why the schema has none (repeated fields).
type batchCols struct {
	layout columnar.Layout
	err    error
}

// newBatchCols returns the batch columns of schema.
func newBatchCols(schema *parquet.Schema) batchCols {
	l, err := columnar.LayoutOf(schema)
	return batchCols{layout: l, err: err}
}

// drain hands take the rows of parts, in order, rowBatch at a time with
// the number of rows before them, as drainRows does for rows read. The
// parts' batches must have b's columns (checked first, an error naming
// what); the rows they hold are taken as valid, as
// [RowGroupEncoder.EncodeChecked] takes rows. The rows and their values
// are borrowed for the call to take. It returns the number of rows.
func (b batchCols) drain(what string, parts []columnar.Rows, take func(rows []parquet.Row, n int64) error) (int64, error) {
	if b.err != nil {
		return 0, fmt.Errorf("%s: batches cannot hold the schema: %w", what, b.err)
	}
	if err := checkParts(b.layout, parts); err != nil {
		return 0, fmt.Errorf("%s: %w", what, err)
	}
	cols := len(b.layout)
	vals := make([][]parquet.Value, cols)
	flat := make([]parquet.Value, rowBatch*cols)
	rows := make([]parquet.Row, rowBatch)
	for k := range rows {
		rows[k] = flat[k*cols : (k+1)*cols : (k+1)*cols]
	}
	var n int64
	for _, p := range parts {
		for lo, total := 0, p.NumRows(); lo < total; lo += rowBatch {
			hi := min(lo+rowBatch, total)
			for c := range vals {
				vals[c] = p.AppendValues(vals[c][:0], c, lo, hi)
			}
			// The values are moved into rows column by column: each
			// column's values are read once, in order.
			for c, vs := range vals {
				for k, v := range vs {
					flat[k*cols+c] = v
				}
			}
			if err := take(rows[:hi-lo], n); err != nil {
				return n, err
			}
			n += int64(hi - lo)
		}
	}
	return n, nil
}

// checkParts reports whether the batches of parts have layout's columns,
// each holding its batch's rows.
func checkParts(layout columnar.Layout, parts []columnar.Rows) error {
	for _, p := range parts {
		if p == nil {
			return errors.New("rows are nil")
		}
		for _, b := range p.Batches() {
			if len(b.Cols) != len(layout) {
				return fmt.Errorf("batch of %d columns, want %d", len(b.Cols), len(layout))
			}
			for c := range b.Cols {
				col := &b.Cols[c]
				if col.Type != layout[c] {
					return fmt.Errorf("column %d is %v (width %d, max definition level %d), want %v (width %d, max definition level %d)",
						c, col.Kind, col.Width, col.MaxDef, layout[c].Kind, layout[c].Width, layout[c].MaxDef)
				}
				if col.Rows() != b.Len {
					return fmt.Errorf("column %d holds %d rows, the batch %d", c, col.Rows(), b.Len)
				}
			}
		}
	}
	return nil
}

var (
	_ BatchEncoder = (*csvEncoder)(nil)
	_ BatchEncoder = (*jsonlEncoder)(nil)
	_ BatchEncoder = (*arrowEncoder)(nil)
)
