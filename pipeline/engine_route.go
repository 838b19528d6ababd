package pipeline

import (
	"context"
	"runtime/debug"
	"sync"

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
	// smaller split still holds rows of the same unit pending. Their
	// chunks are sized from the unit's estimate, which holds the unit
	// window (see newRowArenas and unitWeight).
	arenas := newRowArenas(n, u.bytes)
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

// routeScratch is the memory batchReader.route needs only while it routes
// one unit: each row's assigned id and the bins' row numbers (5 bytes a
// row), and a shuffle's keys (8 more). View, Take, the index column and
// the spill pieces copy the row numbers out, and the bins the keys, so
// once a route ends its scratch is reused by the next unit routed, on any
// worker: fresh each time, it was about 15 MB a split of flights-3m, and
// the keys 40 MB of a 5M-row shuffle, faulted in and collected. Idle
// scratches are kept up to scratchKeep bytes in all (see memory.go).
type routeScratch struct {
	ids  []uint8
	sel  []int32
	keys []uint64
}

// scratchKeepMost is the most bytes of idle route scratch kept, when the
// runtime's soft memory limit (the heap budget) is not smaller.
const scratchKeepMost = 8 << 20

// scratchKeep is the most bytes of idle route scratch kept: a 32nd of the
// runtime's soft memory limit, at most scratchKeepMost.
func scratchKeep() int64 {
	return min(max(debug.SetMemoryLimit(-1)/32, 0), scratchKeepMost)
}

// scratches holds idle route scratch, up to scratchKeep bytes.
var scratches struct {
	mu    sync.Mutex
	free  []*routeScratch
	bytes int64
}

// size is the bytes s holds.
func (s *routeScratch) size() int64 {
	return int64(cap(s.ids)) + 4*int64(cap(s.sel)) + 8*int64(cap(s.keys))
}

// getScratch returns an idle route scratch, or a new empty one.
func getScratch() *routeScratch {
	scratches.mu.Lock()
	defer scratches.mu.Unlock()
	n := len(scratches.free)
	if n == 0 {
		return &routeScratch{}
	}
	s := scratches.free[n-1]
	scratches.free[n-1] = nil
	scratches.free = scratches.free[:n-1]
	scratches.bytes -= s.size()
	return s
}

// putScratch keeps s for the next route, or drops it when the scratch kept
// would exceed scratchKeep. No slice of s may be used after.
func putScratch(s *routeScratch) {
	scratches.mu.Lock()
	defer scratches.mu.Unlock()
	if scratches.bytes+s.size() > scratchKeep() {
		return
	}
	scratches.free = append(scratches.free, s)
	scratches.bytes += s.size()
}

// idsFor returns n bytes of s for the rows' ids, their contents undefined.
func (s *routeScratch) idsFor(n int) []uint8 {
	if cap(s.ids) < n {
		s.ids = make([]uint8, n)
	}
	return s.ids[:n]
}

// keysFor returns n keys of s, their contents undefined.
func (s *routeScratch) keysFor(n int) []uint64 {
	if cap(s.keys) < n {
		s.keys = make([]uint64, n)
	}
	return s.keys[:n]
}

// bins sets sel[bin] to an empty slice of capacity counts[bin] for each
// counted bin, all cut from s's one buffer; a bin's appends past its count
// move it to fresh memory and leave its neighbours alone.
func (s *routeScratch) bins(sel [][]int32, counts []int) {
	total := 0
	for _, c := range counts {
		total += c
	}
	if cap(s.sel) < total {
		s.sel = make([]int32, total)
	}
	buf := s.sel[:total]
	off := 0
	for bin, c := range counts {
		if c > 0 {
			sel[bin] = buf[off : off : off+c]
			off += c
		}
	}
}

// idTargets is each assigned id's outputs (placer.targets of the id).
type idTargets [256][]int

// idTargets returns the outputs of every id, so that routing looks them up
// by the row's id byte instead of asking the placer per row.
func (p *placer) idTargets() *idTargets {
	t := new(idTargets)
	var one [1]int
	for id := range t {
		t[id] = append([]int(nil), p.targets(id, one[:])...)
	}
	return t
}

// countBins adds to counts[s] the rows of ids that output s receives
// once each: a histogram of the id bytes, then each id's outputs.
func (t *idTargets) countBins(ids []uint8, counts []int) {
	var hist [256]int
	for _, id := range ids {
		hist[id]++
	}
	for id, c := range hist {
		if c > 0 {
			for _, s := range t[id] {
				counts[s] += c
			}
		}
	}
}

// route appends each row i of ids to sel[s] for each of its outputs s.
func (t *idTargets) route(ids []uint8, sel [][]int32) {
	for i, id := range ids {
		for _, s := range t[id] {
			sel[s] = append(sel[s], int32(i))
		}
	}
}
