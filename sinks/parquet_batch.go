package sinks

import (
	"fmt"

	"github.com/splitdata/splitdata/internal/columnar"
)

// BatchEncoder is implemented by encoders that encode rows held column by
// column (a [columnar.Batch], or a [columnar.Pick] of batches' rows)
// without making rows of them.
type BatchEncoder interface {
	// EncodeBatches encodes the rows of parts, in order, as one chunk.
	EncodeBatches(parts []columnar.Rows) (Chunk, error)
}

// chunkRows is how many rows of a column parquet-go's writer takes at a
// time from WriteRows: it closes a column's page when, after such a chunk,
// the page has reached its target size. EncodeBatches hands each column's
// values over in the same chunks, counted from the row group's first row,
// so that its pages, and bytes, are those Encode writes for the same rows
// (Encode passes rowBatch rows per call, a multiple of chunkRows).
const chunkRows = 64

// EncodeBatches encodes the rows of parts, in order, as one row group:
// the same bytes [RowGroupEncoder.Encode] writes for the same rows. The
// layout of the parts' batches must be the encoder's schema's (same leaf
// kinds and definition levels); their rows are taken as valid, as
// [RowGroupEncoder.EncodeChecked] takes rows. Encoding goes column by
// column: the columns splitdata's page writer covers (top-level INT32,
// INT64, FLOAT, DOUBLE and byte array columns, PLAIN or with a
// dictionary) straight from the batches into its pages, the others as
// values to parquet-go's column writers.
func (e *RowGroupEncoder) EncodeBatches(parts []columnar.Rows) (*EncodedRowGroup, error) {
	s := e.NewStream(true)
	s.direct = true
	if err := s.WriteBatches(parts); err != nil {
		return nil, err
	}
	return s.Finish()
}

// checkBatch reports whether b's columns are those of e's schema.
func (e *RowGroupEncoder) checkBatch(b *columnar.Batch) error {
	if len(b.Cols) != len(e.layout) {
		return fmt.Errorf("%d columns, want %d", len(b.Cols), len(e.layout))
	}
	for c := range b.Cols {
		col, leaf := &b.Cols[c], &e.layout[c]
		if leaf.MaxRep != 0 || col.Kind != leaf.Kind || int(col.MaxDef) != leaf.MaxDef || leaf.Length != 0 && col.Width != leaf.Length {
			return fmt.Errorf("column %d (%s) is %v (width %d, max definition level %d), want %v (width %d, max definition level %d, max repetition level %d)",
				c, leaf.Path, col.Kind, col.Width, col.MaxDef, leaf.Kind, leaf.Length, leaf.MaxDef, leaf.MaxRep)
		}
		if col.Rows() != b.Len {
			return fmt.Errorf("column %d (%s) holds %d rows, the batch %d", c, leaf.Path, col.Rows(), b.Len)
		}
	}
	return nil
}

// EncodeBatches encodes parts as a Parquet row group; see
// [RowGroupEncoder.EncodeBatches].
func (e parquetEncoder) EncodeBatches(parts []columnar.Rows) (Chunk, error) {
	return e.RowGroupEncoder.EncodeBatches(parts)
}

var _ BatchEncoder = parquetEncoder{}
