package pipeline

import (
	"context"
	"fmt"
	"sync"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/extsort"
	"github.com/splitdata/splitdata/internal/scratch"
)

// The orderer stage: the order in which each output's rows are written.
// Between the dispatcher's reorder loop (routed units, in unit order) and
// the layout's cutters (rows, in output order), an orderer passes rows on
// at once (input order), holds them all and sorts them by (key, global
// row index) at the end (the in-memory shuffle), or appends them to spill
// files by key range and reads the ranges back one at a time, each sorted
// (the spilled shuffle). docs/algorithm.md calls the sorted order the
// canonical order.

// orderer is the stage that puts each output's rows in their written order.
type orderer interface {
	// parts says how the routers keep each output's rows: 0 in input order
	// (no keys), 1 with their keys and global indices (held in memory), P
	// > 1 encoded in P pieces by key range (extsort.Partition) for spilling.
	parts() int
	// add takes a routed unit, units in order, and passes on to put what
	// rows it can already place.
	add(r routed, put putFunc) error
	// finish passes on to put every row held, in order, once every unit
	// was added.
	finish(ctx context.Context, put putFunc) error
	// close lets go of whatever the orderer holds (spill files).
	close()
	// held is the bytes of rows held in memory for finish, for progress.
	held() int64
}

// putFunc takes the next rows of output s, in output order.
type putFunc func(s int, rows rowSeg) error

// newOrderer returns the orderer of a job: input order unless shuffle;
// else in memory when partitions is 1, in partitions spill files per
// output in dir otherwise. limit is the bytes of rows the shuffle may hold;
// on the columnar path (batches) spilled rows are read back in layout.
func newOrderer(shuffle bool, partitions, outputs int, limit int64, dir scratch.Dir, batches bool, layout columnar.Layout) orderer {
	switch {
	case !shuffle:
		return inputOrder{}
	case partitions <= 1:
		return &memoryShuffle{hold: make([]shuffled, outputs), limit: limit, batches: batches}
	}
	pieceBytes, keyBytes := freeBufferBytes(limit)
	return &spillShuffle{spill: extsort.NewFiles(dir, outputs, partitions), bufs: newSpillBuffers(spillBuffersKept, pieceBytes), keys: newFreeList(spillBuffersKept, keyBytes, keyBuffers.bytes), runs: newSpillBuffers(runBuffersKept, min(runBuffersBytes, limit/4)), outputs: outputs, partitions: partitions, limit: limit, batches: batches, layout: layout}
}

// inputOrder writes each output's rows in input order, as they come.
type inputOrder struct{}

func (inputOrder) parts() int { return 0 }

func (inputOrder) add(r routed, put putFunc) error {
	for s, rows := range r.rows {
		if err := put(s, rowSeg{rows: rows}); err != nil {
			return err
		}
	}
	for s, b := range r.batches {
		if b != nil {
			if err := put(s, rowSeg{batch: b, shared: r.shared[s]}); err != nil {
				return err
			}
		}
	}
	return nil
}

func (inputOrder) finish(context.Context, putFunc) error { return nil }
func (inputOrder) close()                                {}
func (inputOrder) held() int64                           { return 0 }

// memoryShuffle holds every output's rows, with their keys, and passes
// them on in canonical order at the end.
type memoryShuffle struct {
	hold    []shuffled
	holding int64 // bytes of rows held
	limit   int64
	batches bool
}

func (*memoryShuffle) parts() int { return 1 }

func (m *memoryShuffle) add(r routed, _ putFunc) error {
	m.holding += r.bytes
	if m.holding > m.limit {
		return fmt.Errorf("%w: the in-memory shuffle needs more than --memory %d MiB (the inputs' footers suggested it would fit); raise --memory",
			ErrTooLarge, m.limit>>20)
	}
	for s := range r.rows {
		h := &m.hold[s]
		h.rows = append(h.rows, r.rows[s]...)
		h.keys = append(h.keys, r.keys[s]...)
		h.index = append(h.index, r.index[s]...)
	}
	for s, b := range r.batches {
		if b != nil {
			// A shuffle's routed rows are copies (batchReader.route).
			m.hold[s].holdBatch(b.(*columnar.Batch), r.keys[s], r.index[s])
		}
	}
	return nil
}

func (m *memoryShuffle) finish(_ context.Context, put putFunc) error {
	for s := range m.hold {
		if m.batches {
			batches, refs := m.hold[s].batches, m.hold[s].canonicalRefs()
			m.hold[s] = shuffled{}
			if err := put(s, rowSeg{batch: columnar.NewPick(batches, refs)}); err != nil {
				return err
			}
			continue
		}
		rows := m.hold[s].canonicalOrder()
		m.hold[s] = shuffled{}
		if err := put(s, rowSeg{rows: rows}); err != nil {
			return err
		}
	}
	return nil
}

func (*memoryShuffle) close()        {}
func (m *memoryShuffle) held() int64 { return m.holding }

// spillShuffle appends every output's rows to spill files by key range,
// and at the end reads the ranges back one at a time, each in canonical
// order.
type spillShuffle struct {
	spill      *extsort.Files
	bufs       *spillBuffers  // the spilled pieces' buffers, for the routers
	keys       *keyLists      // the spilled pieces' keys' buffers, likewise
	runs       *spillBuffers  // the buffers of partitions written, for the loader
	loader     sync.WaitGroup // finish's loader, closing the spill last
	outputs    int
	partitions int
	limit      int64 // bytes of one partition loaded
	batches    bool
	layout     columnar.Layout
}

func (s *spillShuffle) parts() int { return s.partitions }

func (s *spillShuffle) add(r routed, _ putFunc) error {
	var bufs [][]byte
	for out, pieces := range r.spill {
		for p, piece := range pieces {
			if piece == nil {
				continue
			}
			if piece.Buffer != nil {
				bufs = append(bufs, piece.Buffer)
			}
			if err := s.spill.Add(out, p, piece); err != nil {
				return err
			}
		}
	}
	// Add keeps nothing of the pieces: their buffers can take the next.
	for _, b := range bufs {
		s.bufs.put(b)
	}
	s.keys.put(r.keyBufs)
	return nil
}

func (s *spillShuffle) finish(ctx context.Context, put putFunc) error {
	if ctx.Err() != nil {
		return nil // the dispatcher reports it
	}
	s.bufs.drop() // every unit is routed
	s.keys.drop()
	if err := s.spill.Finish(); err != nil {
		return err
	}
	// A loader reads, decodes and sorts the next partition while this
	// goroutine cuts the current one into row groups for the encoders: at
	// most two partitions are held here, each at most half of --memory (see
	// shufflePartitions), besides those the row groups in flight read in
	// place.
	type loaded struct {
		split   int
		rows    []parquet.Row
		batches []*columnar.Batch // with refs, on the columnar path
		refs    []columnar.Ref
		buffer  []byte // the batches' values are in, given back once written
		err     error
	}
	lctx, cancel := context.WithCancel(ctx)
	next := make(chan loaded)
	s.loader.Go(func() {
		loadedAll := false
		// A partition's entries and sort scratch are of no use once it
		// is loaded: the next partition's take them.
		var sorter extsort.Sorter
		var entries []extsort.Entry
		defer func() {
			close(next)
			// The spill is of no more use once its last range is read:
			// the loader removes it while the last partitions are cut
			// and encoded. Closing the shared file frees its pages in
			// the page cache (~250 MB on the mixed shape, 2% of the
			// shuffle's CPU), which the dispatcher did after cutting the
			// last row group, waiting there for the encoders, and which
			// the run then waited for at its end.
			if loadedAll {
				_ = s.spill.Close() // see spillShuffle.close
			}
		}()
		for out := range s.outputs {
			for p := range s.partitions {
				l := loaded{split: out}
				var bytes int64
				var err error
				if s.batches {
					var run extsort.Run
					old := extsort.Run{Buffer: s.runs.get(), Entries: entries}
					l.batches, l.refs, bytes, run, err = loadBatches(lctx, s.spill, out, p, s.layout, old, &sorter)
					l.buffer = run.Buffer
					if run.Buffer == nil { // an empty range
						s.runs.put(old.Buffer)
					}
					if run.Entries != nil {
						entries = run.Entries
					}
				} else {
					l.rows, bytes, err = loadRows(lctx, s.spill, out, p)
				}
				if err == nil && bytes > s.limit {
					err = fmt.Errorf("%w: a shuffle partition needs %d MiB, more than --memory %d MiB", ErrTooLarge, bytes>>20, s.limit>>20)
				}
				l.err = err
				select {
				case next <- l:
				case <-lctx.Done():
					return
				}
				if err != nil {
					return
				}
			}
		}
		loadedAll = true
	})
	defer func() {
		cancel()
		for range next { // the loader's last load is over
		}
	}()
	for l := range next {
		if l.err != nil {
			return l.err
		}
		if l.batches != nil {
			// The row groups read the partition's values in place: the
			// last to be encoded gives its buffer back (sharedUnit).
			shared := &sharedUnit{data: l.buffer, dataFree: s.runs}
			shared.use()
			if err := put(l.split, rowSeg{batch: columnar.NewPick(l.batches, l.refs), shared: shared}); err != nil {
				return err
			}
			continue
		}
		if err := put(l.split, rowSeg{rows: l.rows}); err != nil {
			return err
		}
	}
	return nil
}

// windows returns the capacities of the unit and job windows (see
// engine.run), and spare, what of the job window's is held until every
// unit is dispatched. A spilling shuffle's units are all dispatched
// before its first row group is cut (spillShuffle.add passes no rows
// on), and hold nothing after (their rows are in the spill files), so
// its units take the job window's share while they are read, and its
// row groups the unit window's once they are all read: the two together
// never hold more than the windows did. Only where the windows count
// bytes and no unit or row group is charged less than its estimate (a
// weight is at most the window): one more in flight would then hold
// more than its share. An in-memory shuffle holds its units' rows until
// its row groups are written.
//
// On the mixed shape at the default --memory a unit is about 15 MB of a
// 36.7 MB window and a row group 25.5 MB of as much: with one window
// each, the two readers waited for the dispatcher to spill, and one row
// group encoded at a time.
func (e *engine) windows() (unitSize, jobSize, spare int64) {
	unitSize, jobSize = e.unitWindowSize(), e.jobWindowSize()
	if _, ok := e.order.(*spillShuffle); !ok || e.unitsInFlight <= 0 || e.jobsInFlight <= 0 {
		return unitSize, jobSize, 0
	}
	units := true
	for _, u := range e.units {
		units = units && u.bytes < e.unitsInFlight
	}
	if units {
		unitSize += jobSize
	}
	if e.jobWeight(e.rowGroupRows) < jobSize {
		spare = e.unitWindowSize()
	}
	return unitSize, jobSize, spare
}

// close removes the spill files, once the loader is done with them (it
// removed them itself after loading every range). The error of closing
// an unlinked local file is of no use, and a file of its own is removed
// by Load as its range is read: nothing is left behind that the error
// would tell of that the spill directory's removal does not take.
func (s *spillShuffle) close() {
	s.loader.Wait()
	_ = s.spill.Close()
}
func (*spillShuffle) held() int64 { return 0 }

// spilledBytes is the bytes of the spill pieces r carries.
func (r *routed) spilledBytes() int64 {
	var n int64
	for _, pieces := range r.spill {
		for _, piece := range pieces {
			if piece != nil {
				n += int64(len(piece.Data))
			}
		}
	}
	return n
}
