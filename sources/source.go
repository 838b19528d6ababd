package sources

import (
	"context"

	"github.com/parquet-go/parquet-go"
)

// Source is one opened input table. Its rows are numbered in order and come
// in units (Parquet row groups, Arrow record batches, CSV chunks) whose row
// counts are known when the source is opened, so that the global index of
// every row is known before any unit is read. Units can be read
// independently and concurrently, one unit per goroutine.
//
// Rows are handed out as [parquet.Row] values of Schema, whatever the input
// format: that is the engine's one row representation.
type Source interface {
	// Name is the input's name in errors and manifests (its path).
	Name() string
	// Schema is the table's schema, as a Parquet schema.
	Schema() *parquet.Schema
	// NumUnits is the number of units.
	NumUnits() int
	// UnitNumRows is the number of rows of unit i.
	UnitNumRows(i int) int64
	// ReadUnit streams the rows of unit i to fn in batches of at most batch
	// rows, in order. The rows passed to fn are borrowed: they are valid
	// only until fn returns. ReadUnit checks that the unit holds exactly
	// UnitNumRows(i) rows and returns an [*InputError] otherwise.
	ReadUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error
	// Close releases the input.
	Close() error
}

// FileSource is a Source read from a file: it also reports the file's size,
// the metadata to carry into outputs, and whether the file changed since it
// was opened.
type FileSource interface {
	Source
	// Size is the input's size in bytes.
	Size() int64
	// NumRows is the sum of the units' rows.
	NumRows() int64
	// KeyValueMetadata is the key/value metadata to preserve in outputs.
	KeyValueMetadata() []KeyValue
	// CheckUnchanged reports, as an [*InputError] wrapping [ErrChanged],
	// whether the file now differs from when it was opened.
	CheckUnchanged() error
}

// NumUnits is the number of row groups: the units of a Parquet input.
func (p *Parquet) NumUnits() int { return p.NumRowGroups() }

// UnitNumRows is the number of rows of row group i.
func (p *Parquet) UnitNumRows(i int) int64 { return p.RowGroupNumRows(i) }

// ReadUnit reads row group i; see [Parquet.ReadRowGroup].
func (p *Parquet) ReadUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	return p.ReadRowGroup(ctx, i, batch, fn)
}

var _ FileSource = (*Parquet)(nil)
