package sinks

import (
	"cmp"
	"fmt"
	"sync"

	"github.com/splitdata/splitdata/internal/columnar"
)

// This file writes a streamed piece's rows to splitdata's page writers,
// half of the columns on a goroutine of their own.

// parallelRows is the fewest rows of a piece whose columns writeOwn
// writes on two goroutines: below it, starting one costs more than the
// half of the columns saves.
const parallelRows = 1024

// writeOwn writes the rows of parts, added of them, to the page writers
// of s.own. A piece of parallelRows or more is written half of its
// columns on another goroutine: each column's pages are its page writer's
// alone, so the bytes are the same; only the spool, where drainColumn
// moves them, is shared, under s.spoolMu. The row group's one encoder
// otherwise keeps a core busy while the other waits for it.
func (s *RowGroupStream) writeOwn(parts []columnar.Rows, added int64) error {
	var cols []int
	for c, pw := range s.own {
		if pw != nil {
			cols = append(cols, c)
		}
	}
	write := func(cols []int) error {
		for _, c := range cols {
			for k, part := range parts {
				if err := s.own[c].writeRows(part, c, 0, part.NumRows()); err != nil {
					return fmt.Errorf("encode row group: column %d, part %d: %w", c, k, err)
				}
			}
		}
		return nil
	}
	if len(cols) < 2 || added < parallelRows {
		if err := write(cols); err != nil {
			s.err = err
		}
		return s.err
	}
	half := len(cols) / 2
	var other error
	var wg sync.WaitGroup
	wg.Go(func() { other = write(cols[half:]) })
	err := write(cols[:half])
	wg.Wait()
	if err = cmp.Or(err, other); err != nil {
		s.err = err
	}
	return s.err
}
