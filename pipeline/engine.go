package pipeline

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"math/big"
	"os"
	"path"
	"slices"
	"sync"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/semaphore"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
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

// readUnit returns the reader of u's rows: its row group's, or a range's.
func (e *engine) readUnit(u unit) func(ctx context.Context, rg, batch int, fn func([]parquet.Row) error) error {
	in := e.inputs[u.input]
	rr, ok := in.(sources.RangeReader)
	if u.whole(in) || !ok {
		return in.ReadUnit
	}
	return func(ctx context.Context, rg, batch int, fn func([]parquet.Row) error) error {
		return rr.ReadUnitRange(ctx, rg, u.first, u.rows, batch, fn)
	}
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
	spill   [][]*spillPiece // [split][partition], when the shuffle spills
	bytes   int64           // the rows' content in memory (see rowArena.content)
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
	chunk sinks.Chunk // nil for a job without rows (an empty file)
}

// engine streams units through read → key → assign → route → encode →
// ordered write. Its output depends only on the units, the generator and
// the assigner, never on worker count or timing.
type engine struct {
	inputs []sources.Source
	units  []unit
	schema *parquet.Schema
	master prng.PCG64
	assign keyAssigner // of row keys, or of group keys with --group
	// place, when set, assigns rows in place of assign, and may replace
	// their keys (a compatibility mode's order).
	place placeFunc
	// repeat, when set, says how many times an assigned row is written (a
	// bootstrap sample's draws of it).
	repeat func(i int64) int
	// fanout, when set, maps an assigned id to the outputs that receive
	// the row (kfold --materialize: fold j's test and every other fold's
	// train); otherwise id s is output s.
	fanout       [][]int
	names        []string
	rowsPerFile  int64
	rowGroupRows int64
	shuffle      bool  // write each split in canonical order
	shuffleLimit int64 // bytes of rows a shuffle may hold
	partitions   int   // spill partitions of a shuffle; 1: in memory
	flat         bool  // one split, its files directly in the output
	indexOnly    bool  // write global row indices, not rows
	indexColumn  int   // leaf column of the added row index, or -1
	groupColumn  int   // leaf column of a grouped split, or -1
	groupSeed    *big.Int
	spillDir     string
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
	encoder       sinks.Encoder // of the output format
	// batches: units are read, routed and encoded column by column
	// (engine_batch.go), not as rows; see useBatches.
	batches bool
	// batchLayout is the layout of the routed batches (the output
	// schema's), for reading spilled ones back.
	batchLayout columnar.Layout
	// freeUnits holds decoded units' batches for the next units to be
	// decoded into (recycle).
	freeUnits chan *columnar.Batch
	// rowsChecked: every row was checked against the schema when it was
	// read (Parquet inputs) or is valid by construction (index rows), so
	// the encoder need not check it again.
	rowsChecked bool
	kv          []sinks.KeyValue
	stage       *staging
	progress    Progress

	// A shard of a sharded run (shard.go) reads a range of units and
	// encodes only the row groups it owns: windows[s] says which rows of
	// split s those are and where in the layout they start, and each row
	// group goes to a file of its own. nil windows: the whole job.
	windows []rowWindow
}

// placeFunc assigns a batch of rows in place of an assigner: it sets ids[k]
// (and may set keys[k], the order within the split) for row start+k.
type placeFunc func(keys []uint64, start int64, ids []uint8) error

// rowWindow is the part of one split's row stream a shard keeps: the
// split's rows numbered from 0 across the whole job, the shard's first unit
// starting at row first; rows [from, to) are kept. The first kept row opens
// row group seq, in file file after rowsInFile rows.
type rowWindow struct {
	first, from, to int64
	file            int
	rowsInFile      int64
	seq             int
}

// run executes the engine and returns the files written per split.
func (e *engine) run(ctx context.Context) ([]SplitInfo, error) {
	if e.batches {
		layout, err := columnar.LayoutOf(e.schema)
		if err != nil {
			return nil, fmt.Errorf("internal error: columnar path for %w", err)
		}
		e.batchLayout = layout
		e.freeUnits = make(chan *columnar.Batch, e.workers)
	}
	g, ctx := errgroup.WithContext(ctx)
	w := e.workers
	// Bounded windows: at most unitWindow units are between the feeder and
	// the in-order dispatcher, at most jobWindow row groups between the
	// dispatcher and the in-order writer. Both are sized from options only.
	unitWindow := semaphore.NewWeighted(e.unitWindowSize())
	jobWindow := semaphore.NewWeighted(e.jobWindowSize())
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
				route := e.route
				if e.batches {
					route = e.routeBatch
				}
				r, err := route(rctx, u)
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
	g.Go(func() error {
		err := readers.Wait()
		close(routedCh)
		return err
	})

	g.Go(func() error {
		defer close(jobCh)
		return e.dispatch(ctx, routedCh, jobCh, unitWindow, jobWindow)
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

// route reads one unit, draws the key of every row, assigns it and copies
// the row to its split's list (or, when the shuffle spills, encodes it
// into its split's and key range's spill piece).
func (e *engine) route(ctx context.Context, u unit) (routed, error) {
	n := len(e.names)
	r := routed{seq: u.seq}
	switch {
	case e.shuffle && e.partitions > 1:
		// A spilling shuffle encodes rows into per-key-range pieces as
		// they are read, in parallel, and holds no rows.
		r.spill = make([][]*spillPiece, n)
		for s := range r.spill {
			r.spill[s] = make([]*spillPiece, e.partitions)
		}
	case e.shuffle:
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
	read := e.readUnit(u)
	if e.indexOnly {
		read = indexRows(u)
	}
	var groups *splitter.GroupHasher
	var groupKeys []uint64
	var canonical []byte
	if e.groupColumn >= 0 {
		groups = splitter.NewGroupHasher(e.groupSeed)
		groupKeys = make([]uint64, readBatch)
	}
	var one [1]int
	err := read(ctx, u.rg, readBatch, func(rows []parquet.Row) error {
		k := len(rows)
		gen.Fill(keys[:k])
		switch {
		case e.place != nil:
			if err := e.place(keys[:k], next, ids[:k]); err != nil {
				return err
			}
		case groups == nil:
			e.assign.Assign(keys[:k], next, ids[:k])
		default:
			for i, row := range rows {
				canonical = groupBytes(canonical[:0], row, e.groupColumn)
				groupKeys[i] = groups.Key(canonical)
			}
			e.assign.Assign(groupKeys[:k], next, ids[:k])
		}
		for i, row := range rows {
			targets := e.outputs(int(ids[i]), one[:])
			if len(targets) == 0 {
				continue // in no split
			}
			if e.indexColumn >= 0 {
				row = append(row, parquet.Int64Value(next+int64(i)).Level(0, 0, e.indexColumn))
			}
			copies := 1
			if e.repeat != nil {
				copies = e.repeat(next + int64(i))
			}
			for _, s := range targets {
				if r.spill != nil {
					// Spilling: encode the row straight into its key
					// range's piece; the dispatcher appends the pieces to
					// the files in unit order.
					p := partitionOf(keys[i], e.partitions)
					piece := r.spill[s][p]
					if piece == nil {
						piece = &spillPiece{}
						r.spill[s][p] = piece
					}
					for range copies {
						piece.data = appendSpillRow(piece.data, row)
						piece.keys = append(piece.keys, keys[i])
						piece.index = append(piece.index, next+int64(i))
					}
					continue
				}
				owned := arenas[s].clone(row)
				for range copies { // a row drawn several times: the same owned row
					r.rows[s] = append(r.rows[s], owned)
					if e.shuffle {
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
				r.bytes += int64(cap(piece.data)) + 16*int64(cap(piece.keys))
			}
		}
	}
	return r, err
}

// outputs returns the outputs that receive a row of assigned id id: none
// for a row in no split. one is scratch space for the common case.
func (e *engine) outputs(id int, one []int) []int {
	return outputsOf(e.fanout, len(e.names), id, one)
}

// outputsOf returns the outputs, among nout, that receive a row of assigned
// id id, given a job's fanout (nil: id s is output s).
func outputsOf(fanout [][]int, nout, id int, one []int) []int {
	if fanout != nil {
		if id < len(fanout) {
			return fanout[id]
		}
		return nil
	}
	if id >= nout {
		return nil
	}
	one[0] = id
	return one[:1]
}

// indexRows stands in for reading unit u when only indices are written: it
// hands out the rows {row: i} of the unit's global indices, in batches,
// without touching the input's data.
func indexRows(u unit) func(ctx context.Context, rg, batch int, fn func([]parquet.Row) error) error {
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

// rowHeaderBytes is the memory of a parquet.Row slice header, plus a key
// and an index when shuffling.
const rowHeaderBytes = 24 + 16

// shuffled is a split's rows held for ordering: all of them, with their
// canonical-order keys. The rows are rows, or on the columnar path the
// rows refs names among batches.
type shuffled struct {
	rows    []parquet.Row
	batches []*columnar.Batch
	refs    []columnar.Ref
	keys    []uint64
	index   []int64
}

// order returns the held rows' places sorted by (key, global row index).
func (h *shuffled) order() []orderEntry {
	es := make([]orderEntry, len(h.keys))
	for k := range es {
		es[k] = orderEntry{h.keys[k], h.index[k], k}
	}
	sortEntries(es)
	return es
}

// canonicalOrder returns the held rows in canonical order.
func (h *shuffled) canonicalOrder() []parquet.Row {
	es := h.order()
	out := make([]parquet.Row, len(es))
	for k, e := range es {
		out[k] = h.rows[e.at]
	}
	return out
}

// canonicalRefs returns the held batches' rows in canonical order.
func (h *shuffled) canonicalRefs() []columnar.Ref {
	es := h.order()
	out := make([]columnar.Ref, len(es))
	for k, e := range es {
		out[k] = h.refs[e.at]
	}
	return out
}

// holdBatch adds a batch of rows with their keys and indices.
func (h *shuffled) holdBatch(b *columnar.Batch, keys []uint64, index []int64) {
	at := int32(len(h.batches))
	h.batches = append(h.batches, b)
	for r := range b.Len {
		h.refs = append(h.refs, columnar.Ref{Batch: at, Row: int32(r)})
	}
	h.keys = append(h.keys, keys...)
	h.index = append(h.index, index...)
}

// orderEntry is a held row's place in canonical order: its key, its global
// row index and where it is held.
type orderEntry struct {
	key   uint64
	index int64
	at    int
}

// sortEntries sorts es by (key, index). Large inputs go through a least
// significant digit radix sort on the keys, 8 bits a pass, skipping the
// digits all keys share (a spilled partition's top bits), after a sort by
// index: the radix passes are stable, so equal keys stay in index order.
// Small inputs use a comparison sort.
func sortEntries(es []orderEntry) {
	byIndex := func(a, b orderEntry) int { return cmp.Compare(a.index, b.index) }
	if len(es) < 1<<12 {
		slices.SortFunc(es, func(a, b orderEntry) int {
			return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.index, b.index))
		})
		return
	}
	if !slices.IsSortedFunc(es, byIndex) { // held rows usually arrive in index order
		slices.SortStableFunc(es, byIndex)
	}
	tmp := make([]orderEntry, len(es))
	src, dst := es, tmp
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, e := range src {
			count[byte(e.key>>shift)]++
		}
		if count[byte(src[0].key>>shift)] == len(src) {
			continue // every key has this digit
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for _, e := range src {
			d := byte(e.key >> shift)
			dst[count[d]] = e
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &es[0] {
		copy(es, src)
	}
}

// splitCutter cuts one split's stream of rows into row groups and files by
// row counts alone.
type splitCutter struct {
	split       int
	file        int
	rowsInFile  int64
	seq         int
	pending     []rowSeg
	pendingRows int64
	total       int64
	pos         int64        // rows of the split seen, for a shard's window
	stream      *groupStream // the open row group's encoder, when streaming
}

// dispatch consumes routed units strictly in unit order and emits row-group
// jobs, so that the output layout never depends on which reader finished
// first.
func (e *engine) dispatch(ctx context.Context, in <-chan routed, out chan<- rowGroupJob, unitWindow, jobWindow *semaphore.Weighted) error {
	cutters := make([]splitCutter, len(e.names))
	for s := range cutters {
		cutters[s].split = s
		if e.windows != nil {
			w := e.windows[s]
			cutters[s].file, cutters[s].rowsInFile, cutters[s].seq = w.file, w.rowsInFile, w.seq
			cutters[s].pos = w.first
		}
	}
	emit := func(c *splitCutter, last bool) error {
		j := rowGroupJob{split: c.split, seq: c.seq, file: c.file, last: last, segs: c.pending, rows: c.pendingRows, stream: c.closeStream()}
		j.weight = e.jobWeight(j.rows)
		c.seq++
		c.rowsInFile += c.pendingRows
		c.pending, c.pendingRows = nil, 0
		if last {
			c.file++
			c.rowsInFile = 0
		}
		if err := jobWindow.Acquire(ctx, j.weight); err != nil {
			return err
		}
		select {
		case out <- j:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	add := func(c *splitCutter, rows rowSeg) error {
		if e.windows != nil {
			w := e.windows[c.split]
			n := rows.len()
			lo, hi := min(max(w.from-c.pos, 0), n), min(max(w.to-c.pos, 0), n)
			c.pos += n
			rows = rows.slice(lo, hi)
		}
		// Each piece of rows in a row group holds a use of a shared unit;
		// rows' own use ends here.
		defer rows.shared.release(e)
		n := rows.len()
		for from := int64(0); from < n; {
			target := min(e.rowGroupRows, e.rowsPerFile-c.rowsInFile)
			take := min(n-from, target-c.pendingRows)
			rows.shared.use()
			if e.streams != nil {
				if err := e.streams.feed(ctx, e, c, rows.slice(from, from+take)); err != nil {
					return err
				}
			} else {
				c.pending = append(c.pending, rows.slice(from, from+take))
			}
			c.pendingRows += take
			c.total += take
			from += take
			if c.pendingRows == target {
				if err := emit(c, c.rowsInFile+target == e.rowsPerFile); err != nil {
					return err
				}
			}
		}
		return nil
	}
	// addOrdered adds the rows refs names among batches, which the
	// encoders read in place.
	addOrdered := func(c *splitCutter, batches []*columnar.Batch, refs []columnar.Ref) error {
		return add(c, rowSeg{batch: columnar.NewPick(batches, refs)})
	}

	var hold []shuffled
	var holding int64
	var spill *spiller
	switch {
	case e.shuffle && e.partitions > 1:
		spill = newSpiller(e.spillDir, len(e.names), e.partitions)
		defer spill.closeAll()
	case e.shuffle:
		hold = make([]shuffled, len(e.names))
	}
	held := make(map[int]routed)
	nextSeq := 0
	for r := range in {
		held[r.seq] = r
		for {
			r, ok := held[nextSeq]
			if !ok {
				break
			}
			delete(held, nextSeq)
			nextSeq++
			unitWindow.Release(e.unitWeight(e.units[r.seq]))
			e.progress.Add(e.units[r.seq].rows)
			if spill != nil {
				for s, pieces := range r.spill {
					for p, piece := range pieces {
						if piece == nil {
							continue
						}
						if err := spill.add(s, p, piece); err != nil {
							return err
						}
					}
				}
				continue
			}
			if e.shuffle {
				holding += r.bytes
				if holding > e.shuffleLimit {
					return fmt.Errorf("%w: the in-memory shuffle needs more than --memory %d MiB (the inputs' footers suggested it would fit); raise --memory",
						ErrTooLarge, e.shuffleLimit>>20)
				}
				for s := range r.rows {
					h := &hold[s]
					h.rows = append(h.rows, r.rows[s]...)
					h.keys = append(h.keys, r.keys[s]...)
					h.index = append(h.index, r.index[s]...)
				}
				for s, b := range r.batches {
					if b != nil {
						// A shuffle's routed rows are copies (routeBatch).
						hold[s].holdBatch(b.(*columnar.Batch), r.keys[s], r.index[s])
					}
				}
				continue
			}
			for s, rows := range r.rows {
				if err := add(&cutters[s], rowSeg{rows: rows}); err != nil {
					return err
				}
			}
			for s, b := range r.batches {
				if b != nil {
					if err := add(&cutters[s], rowSeg{batch: b, shared: r.shared[s]}); err != nil {
						return err
					}
				}
			}
		}
	}
	for s := range hold {
		if e.batches {
			batches, refs := hold[s].batches, hold[s].canonicalRefs()
			hold[s] = shuffled{}
			if err := addOrdered(&cutters[s], batches, refs); err != nil {
				return err
			}
			continue
		}
		rows := hold[s].canonicalOrder()
		hold[s] = shuffled{}
		if err := add(&cutters[s], rowSeg{rows: rows}); err != nil {
			return err
		}
	}
	if spill != nil && ctx.Err() == nil {
		if err := spill.finish(); err != nil {
			return err
		}
		// A loader reads, decodes and sorts the next partition while this
		// goroutine cuts the current one into row groups for the
		// encoders: at most two partitions are held here, each at most
		// half of --memory (see shufflePartitions), besides those the row
		// groups in flight read in place.
		type loaded struct {
			split   int
			rows    []parquet.Row
			batches []*columnar.Batch // with refs, on the columnar path
			refs    []columnar.Ref
			err     error
		}
		lctx, cancel := context.WithCancel(ctx)
		next := make(chan loaded)
		var loader sync.WaitGroup
		loader.Go(func() {
			defer close(next)
			for s := range e.names {
				for p := range e.partitions {
					l := loaded{split: s}
					var bytes int64
					var err error
					if e.batches {
						l.batches, l.refs, bytes, err = spill.loadBatches(lctx, s, p, e.batchLayout)
					} else {
						l.rows, bytes, err = spill.load(lctx, s, p)
					}
					if err == nil && bytes > e.shuffleLimit {
						err = fmt.Errorf("%w: a shuffle partition needs %d MiB, more than --memory %d MiB", ErrTooLarge, bytes>>20, e.shuffleLimit>>20)
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
		})
		defer func() {
			cancel()
			for range next { // let the loader finish before the files go
			}
			loader.Wait()
		}()
		for l := range next {
			if l.err != nil {
				return l.err
			}
			if l.batches != nil {
				if err := addOrdered(&cutters[l.split], l.batches, l.refs); err != nil {
					return err
				}
				continue
			}
			if err := add(&cutters[l.split], rowSeg{rows: l.rows}); err != nil {
				return err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if nextSeq != len(e.units) {
		return fmt.Errorf("internal error: dispatched %d of %d units", nextSeq, len(e.units))
	}
	// Close every split's open file (with the rows still pending, if any); a
	// split without rows still gets one empty file so that its directory
	// carries the schema. A shard's window ends where a row group ends: a
	// short one when it is the split's last, which is pending here; the
	// merge writes the empty files.
	for s := range cutters {
		if e.windows != nil {
			if cutters[s].pendingRows > 0 {
				if err := emit(&cutters[s], true); err != nil {
					return err
				}
			}
			continue
		}
		c := &cutters[s]
		if c.pendingRows > 0 || c.rowsInFile > 0 || c.total == 0 {
			if err := emit(c, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// encode turns one row-group job into encoded bytes.
func (e *engine) encode(j rowGroupJob) (encodedJob, error) {
	if j.rows == 0 {
		return encodedJob{rowGroupJob: j}, nil
	}
	var chunk sinks.Chunk
	var err error
	ce, checked := e.encoder.(sinks.CheckedEncoder)
	switch {
	case j.stream != nil:
		chunk, err = j.stream.finish()
	case e.batches:
		parts := make([]columnar.Rows, len(j.segs))
		for k, seg := range j.segs {
			parts[k] = seg.batch
		}
		chunk, err = e.encoder.(sinks.BatchEncoder).EncodeBatches(parts)
		for _, seg := range j.segs {
			seg.shared.release(e)
		}
	case checked && e.rowsChecked:
		chunk, err = ce.EncodeChecked(newSegmentReader(j.segs))
	default:
		chunk, err = e.encoder.Encode(newSegmentReader(j.segs))
	}
	if err != nil {
		return encodedJob{}, fmt.Errorf("encode %s row group %d: %w", e.names[j.split], j.seq, err)
	}
	j.segs = nil // let the routed rows go
	return encodedJob{rowGroupJob: j, chunk: chunk}, nil
}

// segmentReader reads the rows of a list of pieces in order. It hands out
// the rows themselves, not copies: the writer only reads them.
type segmentReader struct {
	segs [][]parquet.Row
}

func newSegmentReader(segs []rowSeg) *segmentReader {
	r := &segmentReader{segs: make([][]parquet.Row, len(segs))}
	for k, seg := range segs {
		r.segs[k] = seg.rows
	}
	return r
}

// ReadRows fills rows across segment boundaries: the encoder clones rows
// kept across a short read, so short reads would cost a copy of each row.
func (r *segmentReader) ReadRows(rows []parquet.Row) (int, error) {
	n := 0
	for n < len(rows) && len(r.segs) > 0 {
		k := copy(rows[n:], r.segs[0])
		n += k
		if r.segs[0] = r.segs[0][k:]; len(r.segs[0]) == 0 {
			r.segs = r.segs[1:]
		}
	}
	if n == 0 && len(r.segs) == 0 {
		return 0, io.EOF
	}
	return n, nil
}

// fileWriter is one output file being written.
type fileWriter struct {
	rel  string
	f    *os.File
	bw   *bufio.Writer
	hash hash.Hash
	cw   countingWriter
	pw   sinks.FileWriter
	rows int64
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// write appends encoded row groups to their files strictly in each split's
// row-group order and returns what it wrote.
func (e *engine) write(ctx context.Context, in <-chan encodedJob, jobWindow *semaphore.Weighted) (infos []SplitInfo, err error) {
	infos = make([]SplitInfo, len(e.names))
	for s, name := range e.names {
		infos[s].Name = name
	}
	open := make([]*fileWriter, len(e.names))
	defer func() {
		for _, fw := range open {
			if fw != nil {
				fw.f.Close()
			}
		}
	}()
	held := make([]map[int]encodedJob, len(e.names))
	next := make([]int, len(e.names))
	for s := range held {
		held[s] = make(map[int]encodedJob)
		if e.windows != nil {
			next[s] = e.windows[s].seq // a shard's first row group
		}
	}
	for j := range in {
		s := j.split
		held[s][j.seq] = j
		for {
			j, ok := held[s][next[s]]
			if !ok {
				break
			}
			delete(held[s], next[s])
			next[s]++
			if e.windows != nil {
				j.file, j.last = j.seq, true // a shard's row group, alone in its file
			}
			if open[s] == nil {
				fw, err := e.createFile(s, j.file)
				if err != nil {
					return nil, err
				}
				open[s] = fw
			}
			fw := open[s]
			if j.chunk != nil {
				if err := fw.pw.Append(j.chunk); err != nil {
					return nil, fmt.Errorf("write %s: %w", fw.rel, err)
				}
				fw.rows += j.chunk.NumRows()
				if r, ok := j.chunk.(interface{ Release() }); ok {
					r.Release() // written: its memory can hold the next one
				}
			}
			jobWindow.Release(j.weight)
			if j.last {
				info, err := e.finishFile(fw)
				open[s] = nil
				if err != nil {
					return nil, err
				}
				infos[s].Files = append(infos[s].Files, info)
				infos[s].Rows += info.Rows
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for s := range open {
		if open[s] != nil || len(held[s]) > 0 {
			return nil, fmt.Errorf("internal error: split %s ended with an open file", e.names[s])
		}
	}
	return infos, nil
}

func (e *engine) createFile(split, file int) (*fileWriter, error) {
	dir := e.names[split]
	if e.flat {
		dir = ""
	}
	rel := path.Join(dir, fmt.Sprintf("part-%05d%s", file, e.format.Ext()))
	if e.windows != nil {
		rel = path.Join(dir, shardGroupName(file))
	}
	p := e.stage.path(rel)
	if err := os.MkdirAll(e.stage.path(dir), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return nil, err
	}
	fw := &fileWriter{rel: rel, f: f, hash: sha256.New()}
	fw.bw = bufio.NewWriterSize(io.MultiWriter(f, fw.hash), 1<<20)
	fw.cw = countingWriter{w: fw.bw}
	fw.pw, err = e.format.NewFileWriter(&fw.cw, e.schema, e.kv)
	if err != nil {
		f.Close()
		return nil, err
	}
	return fw, nil
}

func (e *engine) finishFile(fw *fileWriter) (FileInfo, error) {
	err := fw.pw.Close()
	if err == nil {
		err = fw.bw.Flush()
	}
	if err == nil {
		err = fw.f.Sync()
	}
	if cerr := fw.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return FileInfo{}, fmt.Errorf("write %s: %w", fw.rel, err)
	}
	return FileInfo{Path: fw.rel, Rows: fw.rows, Bytes: fw.cw.n, SHA256: hex.EncodeToString(fw.hash.Sum(nil))}, nil
}
