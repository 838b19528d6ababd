package pipeline

import (
	"context"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// The reader stage: what a unit's rows are made of between the input and
// the encoder. A reader reads a unit, draws its rows' keys, has the placer
// place them and sorts them by output for the orderer (route); at the other
// end it encodes an output row group from the pieces it made (encode).
// There are three:
//
//   - rows (engine_route.go): units are read as parquet.Rows, from any
//     input, and encoded by any format;
//   - index rows: nothing is read; a unit's rows are {row: i}, its global
//     row indices (--index-only);
//   - columnar batches (engine_batch.go): units are decoded, routed and
//     encoded column by column (schemas without repeated fields, from
//     and to every format).
//
// The reader is chosen once, where the engine is built (newReader); the
// engine calls it and never asks which it is. Every reader gives the same
// rows in the same order, so the choice never changes an output byte.

// unitReader is the reader stage of the engine. Its methods are called by
// W goroutines at once.
type unitReader interface {
	// route reads unit u, draws its rows' keys, places them (e.place)
	// and returns them sorted by output as the orderer keeps them
	// (e.order.parts).
	route(ctx context.Context, e *engine, u unit) (routed, error)
	// encode encodes one output row group from the pieces of routed rows
	// route made, in order, and lets the pieces go.
	encode(segs []rowSeg) (sinks.Chunk, error)
}

// newReader returns the reader of a job encoding with enc: columnar
// batches when batches (see useBatches; enc is then a sinks.BatchEncoder),
// index rows when indexOnly, else rows. checked says every row read is
// checked against the schema as it is read (Parquet inputs) or is valid by
// construction (index rows), so the encoder need not check it again.
// Decoded batches are kept for reuse up to poolBytes bytes (see
// batchPool), or when that is 0 one per worker of workers.
func newReader(enc sinks.Encoder, batches, indexOnly, checked bool, workers int, poolBytes int64) unitReader {
	if be, ok := enc.(sinks.BatchEncoder); ok && batches {
		return &batchReader{enc: be, free: newBatchPool(poolBytes, workers)}
	}
	r := rowReader{enc: enc, read: inputRows}
	if indexOnly {
		r.read, checked = indexRows, true
	}
	if ce, ok := enc.(sinks.CheckedEncoder); ok && checked {
		r.checked = ce
	}
	return r
}

// readFunc reads the rows of row group rg (of the unit it was made for) in
// batches of at most batch rows, handing each to fn; the rows are borrowed
// for the call.
type readFunc func(ctx context.Context, rg, batch int, fn func([]parquet.Row) error) error

// inputRows returns the reader of u's rows from its input: its row
// group's, or a range's when u is part of one.
func inputRows(e *engine, u unit) readFunc {
	in := e.inputs[u.input]
	rr, ok := in.(sources.RangeReader)
	if u.whole(in) || !ok {
		return in.ReadUnit
	}
	return func(ctx context.Context, rg, batch int, fn func([]parquet.Row) error) error {
		return rr.ReadUnitRange(ctx, rg, u.first, u.rows, batch, fn)
	}
}

// indexRows stands in for reading unit u when only indices are written: it
// hands out the rows {row: i} of the unit's global indices, in batches,
// without touching the input's data.
func indexRows(_ *engine, u unit) readFunc {
	return func(ctx context.Context, _, batch int, fn func([]parquet.Row) error) error {
		rows := make([]parquet.Row, batch)
		vals := make([]parquet.Value, batch)
		for i := u.start; i < u.start+u.rows; {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := int(min(int64(batch), u.start+u.rows-i))
			for j := range k {
				vals[j] = parquet.Int64Value(i+int64(j)).Level(0, 0, 0)
				rows[j] = vals[j : j+1 : j+1]
			}
			if err := fn(rows[:k]); err != nil {
				return err
			}
			i += int64(k)
		}
		return nil
	}
}
