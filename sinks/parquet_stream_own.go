package sinks

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/splitdata/splitdata/internal/columnar"
)

// This file writes a streamed piece's rows to splitdata's page writers,
// its columns shared between two goroutines.

// parallelRows is the fewest rows of a piece whose columns writeOwn
// writes on two goroutines: below it, starting one costs more than the
// half of the columns saves.
const parallelRows = 1024

// writeOwn writes the rows of parts, added of them, to the page writers
// of s.own. A piece of parallelRows or more is written on two goroutines,
// which take its columns one at a time, the costliest first (ownOrder):
// each column's pages are its page writer's alone, so the bytes are the
// same; only the spool, where drainColumn moves them, is shared, under
// s.spoolMu. The row group's one encoder otherwise keeps a core busy while
// the other waits for it. Halves by column count kept one goroutine
// writing long after the other had finished where one column holds most
// of the bytes (a text column among numbers: 87% of a piece's bytes on one
// side of the mixed shape's columns).
func (s *RowGroupStream) writeOwn(parts []columnar.Rows, added int64) error {
	var cols []int
	for c, pw := range s.own {
		if pw != nil {
			cols = append(cols, c)
		}
	}
	write := func(c int) error {
		for k, part := range parts {
			if err := s.own[c].writeRows(part, c, 0, part.NumRows()); err != nil {
				return fmt.Errorf("encode row group: column %d, part %d: %w", c, k, err)
			}
		}
		return nil
	}
	if len(cols) < 2 || added < parallelRows {
		for _, c := range cols {
			if err := write(c); err != nil {
				s.err = err
				return s.err
			}
		}
		return nil
	}
	cols = ownOrder(parts, cols)
	// errs[i] is the error of cols[i]: the one returned is that of the
	// first column in the order, whichever goroutine met it first.
	errs := make([]error, len(cols))
	var next atomic.Int64
	var failed atomic.Bool
	take := func() {
		for !failed.Load() {
			i := int(next.Add(1) - 1)
			if i >= len(cols) {
				return
			}
			if errs[i] = write(cols[i]); errs[i] != nil {
				failed.Store(true)
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(take)
	take()
	wg.Wait()
	if err := cmp.Or(errs...); err != nil {
		s.err = err
	}
	return s.err
}

// ownOrder returns cols, columns of parts, the costliest to write first
// by their estimated bytes (columnBytes), ties in column order, so that
// two goroutines taking them in turn finish close together: the last
// columns taken are the cheapest.
func ownOrder(parts []columnar.Rows, cols []int) []int {
	cost := make([]int64, len(cols))
	for i, c := range cols {
		cost[i] = columnBytes(parts, c)
	}
	order := make([]int, len(cols))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(cost[b], cost[a]) })
	sorted := make([]int, len(cols))
	for i, k := range order {
		sorted[i] = cols[k]
	}
	return sorted
}

// columnBytes estimates the bytes of column c in the rows of parts: per
// part, the bytes its batches hold of the column (values, a byte array's
// bytes and lengths, definition levels) in the share of their rows the
// part takes.
func columnBytes(parts []columnar.Rows, c int) int64 {
	var n int64
	for _, part := range parts {
		var size, rows int64
		for _, b := range part.Batches() {
			if c >= len(b.Cols) {
				continue
			}
			col := &b.Cols[c]
			size += int64(len(col.Fixed) + len(col.Defs))
			if k := len(col.Offsets); k > 0 { // a slice's Bytes are its batch's
				size += int64(col.Offsets[k-1]-col.Offsets[0]) + 4*int64(k-1)
			}
			rows += int64(b.Len)
		}
		if rows > 0 {
			n += int64(float64(size) * float64(part.NumRows()) / float64(rows))
		}
	}
	return n
}

// StableBytes reports whether every byte [ParquetFileWriter.Append] writes
// of g lies in memory that stays unmodified until g is released, and may
// be held that long, so that whatever hashes the output may take them
// after the write returns: true when g's bytes are one buffer of its own
// (the magic a file starts with, when written alone, is a copy of its
// own). A streamed row group's pages are not: those in its stream's
// temporary file are read back through a reused buffer, and those in
// blocks of the job's BlockPool, held past their write, would leave the
// other streams short of blocks, which then spill their pages to
// temporary files.
func (g *EncodedRowGroup) StableBytes() bool {
	return g.pages == nil
}
