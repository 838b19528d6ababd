package sources

import (
	"context"

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

// ReadColumn reads column col of row group i; see [ColumnReader]. It is
// ReadColumns of the one column.
func (p *Parquet) ReadColumn(ctx context.Context, i, col, batch int, fn func(values []parquet.Value) error) error {
	return readColumn(ctx, p, i, col, batch, fn)
}

var _ ColumnReader = (*Parquet)(nil)
