package pipeline

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/extsort"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// The columnar path. When every input decodes its units column by column
// (inputs of a schema without repeated fields) and the output format
// encodes such batches (every format: Parquet, Arrow, CSV, JSON Lines), a
// unit is read into one columnar.Batch, each split's rows are read in place
// or gathered out of it (batchReader.route), and the encoders read the
// columns where they are: the Parquet one hands them to its page writers
// directly, the others format them (sinks.BatchEncoder). The rows, their order and the output bytes are those of the
// row path: only the representation differs (tested by running both).

// forceRowPath makes every engine use the row path; tests set it to
// compare the two paths.
var forceRowPath bool

// refuseBatch, when set, makes the columnar decoder refuse the units it
// returns true for, as it refuses units it cannot hold: tests set it to
// exercise the fallback to rows.
var refuseBatch func(seq int) bool

// useBatches reports whether a job can take the columnar path: every input
// decodes its units into batches and the encoder encodes them, and the job
// is not index-only (it reads no rows). A grouped job takes it too: its
// rows are placed from the group keys of a first pass (tablePlace).
func useBatches(inputs []sources.Source, encoder sinks.Encoder, indexOnly bool) bool {
	if forceRowPath || indexOnly || len(inputs) == 0 {
		return false
	}
	if _, ok := encoder.(sinks.BatchEncoder); !ok {
		return false
	}
	opened := 0
	for _, in := range inputs {
		if in == nil {
			continue // an input a shard does not read
		}
		opened++
		br, ok := in.(sources.BatchReader)
		if !ok {
			return false
		}
		if _, err := br.Layout(); err != nil {
			return false
		}
	}
	return opened > 0
}

// batchRowBytes is the memory of a row held by the columnar shuffle beyond
// its values: its key and global index, its place among the held batches
// and two sort entries.
const batchRowBytes = 8 + 8 + 8 + 2*24

// batchReader is the reader of columnar batches (see the top of this
// file).
type batchReader struct {
	enc sinks.BatchEncoder
	// free holds decoded units' batches for the next units to be decoded
	// into.
	free *batchPool
}

// route is route on the columnar path: it reads unit u into a batch,
// draws the key of every row, and assigns it. Each output's rows (once per
// copy of a repeated row, in input order) are then either read in place by
// the encoders, when they are at least half of the unit's rows, or
// gathered into a batch of their own: copying a small share is cheaper
// than holding the whole unit for it (a 20% split's row group spans five
// units), and at most two outputs hold a unit in place. A shuffle also
// keeps each row's key and index and copies its rows; a spilling one cuts
// each output's rows by key range and encodes each piece for its spill
// file.
func (br *batchReader) route(ctx context.Context, e *engine, u unit) (routed, error) {
	n := len(e.names)
	r := routed{seq: u.seq}
	b, err := br.read(ctx, e, u)
	if err != nil {
		return r, err
	}
	// When no output reads the unit's batch in place, the batch holds the
	// next unit read; else the last row group reading it frees it.
	shared := &sharedUnit{batch: b, free: br.free}
	defer func() {
		if shared.users.Load() == 0 {
			br.free.put(b)
		}
	}()
	if int64(b.Len) != u.rows {
		return r, fmt.Errorf("internal error: %s row group %d decoded %d rows, want %d", e.inputs[u.input].Name(), u.rg, b.Len, u.rows)
	}
	// Rows go to bins: one per output, or per output and key range when
	// the shuffle spills (bin s*P+p).
	keyed := e.order.parts() > 0
	parts := max(e.order.parts(), 1)
	sel := make([][]int32, n*parts)
	var binKeys [][]uint64
	var binIndex [][]int64
	if keyed {
		binKeys = make([][]uint64, len(sel))
		binIndex = make([][]int64, len(sel))
	}
	// A first pass assigns the rows and counts each bin's, so that the
	// second gives each bin its exact memory once: grown by appends, the
	// bins took about twice their rows' bytes in fresh memory, the most
	// of any allocation of the columnar path after the batches. Rows
	// repeated a drawn number of times are not counted (their bins grow
	// as before).
	gen := e.master
	gen.Advance(uint64(u.start))
	// The keys (which assignRows may replace) are kept for the second
	// pass where the bins need them.
	keepKeys := keyed || parts > 1
	scratch := getScratch() // ids, sel and keys: free once the route ends
	defer putScratch(scratch)
	nkeys := min(readBatch, b.Len)
	if keepKeys {
		nkeys = b.Len
	}
	keys := scratch.keysFor(nkeys)
	ids := scratch.idsFor(b.Len)
	counts := make([]int, len(sel))
	var one [1]int
	var table *idTargets // each id's outputs, where rows are not repeated
	for lo := 0; lo < b.Len; lo += readBatch {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		k := min(readBatch, b.Len-lo)
		start := u.start + int64(lo)
		chunk := keys[:k]
		if keepKeys {
			chunk = keys[lo : lo+k]
		}
		gen.Fill(chunk)
		if err := e.place.assign.assignRows(nil, chunk, start, ids[lo:lo+k]); err != nil {
			return r, err
		}
		if e.place.repeat != nil || parts == 1 {
			continue // parts == 1: counted below, from the ids
		}
		if table == nil {
			table = e.place.idTargets()
		}
		for i := range k {
			p := extsort.Partition(chunk[i], parts)
			for _, s := range table[ids[lo+i]] {
				counts[s*parts+p]++
			}
		}
	}
	if parts == 1 {
		table = e.place.idTargets()
		if e.place.repeat == nil {
			table.countBins(ids, counts)
		}
	}
	scratch.bins(sel, counts)
	// The common split, each row once to each of its outputs, is routed
	// here; the loop below routes the rest.
	simple := table != nil && e.place.repeat == nil && !keyed
	if simple {
		table.route(ids, sel)
	}
	var spilled *spillShuffle
	if keyed {
		spilled, _ = e.order.(*spillShuffle)
		r.keyBufs = keyBins(spilled.keyBuffers(), binKeys, binIndex, counts)
	}
	if keyed && e.place.repeat == nil {
		// A shuffle's rows, each once to each of its outputs.
		routeKeyed(table, ids[:b.Len], keys, u.start, parts, sel, binKeys, binIndex)
		simple = true
	}
	for lo := 0; lo < b.Len && !simple; lo += readBatch {
		k := min(readBatch, b.Len-lo)
		start := u.start + int64(lo)
		for i := range k {
			copies := e.place.copies(start + int64(i))
			for _, s := range e.place.targets(int(ids[lo+i]), one[:]) {
				bin := s
				if parts > 1 {
					bin = s*parts + extsort.Partition(keys[lo+i], parts)
				}
				for range copies {
					sel[bin] = append(sel[bin], int32(lo+i))
					if keyed {
						binKeys[bin] = append(binKeys[bin], keys[lo+i])
						binIndex[bin] = append(binIndex[bin], start+int64(i))
					}
				}
			}
		}
	}
	if parts > 1 {
		r.spill = make([][]*extsort.Piece, n)
	} else {
		r.batches = make([]columnar.Rows, n)
		r.shared = make([]*sharedUnit, n)
		if keyed {
			r.keys, r.index = binKeys, binIndex
		}
	}
	if parts > 1 && e.indexColumn < 0 {
		// Spilled: encoded straight from the unit's batch.
		var err error
		if r.bytes, err = spillPieces(r.spill, b, sel, binKeys, binIndex, spilled.buffers()); err != nil {
			return r, fmt.Errorf("%s row group %d: %w", e.inputs[u.input].Name(), u.rg, err)
		}
		return r, nil
	}
	for bin, rows := range sel {
		if len(rows) == 0 {
			continue
		}
		s, p := bin/parts, bin%parts
		if !keyed && e.indexColumn < 0 && 2*len(rows) >= b.Len {
			r.batches[bin] = b.View(rows)
			shared.use()
			r.shared[bin] = shared
			continue
		}
		out, err := b.Take(rows)
		if err != nil {
			return r, fmt.Errorf("%s row group %d: %w", e.inputs[u.input].Name(), u.rg, err)
		}
		if e.indexColumn >= 0 {
			appendIndexColumn(out, u.start, rows)
		}
		if parts == 1 {
			r.batches[bin] = out
			r.bytes += out.Size()
			if keyed {
				r.bytes += int64(len(rows)) * batchRowBytes
			}
			continue
		}
		if r.spill[s] == nil {
			r.spill[s] = make([]*extsort.Piece, parts)
		}
		piece := &extsort.Piece{Data: out.AppendBinary(nil), Keys: binKeys[bin], Index: binIndex[bin]}
		r.spill[s][p] = piece
		r.bytes += piece.Bytes()
	}
	return r, nil
}

// routeKeyed appends each row i of ids, of key keys[i] and global index
// start+i, to the bins of its outputs (table) and of its key range among
// parts, with its key and index: the loop routing any placement, for a
// shuffle's rows that are not repeated, without asking the placer twice
// a row (1.5% of the mixed shuffle's CPU went to route's loops).
func routeKeyed(table *idTargets, ids []uint8, keys []uint64, start int64, parts int, sel [][]int32, binKeys [][]uint64, binIndex [][]int64) {
	for i, id := range ids {
		p := 0
		if parts > 1 {
			p = extsort.Partition(keys[i], parts)
		}
		for _, s := range table[id] {
			bin := s*parts + p
			sel[bin] = append(sel[bin], int32(i))
			binKeys[bin] = append(binKeys[bin], keys[i])
			binIndex[bin] = append(binIndex[bin], start+int64(i))
		}
	}
}

// read decodes unit u into a batch. A unit the columnar decoder cannot
// hold (sources.ErrUnsupported: a batch would take more memory than the
// file backs, or a big-endian machine) is read as rows and copied into a
// batch value by value, so that it takes the same path as the others.
func (br *batchReader) read(ctx context.Context, e *engine, u unit) (*columnar.Batch, error) {
	in := e.inputs[u.input]
	src := in.(sources.BatchReader)
	var b *columnar.Batch
	var err error
	if refuseBatch != nil && refuseBatch(u.seq) {
		err = sources.ErrUnsupported
	} else {
		reuse := br.free.get()
		rr, ranged := src.(sources.RangeBatchReader)
		if ranged && !u.whole(in) {
			b, err = rr.ReadBatchRangeInto(ctx, u.rg, u.first, u.rows, reuse)
		} else {
			b, err = src.ReadBatchInto(ctx, u.rg, reuse)
		}
	}
	if !errors.Is(err, sources.ErrUnsupported) {
		return b, err
	}
	layout, lerr := src.Layout()
	if lerr != nil {
		return nil, err
	}
	b = columnar.New(layout, 0)
	err = inputRows(e, u)(ctx, u.rg, readBatch, func(rows []parquet.Row) error {
		for _, row := range rows {
			for _, v := range row {
				if err := b.Cols[v.Column()].AppendValue(v); err != nil {
					return fmt.Errorf("%s row group %d, row %d: %w", in.Name(), u.rg, b.Len, err)
				}
			}
			b.Len++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// encode hands a row group's batches to the Parquet encoder, which reads
// them in place, then ends their uses of the units' batches.
func (br *batchReader) encode(segs []rowSeg) (sinks.Chunk, error) {
	parts := make([]columnar.Rows, len(segs))
	for k, seg := range segs {
		parts[k] = seg.batch
	}
	chunk, err := br.enc.EncodeBatches(parts)
	for _, seg := range segs {
		seg.shared.release()
	}
	return chunk, err
}

// sharedUnit is a unit's batch, or a spilled partition's buffer, that row
// groups read in place. It counts its uses: each piece of a row group
// reading it, and each routed output (or partition) not yet cut into row
// groups. The last use to end recycles the batch or buffer.
type sharedUnit struct {
	batch    *columnar.Batch
	free     *batchPool // the batch reader's free batches
	data     []byte
	dataFree *spillBuffers // where data goes back
	users    atomic.Int32
}

// use adds a use of s; a nil s is no shared unit.
func (s *sharedUnit) use() {
	if s != nil {
		s.users.Add(1)
	}
}

// release ends a use of s, recycling its batch after the last one.
func (s *sharedUnit) release() {
	if s != nil && s.users.Add(-1) == 0 {
		if s.batch != nil {
			s.free.put(s.batch)
		}
		s.dataFree.put(s.data)
	}
}

// appendIndexColumn adds the global row index of each of b's rows, taken
// from the unit starting at row start by sel, as a last, required INT64
// column: the row path's --row-index-column.
func appendIndexColumn(b *columnar.Batch, start int64, sel []int32) {
	col := columnar.New(columnar.Layout{{Kind: parquet.Int64, Width: 8}}, len(sel)).Cols[0]
	for _, i := range sel {
		col.Fixed = binary.LittleEndian.AppendUint64(col.Fixed, uint64(start+int64(i)))
	}
	b.Cols = append(b.Cols, col)
}
