package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/parquet-go/parquet-go"
)

// Reading an Arrow input's record batches: each is decoded (under the file
// reader's lock, or from a stream rebuilt of its schema, dictionaries and
// the batch), validated and shredded into parquet.Rows.

// ReadUnit decodes record batch i and streams its rows to fn, converted to
// parquet.Rows of [Arrow.Schema], in batches of at most batch rows. The
// rows passed to fn are borrowed: they alias the decoded batch and are
// valid only until fn returns. The batch must hold the rows its header
// declares; bad data gives an [*InputError] wrapping [ErrCorrupt] with
// RowGroup i.
func (a *Arrow) ReadUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	return batchUnit(a.name, a.readUnit(ctx, i, batch, fn))
}

func (a *Arrow) readUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	if i < 0 || i >= len(a.batches) {
		return fmt.Errorf("%s: record batch %d out of range [0,%d)", a.name, i, len(a.batches))
	}
	if batch <= 0 {
		return fmt.Errorf("%s: batch size %d, want > 0", a.name, batch)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rec, err := a.decode(i)
	if err != nil {
		return err
	}
	defer rec.Release()
	want := a.batches[i].rows
	if got := rec.NumRows(); got != want {
		return corrupt(a.name, i, fmt.Errorf("header declares %d rows, found %d", want, got))
	}
	if int(rec.NumCols()) != len(a.nodes) {
		return corrupt(a.name, i, fmt.Errorf("%d columns for %d fields", rec.NumCols(), len(a.nodes)))
	}
	var s shredder
	buf := make([]parquet.Row, 0, batch)
	for lo := int64(0); lo < want; lo += int64(batch) {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+int64(batch), want)
		buf, err = s.rows(buf[:0], a.nodes, rec.Columns(), a.leaves, int(lo), int(hi))
		if err != nil {
			var se *shredError
			if errors.As(err, &se) {
				return &InputError{Path: a.name, RowGroup: i, Column: se.column, Err: fmt.Errorf("row %d: %w", lo+int64(len(buf)), se.err)}
			}
			return err
		}
		for k, row := range buf {
			if err := a.layout.Check(row); err != nil {
				return corrupt(a.name, i, fmt.Errorf("row %d: %w", lo+int64(k), err))
			}
		}
		if err := fn(buf); err != nil {
			return err
		}
	}
	return nil
}

// decode reads and validates record batch i. The caller releases it.
func (a *Arrow) decode(i int) (arrow.RecordBatch, error) {
	b := a.batches[i]
	meta, err := a.readMeta(b.msg.off, b.meta)
	if err == nil {
		err = a.checkBody(meta, b.msg.off+b.meta, b.msg.n-b.meta)
	}
	if err != nil {
		return nil, corrupt(a.name, i, err)
	}
	var rec arrow.RecordBatch
	err = guard(a.name, i, func() error {
		var err error
		if a.file != nil {
			rec, err = a.recordBatchAt(i)
		} else {
			rec, err = a.readStreamBatch(i)
		}
		if err != nil {
			return err
		}
		return array.ValidateRecordFull(rec)
	})
	if err != nil {
		if rec != nil {
			rec.Release()
		}
		return nil, err
	}
	return rec, nil
}

// recordBatchAt decodes batch i of the file format under fileMu, released
// even when the decoder panics on bad input (guard recovers the panic).
func (a *Arrow) recordBatchAt(i int) (arrow.RecordBatch, error) {
	a.fileMu.Lock()
	defer a.fileMu.Unlock()
	return a.file.RecordBatchAt(i)
}

// eosMarker ends a stream.
var eosMarker = []byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0}

// readStreamBatch decodes record batch i of a stream by reading a stream
// made of the schema, the dictionary batches that precede batch i in the
// input, and batch i.
func (a *Arrow) readStreamBatch(i int) (arrow.RecordBatch, error) {
	parts := []io.Reader{io.NewSectionReader(a.r, a.schemaMsg.off, a.schemaMsg.n)}
	for _, d := range a.dicts {
		if d.before > i {
			break
		}
		parts = append(parts, io.NewSectionReader(a.r, d.msg.off, d.msg.n))
	}
	b := a.batches[i].msg
	parts = append(parts, io.NewSectionReader(a.r, b.off, b.n), bytes.NewReader(eosMarker))
	rd, err := ipc.NewReader(io.MultiReader(parts...), ipc.WithAllocator(a.mem), ipc.WithMetadataSizeLimit(maxArrowMetadata))
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	if !rd.Next() {
		if err := rd.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("record batch missing from the stream")
	}
	rec := rd.RecordBatch()
	rec.Retain()
	return rec, nil
}
