package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"sync"
	"unsafe"
)

// logBucketBits is how many of a hash's top bits number its bucket in a
// hashLog: 2^11 buckets, about 5,000 hashes each at 10M rows, so that
// putting hashes in their buckets writes to few enough places at once to
// stay in the cache, and a bucket's set of hashes (see sharedIn) too.
const logBucketBits = 11

const logBuckets = 1 << logBucketBits

// hashLog holds the fast row hashes (see verify.go) of the rows a scan
// sees, 8 bytes a row, in the order they are merged: which row a hash is
// of follows from its place in the log (its sequence number) and the
// segments added with the hashes, so no position is stored per row. The
// first hashes go to a temporary file once they would take more than hold
// bytes in memory, in one stream.
//
// candidates then marks the rows whose hash another row shares, a
// range of buckets at a time: the hashes of the range, as many as fit in
// the budget, are put in their buckets' places as the log is read, each
// bucket is sorted, and the hashes found twice are looked up as the log
// is read again (only if there are any). Equal hashes are in one bucket,
// so every shared hash is found.
//
// A hashLog is for one goroutine at a time.
type hashLog struct {
	mem     []uint64 // the last hashes, in memory
	hold    int      // the most hashes kept in memory
	budget  int64    // bytes for one range of buckets
	dir     string
	file    *os.File // the first spilled hashes, or nil
	spilled int64
	// stripes counts the hashes of each bucket per stripe of the log:
	// hashes stripe*k to stripe*(k+1)-1 of it. The goroutines of scatter
	// each place a run of stripes, from where the stripes before put
	// each bucket's next hash.
	stripe  int64
	stripes [][]uint32
	segs    []logSegment
	// remap, if not nil, renumbers the segments' splits as the rows are
	// marked (see leakFinder.remap).
	remap []uint16
	// workers bounds the goroutines sorting buckets (0: one).
	workers int
	// expect is the hashes the log expects, to size its memory at once.
	expect int
}

// logSegment is where the rows of consecutive hashes of a log are: from
// sequence number seq on, rows row, row+1, ... of a file.
type logSegment struct {
	seq   int64
	row   uint64
	file  uint32
	split uint16
}

// newHashLog returns a log keeping up to hold bytes of hashes in memory
// (beyond, the first ones in a file in dir), and finding shared hashes
// in ranges of up to budget bytes of them.
func newHashLog(hold, budget int64, dir string) *hashLog {
	return &hashLog{hold: int(max(hold, 1<<20) / 8), budget: max(budget, 1<<20), dir: dir, stripe: logStripe}
}

// logStripe is the hashes of a stripe of a hashLog: 8 KiB of counts per
// 8 MiB of hashes, a thousandth.
const logStripe = 1 << 20

// n is the number of hashes in the log.
func (l *hashLog) n() int64 { return l.spilled + int64(len(l.mem)) }

// add appends the hashes of rows first, first+1, ... of file (in split).
func (l *hashLog) add(file uint32, split uint16, first uint64, hs []uint64) error {
	if len(hs) == 0 {
		return nil
	}
	seq := l.n()
	l.segs = append(l.segs, logSegment{seq: seq, row: first, file: file, split: split})
	for rest := hs; len(rest) > 0; {
		s := seq / l.stripe
		for int64(len(l.stripes)) <= s {
			l.stripes = append(l.stripes, make([]uint32, logBuckets))
		}
		k := int(min(int64(len(rest)), (s+1)*l.stripe-seq))
		c := l.stripes[s]
		for _, h := range rest[:k] {
			c[h>>(64-logBucketBits)]++
		}
		rest, seq = rest[k:], seq+int64(k)
	}
	for len(hs) > 0 {
		if len(l.mem) == l.hold {
			if err := l.spill(); err != nil {
				return err
			}
		}
		k := min(len(hs), l.hold-len(l.mem))
		if len(l.mem)+k > cap(l.mem) {
			l.mem = slices.Grow(l.mem, min(max(len(l.mem)+k, 2*cap(l.mem), l.expect), l.hold)-len(l.mem))
		}
		l.mem = append(l.mem, hs[:k]...)
		hs = hs[k:]
	}
	return nil
}

// spill appends the hashes in memory to the log's file.
func (l *hashLog) spill() error {
	if l.file == nil {
		f, err := os.CreateTemp(l.dir, "splitdata-report-*.bin")
		if err != nil {
			return fmt.Errorf("leak check: %w", err)
		}
		_ = os.Remove(f.Name()) // unlinked: gone however the run ends
		l.file = f
	}
	if _, err := l.file.Write(u64Bytes(l.mem)); err != nil {
		return fmt.Errorf("leak check: write temporary file: %w", err)
	}
	l.spilled += int64(len(l.mem))
	l.mem = l.mem[:0]
	return nil
}

// u64Bytes returns the memory of hs as bytes: the file holds hashes as
// they are in memory, written and read back by the same process.
func u64Bytes(hs []uint64) []byte {
	if len(hs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&hs[0])), 8*len(hs))
}

// each calls fn with the hashes of the log in order, a block at a time,
// with the sequence number of the block's first, reading the file's
// through block.
func (l *hashLog) each(block []uint64, fn func(seq int64, hs []uint64)) error {
	var seq int64
	for seq < l.spilled {
		b := block[:min(int64(len(block)), l.spilled-seq)]
		if _, err := io.ReadFull(io.NewSectionReader(l.file, 8*seq, 8*int64(len(b))), u64Bytes(b)); err != nil {
			return fmt.Errorf("leak check: read temporary file: %w", err)
		}
		fn(seq, b)
		seq += int64(len(b))
	}
	fn(seq, l.mem)
	return nil
}

// candidates marks in c the rows whose hash another row of the log
// shares.
func (l *hashLog) candidates(c *candidates) error {
	if l.n() == 0 {
		return nil
	}
	// Ranges of buckets of up to budget bytes of hashes each (a bucket
	// larger than that alone: many copies of one row).
	most := l.budget / 8
	counts := make([]int64, logBuckets) // per bucket
	for _, c := range l.stripes {
		for b, k := range c {
			counts[b] += int64(k)
		}
	}
	var ranges [][2]int
	var size, largest int64
	lo := 0
	for b, n := range counts {
		if size > 0 && size+n > most {
			ranges = append(ranges, [2]int{lo, b})
			largest = max(largest, size)
			lo, size = b, 0
		}
		size += n
	}
	ranges = append(ranges, [2]int{lo, logBuckets})
	largest = max(largest, size)
	// One slot more per worker, which the hashes of other buckets than
	// its own are written to.
	workers := max(l.workers, 1)
	hashes := make([]uint64, largest+int64(workers))
	starts := make([]int64, logBuckets+1)
	dups := make([]int64, logBuckets) // per bucket: how many distinct shared hashes it starts with
	// Buffers the log's file is read through, if it has one: one per
	// goroutine of scatter, 3 MiB in all.
	var blocks [][]uint64
	if l.spilled > 0 {
		blocks = make([][]uint64, workers)
		for i := range blocks {
			blocks[i] = make([]uint64, max(3*readBlock/8/workers, 8<<10))
		}
	}
	for _, r := range ranges {
		lo, hi := r[0], r[1]
		var at int64
		for b := lo; b < hi; b++ {
			starts[b] = at
			at += counts[b]
		}
		starts[hi] = at
		if err := l.scatter(hashes, starts, lo, hi, largest, blocks); err != nil {
			return err
		}
		if l.findShared(hashes, starts, dups, lo, hi) == 0 {
			continue
		}
		var block []uint64
		if blocks != nil {
			block = blocks[0]
		}
		err := l.each(block, func(seq int64, hs []uint64) {
			for i, h := range hs {
				b := int(h >> (64 - logBucketBits))
				if b < lo || b >= hi || dups[b] == 0 {
					continue
				}
				shared := hashes[starts[b] : starts[b]+dups[b]]
				if _, ok := slices.BinarySearch(shared, h); ok {
					l.mark(c, seq+int64(i))
				}
			}
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// scatter puts the hashes of buckets [lo, hi) of the log at their
// buckets' places in hashes (bucket b's from starts[b] on, in the log's
// order), on up to l.workers goroutines (len(blocks) if the log has a
// file), each placing the hashes of a run of the log's stripes from
// where the stripes before it put each bucket's next hash (see
// stripes): each hash is read and placed once. Slot spare+w takes the
// hashes of other buckets that goroutine w reads. blocks, if the log has
// a file, are the buffers the goroutines read it through, one each.
// After a run, the engine done, the scatter has the cores to itself.
func (l *hashLog) scatter(hashes []uint64, starts []int64, lo, hi int, spare int64, blocks [][]uint64) error {
	n := hi - lo
	workers := max(l.workers, 1)
	if blocks != nil {
		workers = len(blocks)
	}
	workers = max(min(workers, len(l.stripes), int(int64(len(hashes))-spare)), 1)
	next := starts[lo:hi:hi]
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		// Goroutine w places stripes [s, e): its bucket places start
		// where those of the stripes before it end.
		s, e := w*len(l.stripes)/workers, (w+1)*len(l.stripes)/workers
		at := make([]int64, n+1)
		copy(at, next)
		at[n] = spare + int64(w)
		if w+1 < workers {
			cont := make([]int64, n)
			copy(cont, next)
			for _, c := range l.stripes[s:e] {
				for d, k := range c[lo:hi] {
					cont[d] += int64(k)
				}
			}
			next = cont
		}
		var block []uint64
		if blocks != nil {
			block = blocks[w]
		}
		from, to := int64(s)*l.stripe, min(int64(e)*l.stripe, l.n())
		wg.Go(func() {
			errs[w] = l.eachIn(from, to, block, func(hs []uint64) {
				for _, h := range hs {
					// Without a branch, which the hashes of other
					// ranges would mispredict: a hash of another range
					// goes to the spare slot, and at[n] stays.
					d := int(h>>(64-logBucketBits)) - lo
					i, step := n, int64(0)
					if uint(d) < uint(n) {
						i, step = d, 1
					}
					p := at[i]
					hashes[p] = h
					at[i] = p + step
				}
			})
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// eachIn calls fn with the hashes of sequence numbers [from, to) of the
// log in order, a block at a time, reading the file's through block.
func (l *hashLog) eachIn(from, to int64, block []uint64, fn func(hs []uint64)) error {
	for seq := from; seq < min(to, l.spilled); {
		b := block[:min(int64(len(block)), min(to, l.spilled)-seq)]
		if _, err := io.ReadFull(io.NewSectionReader(l.file, 8*seq, 8*int64(len(b))), u64Bytes(b)); err != nil {
			return fmt.Errorf("leak check: read temporary file: %w", err)
		}
		fn(b)
		seq += int64(len(b))
	}
	if to > l.spilled {
		fn(l.mem[max(from, l.spilled)-l.spilled : to-l.spilled])
	}
	return nil
}

// findShared moves the distinct hashes that each bucket b of [lo, hi)
// of hashes (from starts[b] to starts[b+1]) holds twice or more to its
// start, ascending (sharedIn), on up to l.workers goroutines, and sets
// dups[b] to their number. It returns their total.
func (l *hashLog) findShared(hashes []uint64, starts, dups []int64, lo, hi int) int64 {
	workers := max(l.workers, 1)
	sums := make([]int64, workers)
	some := func(w int) {
		var f sharedFinder
		for b := lo + w; b < hi; b += workers {
			k := f.sharedIn(hashes[starts[b]:starts[b+1]])
			dups[b] = int64(k)
			sums[w] += int64(k)
		}
	}
	if workers == 1 {
		some(0)
	} else {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() { some(w) })
		}
		wg.Wait()
	}
	var total int64
	for _, n := range sums {
		total += n
	}
	return total
}

// mark marks the row of the hash of sequence number seq.
func (l *hashLog) mark(c *candidates, seq int64) {
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].seq > seq }) - 1
	s := l.segs[i]
	split := s.split
	if l.remap != nil {
		split = l.remap[split]
	}
	c.mark(record{kind: kindRow, split: split, file: s.file, row: s.row + uint64(seq-s.seq)})
}

// drop lets go of the log's hashes once candidates is done with them:
// its file is closed on a goroutine of its own, as the system's freeing
// of the file's pages (64 MB at 10M rows, about 4 ms) needs nothing that
// follows.
func (l *hashLog) drop() {
	if f := l.file; f != nil {
		go f.Close()
	}
	l.file, l.mem = nil, nil
}

// close removes the log's file.
func (l *hashLog) close() {
	if l.file != nil {
		l.file.Close()
	}
	l.file, l.mem = nil, nil
}
