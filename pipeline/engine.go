package pipeline

import (
	"context"
	"fmt"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/extsort"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// readBatch is the number of rows decoded at a time inside a unit.
const readBatch = 1024

// unit is one piece of input work: rows [first, first+rows) of a row group
// (all of them, unless cutUnits cut it), with its place in the global row
// numbering. Units are numbered (seq) in global row order.
type unit struct {
	seq   int
	input int
	rg    int
	first int64 // the unit's first row within its row group
	start int64
	rows  int64
	bytes int64 // estimated memory decoded (cutUnits); 0: unknown
}

// whole reports whether u is all of its row group, in.
func (u unit) whole(in sources.Source) bool {
	return u.first == 0 && u.rows == in.UnitNumRows(u.rg)
}

// routed is a unit's rows sorted by split, in input order within each
// split: rows[s], or batches[s] on the columnar path. The rows are owned
// (copied out of the decoder's buffers), or on the columnar path read in
// place from the unit's batch, shared. When shuffling, keys[s][k] is the
// key of rows[s][k] and index[s][k] its global row index.
type routed struct {
	seq     int
	rows    [][]parquet.Row
	batches []columnar.Rows // [split], nil for a split without rows
	shared  []*sharedUnit   // [split]: the unit's batch, when batches[split] reads it in place
	keys    [][]uint64
	index   [][]int64
	spill   [][]*extsort.Piece // [split][partition], when the shuffle spills
	keyBufs keyBuffers         // what keys and index (or spill's keys) are cut from, on the columnar path
	bytes   int64              // the rows' content in memory (see rowArena.content)
}

// rowGroupJob is one output row group: rows of one split, cut by row counts
// only. seq numbers the row groups of a split in output order.
type rowGroupJob struct {
	split  int
	seq    int
	file   int
	last   bool     // last row group of its file
	segs   []rowSeg // consecutive pieces of the split's row stream
	rows   int64
	weight int64        // of the job window it holds
	stream *groupStream // the row group's encoder, when streaming (rowgroup_stream.go)
}

// rowSeg is a piece of a split's row stream: rows, or on the columnar path
// a batch or a pick of rows, possibly out of a shared unit's batch.
type rowSeg struct {
	rows   []parquet.Row
	batch  columnar.Rows
	shared *sharedUnit // what batch reads in place, if it is a unit's batch
}

func (s rowSeg) len() int64 {
	if s.batch != nil {
		return int64(s.batch.NumRows())
	}
	return int64(len(s.rows))
}

// slice returns rows [lo, hi) of s.
func (s rowSeg) slice(lo, hi int64) rowSeg {
	if s.batch != nil {
		return rowSeg{batch: columnar.SliceRows(s.batch, int(lo), int(hi)), shared: s.shared}
	}
	return rowSeg{rows: s.rows[lo:hi]}
}

type encodedJob struct {
	rowGroupJob
	chunk    sinks.Chunk               // nil for a job without rows (an empty file)
	observed func(string, int64) error // the observer's, once written
}

// engine streams units through read → key → place → route → order → cut
// → encode → ordered write. What distinguishes the jobs is four stages,
// values the engine calls and never looks inside:
//
//   - read (engine_read.go): what a unit's rows are made of from input to
//     encoder: rows, index rows or columnar batches;
//   - place (engine_place.go): which outputs receive a row, how many times;
//   - order (engine_order.go): input order, or canonical order held in
//     memory or spilled by key range;
//   - layout (engine_layout.go): the whole job's files, or one shard's
//     window of row groups.
//
// Its output depends only on the units, the generator and the stages,
// never on worker count or timing.
type engine struct {
	inputs []sources.Source
	units  []unit
	schema *parquet.Schema
	master prng.PCG64
	reader unitReader
	place  *placer
	order  orderer
	layout layout
	names  []string
	// rowsPerFile and rowGroupRows cut each output's rows into files and
	// row groups (engine_layout.go).
	rowsPerFile  int64
	rowGroupRows int64
	indexColumn  int // leaf column of the added row index, or -1
	workers      int
	// unitsInFlight and jobsInFlight bound the estimated bytes of the
	// decoded units between the feeder and the dispatcher, and of the
	// row-group jobs between the dispatcher and the writer (memory.go);
	// rowBytes is the mean decoded bytes of a row. 0: W+1 units and
	// W+1 jobs.
	unitsInFlight int64
	jobsInFlight  int64
	rowBytes      int64
	streams       *rowGroupStreams // encode row groups as their rows come; nil: hold the rows
	format        sinks.Format
	kv            []sinks.KeyValue
	out           Output          // receives the files
	progress      *engineProgress // nil: none
	observer      Observer        // sees the row groups (observe.go); nil: none
}

// run executes the engine and returns the files written per split.
func (e *engine) run(ctx context.Context) ([]SplitInfo, error) {
	g, ctx := errgroup.WithContext(ctx)
	w := e.workers
	// Bounded windows: at most unitWindow units are between the feeder and
	// the in-order dispatcher, at most jobWindow row groups between the
	// dispatcher and the in-order writer. Both are sized from options only.
	// A spilling shuffle's units and row groups may each take the other's
	// window too (see windows); the row groups' share of the units' is
	// spare, released by dispatch once every unit is dispatched.
	unitSize, jobSize, spare := e.windows()
	unitWindow := semaphore.NewWeighted(unitSize)
	jobWindow := semaphore.NewWeighted(jobSize + spare)
	jobWindow.TryAcquire(spare) // empty: it cannot fail
	if e.streams != nil {
		e.streams.window = jobWindow
		defer e.streams.wait()
	}

	unitCh := make(chan unit, w)
	routedCh := make(chan routed, w)
	jobCh := make(chan rowGroupJob, w)
	encCh := make(chan encodedJob, w)

	g.Go(func() error {
		defer close(unitCh)
		for _, u := range e.units {
			if err := unitWindow.Acquire(ctx, e.unitWeight(u)); err != nil {
				return err
			}
			select {
			case unitCh <- u:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return nil
	})

	readers, rctx := errgroup.WithContext(ctx)
	for range w {
		readers.Go(func() error {
			for u := range unitCh {
				r, err := e.reader.route(rctx, e, u)
				if err != nil {
					return err
				}
				select {
				case routedCh <- r:
				case <-rctx.Done():
					return rctx.Err()
				}
			}
			return nil
		})
	}
	// The readers' error is set before routedCh is closed, so the
	// dispatcher, which sees the close, returns it rather than finding
	// units missing before the group's context is cancelled.
	var readErr error
	g.Go(func() error {
		readErr = readers.Wait()
		close(routedCh)
		return readErr
	})

	g.Go(func() error {
		defer close(jobCh)
		return e.dispatch(ctx, routedCh, func() error { return readErr }, jobCh, unitWindow, jobWindow, spare)
	})

	encoders, ectx := errgroup.WithContext(ctx)
	for range w {
		encoders.Go(func() error {
			for j := range jobCh {
				ej, err := e.encode(j)
				if err != nil {
					return err
				}
				select {
				case encCh <- ej:
				case <-ectx.Done():
					return ectx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		err := encoders.Wait()
		close(encCh)
		return err
	})

	var splits []SplitInfo
	g.Go(func() error {
		var err error
		splits, err = e.write(ctx, encCh, jobWindow)
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return splits, nil
}

// dispatch consumes routed units strictly in unit order and hands them to
// the orderer, whose rows the layout's cutters turn into row-group jobs,
// so that the output layout never depends on which reader finished first.
// readErr, called once in is closed, is the readers' error. spare, held
// of jobWindow from the start, is given back once every unit is
// dispatched, before the orderer passes on what it holds.
func (e *engine) dispatch(ctx context.Context, in <-chan routed, readErr func() error, out chan<- rowGroupJob, unitWindow, jobWindow *semaphore.Weighted, spare int64) error {
	cut := e.newCutter(ctx, out, jobWindow)
	defer e.order.close()
	held := make(map[int]routed)
	next := 0
	for r := range in {
		held[r.seq] = r
		for r, ok := held[next]; ok; r, ok = held[next] {
			delete(held, next)
			next++
			e.progress.read(e.units[r.seq].rows)
			e.progress.spilled(r.spilledBytes())
			// The unit holds the unit window until the orderer has its
			// rows: handing them on may wait for the job window (a row
			// group to emit, a piece to stream), and released before, a
			// unit of rows waited there beside a full window of units.
			err := e.order.add(r, cut.put)
			unitWindow.Release(e.unitWeight(e.units[r.seq]))
			if err != nil {
				return err
			}
		}
	}
	if err := readErr(); err != nil {
		return err
	}
	e.progress.ordering(e.order.held())
	jobWindow.Release(spare) // every unit is dispatched: see run
	// The first rows an orderer passes on at the end are the first written:
	// a shuffle's ordering phase ends there.
	put := func(s int, rows rowSeg) error {
		e.progress.writing()
		return cut.put(s, rows)
	}
	if err := e.order.finish(ctx, put); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if next != len(e.units) {
		return fmt.Errorf("internal error: dispatched %d of %d units", next, len(e.units))
	}
	return cut.finish()
}
