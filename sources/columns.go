package sources

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// ColumnsReader is implemented by sources that can read several columns
// together without the others (Parquet's column chunks), for passes that
// need a few columns of every row, such as the group keys of --group A,B.
type ColumnsReader interface {
	// ReadColumns streams the values of leaf columns cols of unit i, in
	// lockstep, to fn in batches of at most batch rows: values[c][k] is
	// column cols[c]'s value in the batch's row k (a null value for a
	// null), and every values[c] has the batch's length. Each column must
	// be a non-repeated leaf. The values are borrowed: they are valid only
	// until fn returns. ReadColumns checks that every column holds one
	// value per row of the unit.
	ReadColumns(ctx context.Context, i int, cols []int, batch int, fn func(values [][]parquet.Value) error) error
}

// columnCursor is one column chunk being read: its current page, the
// page's values and how many of them are left to read.
type columnCursor struct {
	col    int
	pages  parquet.Pages
	page   parquet.Page // nil: none yet, or the chunk is done
	values parquet.ValueReader
	left   int64
	done   bool // no page left
}

// ReadColumns reads columns cols of row group i; see [ColumnsReader]. It
// holds one page per column and batch values per column: a batch ends
// where any column's page ends, so that no value outlives its page.
func (p *Parquet) ReadColumns(ctx context.Context, i int, cols []int, batch int, fn func(values [][]parquet.Value) error) error {
	if i < 0 || i >= len(p.rows) {
		return fmt.Errorf("%s: row group %d out of range [0,%d)", p.name, i, len(p.rows))
	}
	if batch <= 0 || len(cols) == 0 {
		return fmt.Errorf("%s: read of %d columns in batches of %d rows", p.name, len(cols), batch)
	}
	if err := p.checkPages(i); err != nil {
		return err
	}
	var chunks []parquet.ColumnChunk
	if err := guard(p.name, i, func() error { chunks = p.file.RowGroups()[i].ColumnChunks(); return nil }); err != nil {
		return err
	}
	cur := make([]columnCursor, len(cols))
	defer func() {
		for k := range cur {
			cur[k].close()
		}
	}()
	for k, col := range cols {
		if col < 0 || col >= len(chunks) {
			return fmt.Errorf("%s: column %d out of range [0,%d)", p.name, col, len(chunks))
		}
		if p.layout[col].MaxRep > 0 {
			return fmt.Errorf("%s: column %q is repeated: its values are not one a row", p.name, p.layout[col].Path)
		}
		cur[k].col = col
		if err := p.checkDecoderPages(p.r, i, col, nil); err != nil {
			return err
		}
		if err := guard(p.name, i, func() error { cur[k].pages = chunks[col].Pages(); return nil }); err != nil {
			return err
		}
	}
	want := p.rows[i]
	bufs := make([][]parquet.Value, len(cols))
	for k := range bufs {
		bufs[k] = make([]parquet.Value, batch)
	}
	out := make([][]parquet.Value, len(cols))
	var got int64
	for got < want {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := min(int64(batch), want-got)
		for k := range cur {
			if err := p.nextPage(i, &cur[k]); err != nil {
				return err
			}
			if cur[k].done {
				return corrupt(p.name, i, fmt.Errorf("column %d: footer declares %d rows, found %d", cur[k].col, want, got))
			}
			n = min(n, cur[k].left)
		}
		for k := range cur {
			if err := p.fill(i, &cur[k], bufs[k][:n]); err != nil {
				return err
			}
			out[k] = bufs[k][:n]
		}
		got += n
		if err := fn(out); err != nil {
			return err
		}
	}
	for k := range cur {
		if err := p.nextPage(i, &cur[k]); err != nil {
			return err
		}
		if !cur[k].done {
			return corrupt(p.name, i, fmt.Errorf("column %d holds more than the %d rows the footer declares", cur[k].col, want))
		}
	}
	return nil
}

// nextPage moves c to a page with values left, releasing the one it read
// through, unless its page has values left; c.done when the chunk has no
// more pages.
func (p *Parquet) nextPage(i int, c *columnCursor) error {
	for !c.done && c.left == 0 {
		c.release()
		var page parquet.Page
		err := guard(p.name, i, func() error {
			var err error
			page, err = c.pages.ReadPage()
			return err
		})
		if errors.Is(err, io.EOF) {
			c.done = true
			return nil
		}
		if err != nil {
			return err
		}
		c.page, c.values, c.left = page, page.Values(), page.NumValues()
		if c.left < 0 {
			return corrupt(p.name, i, fmt.Errorf("column %d: a page of %d values", c.col, c.left))
		}
	}
	return nil
}

// fill reads len(dst) values of c's page, which has that many left.
func (p *Parquet) fill(i int, c *columnCursor, dst []parquet.Value) error {
	for filled := 0; filled < len(dst); {
		var n int
		var readErr error
		err := guard(p.name, i, func() error {
			n, readErr = c.values.ReadValues(dst[filled:])
			if readErr == io.EOF {
				return nil
			}
			return readErr
		})
		if err != nil {
			return err
		}
		filled += n
		if filled < len(dst) && (readErr == io.EOF || n == 0) {
			return corrupt(p.name, i, fmt.Errorf("column %d: a page holds fewer values than it declares", c.col))
		}
	}
	c.left -= int64(len(dst))
	return nil
}

// release lets go of c's page.
func (c *columnCursor) release() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page, c.values, c.left = nil, nil, 0
	}
}

// close releases c's page and closes its pages.
func (c *columnCursor) close() {
	c.release()
	if c.pages != nil {
		c.pages.Close()
	}
}

var _ ColumnsReader = (*Parquet)(nil)
