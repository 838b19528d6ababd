package pipeline

import (
	"context"
	"fmt"
	"os"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/extsort"
	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/internal/staging"
)

// The out-of-core shuffle. When a split's rows do not fit in the shuffle's
// memory, the rows are spilled to P temporary files per split by key range:
// partition p holds the keys in [p*2^64/P, (p+1)*2^64/P), so reading the
// partitions in order and sorting each by (key, global row index) gives the
// canonical order. Keys are uniform, so partitions are about equal; P is
// chosen from the inputs' footers so that one partition fits in half the
// memory. The output does not depend on P: only the order of rows within a
// split is produced, and it is the canonical order whatever P is.

// spillPrefix names a shuffle's spill directory in --temp-dir (beside its
// lock file, spillPrefix+N+".lock": see [staging.LockedDir]).
const spillPrefix = "splitdata-spill-"

// newSpillDir makes the directory a spilling shuffle writes its files to:
// in tempDir when given, held by a lock so that the next run there removes
// it should this one be killed; else, for a local directory output, in its
// staging directory, which the next run on the output removes; else in the
// system's temporary directory, held by a lock. remove deletes it.
func newSpillDir(tempDir string, out Output) (dir string, remove func(), err error) {
	local, ok := out.(*LocalDir)
	if tempDir == "" && ok {
		if dir, err = local.scratchDir(".spill"); err != nil {
			return "", nil, fmt.Errorf("shuffle: temporary directory: %w", err)
		}
		return dir, func() { _ = os.RemoveAll(dir) }, nil
	}
	if tempDir == "" {
		tempDir = os.TempDir()
	}
	d, err := staging.NewLockedDir(tempDir, spillPrefix)
	if err != nil {
		return "", nil, fmt.Errorf("shuffle: temporary directory in %s: %w", tempDir, err)
	}
	return d.Path, func() { _ = d.Remove() }, nil
}

// spillPlaces are where a job keeps its temporary files beside the output:
// files, a spilling shuffle's partitions, and path, the local directory of
// streamed row groups' pages (given to sinks as a path).
type spillPlaces struct {
	files   scratch.Dir
	path    string
	removes []func()
}

// newSpillPlaces makes the places a job needs: files when it spills (in
// store when given, else as newSpillDir says), path when it streams row
// groups (a local directory always: in tempDir, or where newSpillDir puts
// it when store holds the job's other temporary files). remove deletes
// them.
func newSpillPlaces(tempDir string, store scratch.Dir, out Output, spill, streams bool) (*spillPlaces, error) {
	sp := &spillPlaces{}
	local := tempDir
	if store != nil {
		local = ""
	}
	if spill && store != nil {
		sp.files = store
	} else if spill {
		dir, remove, err := newSpillDir(tempDir, out)
		if err != nil {
			return nil, err
		}
		sp.path, sp.files = dir, scratch.Local(dir)
		sp.removes = append(sp.removes, remove)
	}
	if streams && sp.path == "" {
		dir, remove, err := newSpillDir(local, out)
		if err != nil {
			sp.remove()
			return nil, err
		}
		sp.path = dir
		sp.removes = append(sp.removes, remove)
	}
	return sp, nil
}

// remove deletes the directories made for the job.
func (sp *spillPlaces) remove() {
	for _, r := range sp.removes {
		r()
	}
}

// TempStore is where a job's temporary files go ([JobOptions.TempStore]):
// files written once, by appends or by ranges, and read back at any
// offset. storage.Store.NewScratch gives one in a bucket.
type TempStore = scratch.Dir

// CleanTempDir removes from the local directory dir (a --temp-dir) what
// killed runs left there: the spill and content-count directories whose
// lock no live run holds. A live run's are left alone.
func CleanTempDir(dir string) error {
	if _, err := os.Stat(dir); err != nil {
		return fmt.Errorf("clean %s: %w", dir, err)
	}
	for _, prefix := range []string{spillPrefix, contentPrefix} {
		// Making a locked directory removes the dead ones first.
		d, err := scratch.NewLocked(dir, prefix)
		if err != nil {
			return fmt.Errorf("clean %s: %w", dir, err)
		}
		if err := d.Remove(); err != nil {
			return fmt.Errorf("clean %s: %w", dir, err)
		}
	}
	return nil
}

// tempFiles is where a job keeps its per-row state and group files beyond
// memory: store when set, else the local directory dir (the system's
// temporary directory when empty).
func tempFiles(store TempStore, dir string) scratch.Dir {
	if store != nil {
		return store
	}
	return scratch.Local(dir)
}

// maxSpillFiles bounds the files a spilling shuffle keeps open at once,
// well below the usual limit of 1024 descriptors. P is limited to half of
// it per split, as when each split and partition took two files (a keys
// file beside the rows' until extsort.Files put them in one), so that P
// and the --memory a shuffle needs stay as they were.
const maxSpillFiles = 512

// shufflePartitions chooses P for a shuffle of splits splits whose rows are
// estimated at bytes decoded, under memory (the shuffle's,
// JobOptions.ShuffleMemory): 1 (in memory) when they fit in half of it
// and are no more than inMemoryMax, else enough key ranges that the two
// partitions the spilled shuffle holds at once fit in it beside the free
// partition buffers it keeps (runBuffersBound), and at least enough that
// one holds about partitionTarget bytes, as far as the file limit allows.
// It fails, before any work, when a partition would not fit so within
// maxSpillFiles files. More partitions change no byte of the outputs.
func shufflePartitions(bytes, memory int64, splits int) (int, error) {
	if memory <= 0 || bytes <= min(memory/2, inMemoryMax) {
		return 1, nil
	}
	room := memory - runBuffersBound(memory)
	p := (2*bytes + room - 1) / room
	limit := int64(max(1, maxSpillFiles/(2*splits)))
	if p > limit {
		// The shuffle has half of the heap budget by default
		// (shuffleShare): quote the --memory that gives it enough.
		need := shuffleMemoryFor((bytes + limit - 1) / limit)
		return 0, fmt.Errorf("%w: shuffling about %d MiB of decoded rows in %d key ranges needs --memory of at least %d MiB (two ranges held at once, and up to %s of free buffers for the next)",
			ErrTooLarge, bytes>>20, limit, memoryFor(2*need)>>20+1, sizeText(runBuffersBound(need)))
	}
	p = min(max(p, (bytes+partitionTarget-1)/partitionTarget), limit)
	return int(p), nil
}

// inMemoryMax is the most decoded rows a shuffle orders in memory, however
// large --memory is: beyond it, ordering partitions of partitionTarget
// bytes one at a time is faster, and lighter, than ordering everything at
// once, even though they go through temporary files (which the page cache
// usually holds). 10M gen rows (~1.9 GB decoded): 7.13 s and 2.3 GB
// ordered in memory under --memory 4GiB, 4.49 s and 314 MB spilled.
const inMemoryMax = 64 << 20

// partitionTarget is the size of a spilled partition the shuffle aims for,
// below half of --memory, as estimated from the footers (about twice what
// the spill files then hold on the peers' mixed shape): a partition's rows
// are gathered at random by the encoders, one column at a time, which runs
// faster when a column's values of the partition fit in a core's cache,
// and it is read back into fresh memory. 10M gen rows at --memory 512MiB
// (~1.8 GB decoded, before the columnar path): 7 partitions of ~250 MB
// took 6.25 s and 768 MB RSS, partitions of 128, 32, 16 and 8 MiB 5.66,
// 5.40, 5.20 and 5.66 s, with 655, 298, 252 and 223 MB RSS. The mixed
// shape (5M rows, 4 files, 7 columns, 228 partitions at 4 MiB instead of
// 57 at 16 MiB; perf, CPU-s, two runs each on a loaded machine): gathering
// the rows for the encoders 1.13 s to 0.72, reading partitions back 0.80
// to 0.45, sorting 0.24 to 0.17, at the cost of 0.1 more cutting and
// appending the smaller pieces; 7.8 CPU-s to 7.0, 75k page faults to 50k,
// peak RSS 246 MB to 214. The wide one (2M rows of 20 strings): 14.3 CPU-s
// to 12.3, 139k page faults to 70k; the one-row-group and flights shapes
// the same CPU, 245 MB and 179 MB peak RSS down to 180 and 153.
const partitionTarget = 4 << 20

// loadRows reads partition p of output s back from files as rows, in
// canonical order. It also returns the size of the rows' content (not
// counting allocation slack). It returns no rows for an empty partition.
func loadRows(ctx context.Context, files *extsort.Files, s, p int) ([]parquet.Row, int64, error) {
	run, err := files.Load(s, p)
	if err != nil || run.Pieces == nil {
		return nil, 0, err
	}
	h := shuffled{rows: make([]parquet.Row, 0, run.Rows), entries: run.Entries}
	bytes := run.Bytes // the rows' byte arrays point into it
	for _, piece := range run.Pieces {
		dec := extsort.NewDecoder(piece)
		for dec.More() {
			if err := ctx.Err(); err != nil {
				return nil, 0, err
			}
			row, err := dec.Row()
			if err != nil {
				return nil, 0, fmt.Errorf("read back spill %s: %w", run.Path, err)
			}
			h.rows = append(h.rows, row)
			bytes += int64(len(row))*valueBytes + rowHeaderBytes
		}
	}
	if int64(len(h.rows)) != run.Rows {
		return nil, 0, fmt.Errorf("read back spill %s: %d rows, wrote %d", run.Path, len(h.rows), run.Rows)
	}
	return h.canonicalOrder(), bytes, nil
}

// loadBatches is loadRows for the columnar path: it reads partition p of
// output s back as the batches it was spilled in, of layout, and returns
// them with their rows' canonical order and the memory they take. The
// partition is read into what of old has room (extsort.Files.LoadInto)
// and sorted by sorter; run.Buffer is what the batches' values are in,
// and run.Entries nothing needs once it returns.
func loadBatches(ctx context.Context, files *extsort.Files, s, p int, layout columnar.Layout, old extsort.Run, sorter *extsort.Sorter) (_ []*columnar.Batch, _ []columnar.Ref, bytes int64, run extsort.Run, err error) {
	if run, err = files.LoadInto(s, p, old); err != nil || run.Pieces == nil {
		return nil, nil, 0, run, err
	}
	bytes = run.Bytes + run.Rows*batchRowBytes // levels and values point into the run's buffer
	h := shuffled{refs: make([]columnar.Ref, 0, run.Rows), sorter: sorter}
	for _, rest := range run.Pieces {
		for len(rest) > 0 {
			if err := ctx.Err(); err != nil {
				return nil, nil, 0, run, err
			}
			var b *columnar.Batch
			if b, rest, err = columnar.Decode(rest, layout); err != nil {
				return nil, nil, 0, run, fmt.Errorf("read back spill %s: %w", run.Path, err)
			}
			h.holdBatch(b, nil, nil)
			for c := range b.Cols {
				bytes += 4 * int64(cap(b.Cols[c].Offsets)) // copied, unlike the rest
			}
			bytes += columnar.FullLevelBytes(layout, b.Len) // made for columns spilled without nulls
		}
	}
	if int64(len(h.refs)) != run.Rows {
		return nil, nil, 0, run, fmt.Errorf("read back spill %s: %d rows, wrote %d", run.Path, len(h.refs), run.Rows)
	}
	h.entries = run.Entries
	return h.batches, h.canonicalRefs(), bytes, run, nil
}

// spillPieces encodes a unit's rows for a spilling shuffle: sel[bin] are
// the rows of output bin/P in key range bin%P, with their keys and
// indices, and spill[s][p] gets their piece (nil where no rows). All
// pieces are made at once, column by column (columnar.AppendBinaryBins),
// in a buffer of bufs when it has one large enough; the first piece
// carries it (Piece.Buffer) for spillShuffle.add to give back. It
// returns the memory the pieces hold.
func spillPieces(spill [][]*extsort.Piece, b *columnar.Batch, sel [][]int32, keys [][]uint64, index [][]int64, bufs *spillBuffers) (int64, error) {
	parts := len(sel) / len(spill)
	data := make([][]byte, len(sel))
	buf, err := b.AppendBinaryBinsInto(bufs.get(), data, sel)
	if err != nil {
		return 0, err
	}
	var bytes int64
	for bin, d := range data {
		if d == nil {
			continue
		}
		s, p := bin/parts, bin%parts
		if spill[s] == nil {
			spill[s] = make([]*extsort.Piece, parts)
		}
		piece := &extsort.Piece{Data: d, Keys: keys[bin], Index: index[bin], Buffer: buf}
		buf = nil
		spill[s][p] = piece
		bytes += piece.Bytes()
	}
	return bytes, nil
}

// spillBuffers are the buffers of spilled pieces a shuffle's dispatcher
// is done with, for the routers to cut the next pieces from. It keeps at
// most spillBuffersKept, of at most a quarter of the shuffle's memory in
// all (freeBufferBytes), and none once every unit is routed (drop): a
// buffer is otherwise a unit's, counted with it while the unit is in
// flight, and the shuffle's memory holds nothing else until every unit
// is routed (its partitions are read back after), so the free ones take
// room that is idle while they exist. A nil *spillBuffers keeps none.
type spillBuffers = freeList[[]byte]

// newSpillBuffers returns a list keeping at most keep buffers of at most
// most bytes in all (0: no bound but keep).
func newSpillBuffers(keep int, most int64) *spillBuffers {
	return newFreeList(keep, most, func(b []byte) int64 { return int64(cap(b)) })
}

// keyBuffers are a unit's rows' keys and global indices, each bin's cut
// from one buffer of each: what the spill pieces carry (Piece.Keys and
// Index), given back once the pieces are written. Made fresh for every
// unit, in as many slices as bins, they took about 80 MB of a 5M-row
// shuffle, faulted in and collected.
type keyBuffers struct {
	keys  []uint64
	index []int64
}

// bytes is the memory k holds.
func (k keyBuffers) bytes() int64 { return 8*int64(cap(k.keys)) + 8*int64(cap(k.index)) }

// keyLists are the key buffers of units written to the spill, for the
// routers to cut the next bins from; bounded as spillBuffers are, to a
// quarter of their bytes (keys take 16 bytes a row, pieces about 100 on
// the mixed shape).
type keyLists = freeList[keyBuffers]

// keyBins sets binKeys[bin] and binIndex[bin] to empty slices of capacity
// counts[bin] for each counted bin, cut from buffers of l when it has
// them large enough, else from new ones, which it returns for the caller
// to give back to l once nothing reads the bins. A bin's appends past its
// count move it to fresh memory and leave its neighbours alone.
func keyBins(l *keyLists, binKeys [][]uint64, binIndex [][]int64, counts []int) keyBuffers {
	total := 0
	for _, c := range counts {
		total += c
	}
	k := l.get()
	if cap(k.keys) < total || cap(k.index) < total {
		// Room for a sixteenth more, for the next unit's larger bins.
		k = keyBuffers{keys: make([]uint64, total, total+total/16), index: make([]int64, total, total+total/16)}
	}
	off := 0
	for bin, c := range counts {
		if c > 0 {
			binKeys[bin] = k.keys[off : off : off+c]
			binIndex[bin] = k.index[off : off : off+c]
			off += c
		}
	}
	return k
}

// keyBuffers returns the shuffle's free key buffers; nil (none kept) for
// a nil s.
func (s *spillShuffle) keyBuffers() *keyLists {
	if s == nil {
		return nil
	}
	return s.keys
}

// buffers returns the shuffle's free piece buffers; nil (none kept) for a
// nil s.
func (s *spillShuffle) buffers() *spillBuffers {
	if s == nil {
		return nil
	}
	return s.bufs
}

// spillBuffersKept is how many free piece buffers (and key buffers) a
// spilling shuffle keeps; a router finding none allocates. The routers
// run ahead of the dispatcher, which writes the spill, so that up to six
// units' buffers were in flight at once on the mixed shape (5M rows, 41
// units of 11.5 MB of pieces): keeping 2 (until session 22), the routers
// allocated 9 to 14 of them, faulted in page by page; keeping 4, 6 to 8.
// freeBufferBytes bounds them too: at the default --memory its quarter
// holds two of mixed's piece buffers (and three key buffers); a half,
// holding four, took no less CPU (benchmarks/README.md).
const spillBuffersKept = 4

// freeBufferBytes is the most bytes of free piece buffers (a quarter of
// limit) and of free key buffers (a sixteenth) a spilling shuffle whose
// memory is limit keeps while its units are read.
func freeBufferBytes(limit int64) (pieces, keys int64) {
	return max(limit/4, 1), max(limit/16, 1)
}

// runBuffersKept and runBuffersBytes bound the free buffers of
// partitions read back (and a quarter of the shuffle's partition bound):
// a row group, once encoded, gives back those of the partitions it read
// at once, and the loader runs ahead of the encoders. On the mixed shape
// (partitions of ~1.1 MB spilled, 225 read back) 4 kept were reused 98
// times, 123 let go; 12 were reused 204 times, and the shuffle took 53k
// to 65k page faults instead of 80k to 95k, at the same peak RSS.
const (
	runBuffersKept  = 12
	runBuffersBytes = 4 * partitionTarget
)

// runBuffersBound is the most bytes of free partition buffers a spilling
// shuffle whose memory is limit (JobOptions.ShuffleMemory) keeps: the
// bound newOrderer gives its list, min(runBuffersBytes, limit/4).
// shufflePartitions leaves them room beside the two partitions held, so
// that partitions and free buffers stay within limit together; until
// session 18 they came on top of it.
func runBuffersBound(limit int64) int64 {
	return max(min(runBuffersBytes, limit/4), 0)
}

// shuffleMemoryFor is the least shuffle memory whose spilled partitions
// may hold part bytes each (see shufflePartitions): two of them and the
// free buffers (runBuffersBound).
func shuffleMemoryFor(part int64) int64 {
	if part >= 1<<60 {
		return 1 << 62
	}
	// The free buffers take a quarter of it below 4 runBuffersBytes,
	// else runBuffersBytes; the rounding of the quarter moves the least
	// by a few bytes.
	m := min((8*part+2)/3, 2*part+runBuffersBytes)
	for range 8 {
		if m <= 1 || m-1-runBuffersBound(m-1) < 2*part {
			break
		}
		m--
	}
	for m-runBuffersBound(m) < 2*part {
		m++
	}
	return m
}
