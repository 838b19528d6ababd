package pipeline

import (
	"context"
	"sync"

	"golang.org/x/sync/semaphore"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// rowGroupStreams encodes output row groups as their rows arrive, when a
// job's row groups held as decoded rows would not fit its budget (see
// outputMemory): each output's open row group is a sinks.ChunkStream fed
// by the dispatcher, a piece (a unit's rows of the split) at a time, on a
// goroutine of its own, and holds compressed pages instead of rows. The
// bytes are those of a row group encoded at once (sinks.RowGroupStream).
//
// The pieces given but not yet encoded hold the job window, by their
// estimated decoded bytes, so the dispatcher waits for slow encoders
// rather than piling up rows; an emitted row group holds it by its
// estimated encoded bytes until it is written.
type rowGroupStreams struct {
	enc      sinks.StreamEncoder
	checked  bool   // rows were checked when read (see newReader)
	rowBytes int64  // estimated encoded bytes of a row
	dir      string // where row groups keep their pages beyond blocks; "": in memory
	blocks   *sinks.BlockPool
	window   *semaphore.Weighted
	wg       sync.WaitGroup
}

// groupStream is one output row group being encoded.
type groupStream struct {
	pieces chan streamPiece
	done   chan struct{}
	chunk  sinks.Chunk
	err    error
}

// streamPiece is a piece of a row group's rows with what it holds of the
// job window.
type streamPiece struct {
	seg    rowSeg
	weight int64
}

// streamQueue is how many pieces wait for a row group's encoder: enough
// for the dispatcher to move on to another split while this one encodes.
const streamQueue = 4

// feed gives rows, a piece of cutter c's open row group, to that row
// group's stream, starting one if none is open. The piece holds a use of
// its shared unit, ended once it is encoded.
func (st *rowGroupStreams) feed(ctx context.Context, e *engine, c *splitCutter, rows rowSeg) error {
	if c.stream == nil {
		c.stream = st.start(ctx, e)
	}
	p := streamPiece{seg: rows, weight: e.pieceWeight(rows.len())}
	if err := st.window.Acquire(ctx, p.weight); err != nil {
		rows.shared.release()
		return err
	}
	select {
	case c.stream.pieces <- p:
		return nil
	case <-ctx.Done():
		st.window.Release(p.weight)
		rows.shared.release()
		return ctx.Err()
	}
}

// start starts the encoder of a new row group. It runs until the row
// group's pieces are closed (close) or ctx is done.
func (st *rowGroupStreams) start(ctx context.Context, e *engine) *groupStream {
	gs := &groupStream{pieces: make(chan streamPiece, streamQueue), done: make(chan struct{})}
	cs, err := st.enc.NewStream(sinks.StreamOptions{Checked: st.checked, Dir: st.dir, Blocks: st.blocks})
	gs.err = err
	st.wg.Go(func() {
		defer close(gs.done)
		if cs != nil {
			defer cs.Close()
		}
		for {
			select {
			case p, ok := <-gs.pieces:
				if !ok {
					if gs.err == nil {
						gs.chunk, gs.err = cs.Finish()
					}
					return
				}
				if gs.err == nil { // after an error, pieces are only let go
					if p.seg.batch != nil {
						gs.err = cs.WriteBatches([]columnar.Rows{p.seg.batch})
					} else {
						gs.err = cs.WriteRows(p.seg.rows)
					}
				}
				p.seg.shared.release()
				st.window.Release(p.weight)
			case <-ctx.Done():
				if gs.err == nil {
					gs.err = ctx.Err()
				}
				return
			}
		}
	})
	return gs
}

// close says c's open row group has all its rows, and returns its
// stream, for the job that finishes it.
func (c *splitCutter) closeStream() *groupStream {
	gs := c.stream
	if gs != nil {
		close(gs.pieces)
		c.stream = nil
	}
	return gs
}

// finish waits for the row group's encoder and returns its chunk.
func (gs *groupStream) finish() (sinks.Chunk, error) {
	<-gs.done
	return gs.chunk, gs.err
}

// settle returns what a finished streamed row group, chunk, holds of the
// job window until it is written, of weight, what its job took (its rows'
// estimated encoded bytes), and gives the rest back: the bytes it holds
// outside the pool's blocks (counted by spoolBudget), so nothing for one
// whose pages stayed in blocks and a temporary file, its size for one
// read back whole into a buffer, at most weight. A row group charged its
// full encoded size where its pages sat in blocks or a file held the
// window from pieces not yet encoded, which then waited for it to be
// written.
func (st *rowGroupStreams) settle(chunk sinks.Chunk, weight int64) int64 {
	g, ok := chunk.(interface{ HeldOutsidePool() int64 })
	if !ok || st.window == nil {
		return weight
	}
	keep := min(max(g.HeldOutsidePool(), 0), weight)
	st.window.Release(weight - keep)
	return keep
}

// wait waits for every row group encoder started (they end once their
// row group is closed or the job's context is done).
func (st *rowGroupStreams) wait() {
	if st != nil {
		st.wg.Wait()
	}
}

// spoolBudget is the bytes of blocks a job under memory streaming its
// output row groups of shape o keeps their pages in (sinks.BlockPool):
// what the heap budget leaves beside what streamNeed counts and the
// pages the page writers keep (keptPages), at most an eighth of it (the
// batch pool's share, which a streaming job does not use; see
// recycleBytes). Pages beyond it go to temporary files.
func spoolBudget(memory int64, o outputShape) int64 {
	if testSpoolBudget != 0 {
		return max(testSpoolBudget, 0)
	}
	heap := heapBudget(memory)
	return max(min(heap/8, heap-streamHeap(o)-keptPages(o)), 0)
}

// testSpoolBudget, when set by a test, replaces spoolBudget (negative:
// none).
var testSpoolBudget int64

// testHookRuns, when set by a test, is called by every run as it decides
// whether to stream its row groups (newStreams).
var testHookRuns func()
