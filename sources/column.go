package sources

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// ColumnReader is implemented by sources that can read one column without
// the others (Parquet's column chunks), for passes that need a single
// column, such as stratification's class counts.
type ColumnReader interface {
	// ReadColumn streams the values of leaf column col of unit i, one per
	// row (a null value for a null), to fn in batches of at most batch
	// values. col must be a non-repeated leaf. The values passed to fn are
	// borrowed: they are valid only until fn returns.
	ReadColumn(ctx context.Context, i, col, batch int, fn func(values []parquet.Value) error) error
}

// ReadColumn reads column col of row group i; see [ColumnReader].
func (p *Parquet) ReadColumn(ctx context.Context, i, col, batch int, fn func(values []parquet.Value) error) error {
	if i < 0 || i >= len(p.rows) {
		return fmt.Errorf("%s: row group %d out of range [0,%d)", p.name, i, len(p.rows))
	}
	if err := p.checkPages(i); err != nil {
		return err
	}
	var chunks []parquet.ColumnChunk
	if err := guard(p.name, i, func() error { chunks = p.file.RowGroups()[i].ColumnChunks(); return nil }); err != nil {
		return err
	}
	if col < 0 || col >= len(chunks) {
		return fmt.Errorf("%s: column %d out of range [0,%d)", p.name, col, len(chunks))
	}
	if err := p.checkDecoderPages(p.r, i, col, nil); err != nil {
		return err
	}
	want := p.rows[i]
	var pages parquet.Pages
	if err := guard(p.name, i, func() error { pages = chunks[col].Pages(); return nil }); err != nil {
		return err
	}
	defer pages.Close()
	buf := make([]parquet.Value, batch)
	var got int64
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		var page parquet.Page
		err := guard(p.name, i, func() error {
			var err error
			page, err = pages.ReadPage()
			return err
		})
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		values := page.Values()
		for {
			var n int
			var readErr error
			err := guard(p.name, i, func() error {
				n, readErr = values.ReadValues(buf)
				if readErr == io.EOF {
					return nil
				}
				return readErr
			})
			if err != nil {
				parquet.Release(page)
				return err
			}
			if got += int64(n); got > want {
				parquet.Release(page)
				return corrupt(p.name, i, fmt.Errorf("column %d holds more than the %d rows the footer declares", col, want))
			}
			if n > 0 {
				if err := fn(buf[:n]); err != nil {
					parquet.Release(page)
					return err
				}
			}
			if readErr == io.EOF || n == 0 {
				break
			}
		}
		parquet.Release(page)
	}
	if got != want {
		return corrupt(p.name, i, fmt.Errorf("column %d: footer declares %d rows, found %d", col, want, got))
	}
	return nil
}

var _ ColumnReader = (*Parquet)(nil)
