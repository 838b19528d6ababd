package pipeline

import (
	"context"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/extsort"
	"github.com/splitdata/splitdata/sinks"
)

// rowReader is the reader of rows: a unit's rows are parquet.Rows, read
// from the input or made (index rows), routed as owned copies and encoded
// by the output format's row encoder.
type rowReader struct {
	enc     sinks.Encoder
	checked sinks.CheckedEncoder // enc, when the rows need no check; else nil
	read    func(e *engine, u unit) readFunc
}

// route reads one unit, draws the key of every row, places it and copies
// the row to its outputs' lists (or, when the shuffle spills, encodes it
// into its output's and key range's spill piece): how is the orderer's
// choice (orderer.parts).
func (rr rowReader) route(ctx context.Context, e *engine, u unit) (routed, error) {
	n := len(e.names)
	r := routed{seq: u.seq}
	parts := e.order.parts()
	switch {
	case parts > 1:
		// A spilling shuffle encodes rows into per-key-range pieces as
		// they are read, in parallel, and holds no rows.
		r.spill = make([][]*extsort.Piece, n)
		for s := range r.spill {
			r.spill[s] = make([]*extsort.Piece, parts)
		}
	case parts == 1:
		r.rows = make([][]parquet.Row, n)
		r.keys = make([][]uint64, n)
		r.index = make([][]int64, n)
	default:
		r.rows = make([][]parquet.Row, n)
	}
	gen := e.master
	gen.Advance(uint64(u.start))
	keys := make([]uint64, readBatch)
	ids := make([]uint8, readBatch)
	// One arena per split: a split's rows then share memory with no other
	// split's, so a row group that is written frees its rows even while a
	// smaller split still holds rows of the same unit pending.
	arenas := make([]rowArena, n)
	next := u.start
	read := rr.read(e, u)
	var one [1]int
	err := read(ctx, u.rg, readBatch, func(rows []parquet.Row) error {
		k := len(rows)
		gen.Fill(keys[:k])
		if err := e.place.assign.assignRows(rows, keys[:k], next, ids[:k]); err != nil {
			return err
		}
		for i, row := range rows {
			targets := e.place.targets(int(ids[i]), one[:])
			if len(targets) == 0 {
				continue // in no split
			}
			if e.indexColumn >= 0 {
				row = append(row, parquet.Int64Value(next+int64(i)).Level(0, 0, e.indexColumn))
			}
			copies := e.place.copies(next + int64(i))
			for _, s := range targets {
				if r.spill != nil {
					// Spilling: encode the row straight into its key
					// range's piece; the dispatcher appends the pieces to
					// the files in unit order.
					p := extsort.Partition(keys[i], parts)
					piece := r.spill[s][p]
					if piece == nil {
						piece = &extsort.Piece{}
						r.spill[s][p] = piece
					}
					for range copies {
						piece.Data = extsort.AppendRow(piece.Data, row)
						piece.Keys = append(piece.Keys, keys[i])
						piece.Index = append(piece.Index, next+int64(i))
					}
					continue
				}
				owned := arenas[s].clone(row)
				for range copies { // a row drawn several times: the same owned row
					r.rows[s] = append(r.rows[s], owned)
					if r.keys != nil {
						r.keys[s] = append(r.keys[s], keys[i])
						r.index[s] = append(r.index[s], next+int64(i))
					}
				}
			}
		}
		next += int64(k)
		return nil
	})
	for s, rows := range r.rows {
		r.bytes += arenas[s].content() + int64(len(rows))*rowHeaderBytes
	}
	for _, pieces := range r.spill {
		for _, piece := range pieces {
			if piece != nil {
				r.bytes += piece.Bytes()
			}
		}
	}
	return r, err
}

// encode encodes a row group's rows with the format's row encoder.
func (rr rowReader) encode(segs []rowSeg) (sinks.Chunk, error) {
	if rr.checked != nil {
		return rr.checked.EncodeChecked(newSegmentReader(segs))
	}
	return rr.enc.Encode(newSegmentReader(segs))
}
