package pipeline

import (
	"context"
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// readGroupColumns passes the canonical bytes of the group of every row k
// of unit u to fn, in row order, from the group's columns alone, read in
// lockstep batches of readBatch rows (cr.ReadColumns): the other columns
// are neither decompressed nor decoded (Parquet, Arrow) or converted (CSV,
// JSON Lines). It holds a batch of values and a page (Arrow: the group
// fields' buffers of a record batch) per group column, however many rows
// the unit has. The bytes are
// those of groupSpec.appendBytes on the unit's whole rows, and are valid
// only until fn returns.
func readGroupColumns(ctx context.Context, p *plan, u unit, g groupSpec, cr sources.ColumnsReader, fn func(k int, b []byte)) error {
	if testHookGroupColumns != nil {
		testHookGroupColumns(u, g.cols)
	}
	k := 0
	var buf []byte
	err := cr.ReadColumns(ctx, u.rg, g.cols, readBatch, func(values [][]parquet.Value) error {
		n := len(values[0])
		if int64(k+n) > u.rows {
			return unitRowsError(p, u, -1)
		}
		for r := range n {
			buf = g.appendColumns(buf[:0], values, r)
			fn(k, buf)
			k++
		}
		return nil
	})
	if err == nil && int64(k) != u.rows {
		err = unitRowsError(p, u, k)
	}
	return err
}

// appendColumns appends the canonical bytes of row r's group to b, from
// values[c][r], the value of column g.cols[c]: the bytes appendBytes
// gives for the row.
func (g groupSpec) appendColumns(b []byte, values [][]parquet.Value, r int) []byte {
	if len(values) == 1 {
		return g.appendValue(b, values[0][r])
	}
	for _, col := range values {
		var start int
		b, start = splitter.BeginCompositePart(b)
		b = g.appendValue(b, col[r])
		b = splitter.EndCompositePart(b, start)
	}
	return b
}

// testHookGroupColumns, when set by a test, is called with every unit
// whose group columns are read alone, and the columns read.
var testHookGroupColumns func(u unit, cols []int)

// readUnitGroups passes the canonical bytes of the group of every row of
// unit u of in to fn, in row order: from the group's columns alone where
// in can read them (a ColumnsReader: every input format), else from whole
// rows.
// The bytes are valid only until fn returns.
func readUnitGroups(ctx context.Context, in sources.Source, u int, g groupSpec, fn func(b []byte) error) error {
	var buf []byte
	if cr, ok := in.(sources.ColumnsReader); ok {
		return cr.ReadColumns(ctx, u, g.cols, readBatch, func(values [][]parquet.Value) error {
			for r := range values[0] {
				buf = g.appendColumns(buf[:0], values, r)
				if err := fn(buf); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return in.ReadUnit(ctx, u, readBatch, func(rows []parquet.Row) error {
		for _, row := range rows {
			buf = g.appendBytes(buf[:0], row)
			if err := fn(buf); err != nil {
				return err
			}
		}
		return nil
	})
}

// unitRowsError is the error of a unit whose row group gave k rows where
// the footer says u.rows (k < 0: more than that, found as they came), an
// InputError naming the file and row group whichever way it was read.
func unitRowsError(p *plan, u unit, k int) error {
	err := fmt.Errorf("%w: more rows than its footer says", sources.ErrCorrupt)
	if k >= 0 {
		err = fmt.Errorf("%w: %d rows, its footer says %d", sources.ErrCorrupt, k, u.rows)
	}
	return &sources.InputError{Path: p.paths[u.input], RowGroup: u.rg, Err: err}
}
