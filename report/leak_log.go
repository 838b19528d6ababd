package report

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"
)

// logBucketBits is how many of a hash's top bits number its bucket in a
// hashLog: 2^11 buckets, about 5,000 hashes each at 10M rows, so that a
// bucket's set of hashes (see sharedIn) stays in the cache.
const logBucketBits = 11

const logBuckets = 1 << logBucketBits

// logPartBits is how many of a hash's top bits number its part of a
// hashLog: 16 parts, each of 128 buckets.
const logPartBits = 4

const (
	logParts    = 1 << logPartBits
	partBuckets = logBuckets / logParts
)

// hashLog holds the fast row hashes (see verify.go) of the rows a scan
// sees, 8 bytes a row. They are kept in parts by their top bits as they
// are added, each part in the order the hashes came (see logPart), and
// a tag a row (one byte: its hash's part) in the order the rows are
// merged: which row a hash is of follows from its place in its part and
// the tags (the place of the k-th tag p is the row of part p's k-th
// hash), and from the segments added with the hashes, so no position is
// stored per row. Beyond hold hashes in memory (and hold/8 tags), the first
// ones of each part, and the first tags, go to temporary files.
//
// candidates then marks the rows whose hash another row shares, a part
// at a time on each of up to workers goroutines: equal hashes are in one
// part, which is read alone, its hashes put in their buckets, the
// buckets searched for shared hashes (sharedIn), and the hashes of the
// part found twice marked by their place in it. Only if some are, the
// tags are read to turn places in parts into rows. A part is a
// sixteenth of the log, 5 MB at 10M rows: its buckets are placed in a
// buffer of that size, reused from part to part, where the whole log's
// (80 MB at 10M rows, cleared and faulted in after the run) were before.
//
// A hashLog is for one goroutine at a time.
type hashLog struct {
	parts  [logParts]logPart
	tags   tagLog
	hold   int   // the most hashes kept in memory
	budget int64 // bytes for the buckets the goroutines of candidates place at once
	dir    string
	n      int64
	segs   []logSegment
	stage  []uint64 // add's hashes, by part
	// counts is the hashes of each bucket, those of part p from
	// p*partBuckets on.
	counts [logBuckets]int64
	// remap, if not nil, renumbers the segments' splits as the rows are
	// marked (see leakFinder.remap).
	remap []uint16
	// workers bounds the goroutines of candidates (0: one).
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
// (beyond, the first ones in files in dir), and finding shared hashes
// with up to budget bytes of them placed in their buckets at once.
func newHashLog(hold, budget int64, dir string) *hashLog {
	return &hashLog{hold: int(max(hold, 1<<20) / 8), budget: max(budget, 1<<20), dir: dir}
}

// memBytes is the bytes the log's hashes take in memory.
func (l *hashLog) memBytes() int64 {
	var n int64
	for p := range l.parts {
		n += 8 * int64(cap(l.parts[p].mem))
	}
	return n
}

// spilled is the number of hashes in the parts' files.
func (l *hashLog) spilled() int64 {
	var n int64
	for p := range l.parts {
		n += l.parts[p].spilled
	}
	return n
}

// add appends the hashes of rows first, first+1, ... of file (in split).
func (l *hashLog) add(file uint32, split uint16, first uint64, hs []uint64) error {
	if len(hs) == 0 {
		return nil
	}
	if l.tags.hold == 0 {
		l.tags.hold = max(l.hold/8, 1)
		l.tags.expect = min(l.expect, l.tags.hold)
		for p := range l.parts {
			l.parts[p].hold = max(l.hold/logParts, 1)
			l.parts[p].expect = min(l.expect/logParts, l.parts[p].hold)
			l.parts[p].counts = l.counts[p*partBuckets : (p+1)*partBuckets]
		}
	}
	l.segs = append(l.segs, logSegment{seq: l.n, row: first, file: file, split: split})
	l.n += int64(len(hs))
	tags, err := l.tags.next(l.dir, len(hs))
	if err != nil {
		return err
	}
	// A stretch at a time, each hash's tag and bucket counted, then the
	// hashes put in order of part in stage (in the cache), each part's
	// in the order they came, and added to their parts.
	if l.stage == nil {
		l.stage = make([]uint64, stageLen)
	}
	for len(hs) > 0 {
		k := min(len(hs), stageLen)
		var at [logParts + 1]int
		for i, h := range hs[:k] {
			b := h >> (64 - logBucketBits)
			l.counts[b]++
			p := b / partBuckets
			tags[i] = byte(p)
			at[p+1]++
		}
		for p := range logParts {
			at[p+1] += at[p]
		}
		ends := at
		for i, h := range hs[:k] {
			p := tags[i] & (logParts - 1)
			l.stage[at[p]] = h
			at[p]++
		}
		for p := range l.parts {
			if err := l.parts[p].add(l.dir, l.stage[ends[p]:ends[p+1]]); err != nil {
				return err
			}
		}
		hs, tags = hs[k:], tags[k:]
	}
	return nil
}

// stageLen is the hashes hashLog.add orders by part at a time (64 KiB).
const stageLen = 8 << 10

// u64Bytes returns the memory of hs as bytes: the file holds hashes as
// they are in memory, written and read back by the same process.
func u64Bytes(hs []uint64) []byte {
	if len(hs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&hs[0])), 8*len(hs))
}

// candidates marks in c the rows whose hash another row of the log
// shares.
func (l *hashLog) candidates(c *candidates) error {
	if l.n == 0 {
		return nil
	}
	workers := max(min(l.workers, logParts), 1)
	// Each goroutine places up to its share of the budget at once (a
	// bucket larger than that alone: many copies of one row).
	most := max(l.budget/8/int64(workers), 1)
	// Each goroutine's buffer sized at once for the largest range of
	// any part: not grown (and the smaller one left as garbage) from
	// part to part.
	var want int64
	for p := range l.parts {
		want = max(want, l.parts[p].largestRange(most)+1)
	}
	var next atomic.Int64
	var marked atomic.Bool
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			s := partSearch{want: want}
			for p := next.Add(1) - 1; p < logParts; p = next.Add(1) - 1 {
				part := &l.parts[p]
				some, err := part.findShared(&s, most)
				if err != nil {
					errs[w] = err
					return
				}
				if some {
					marked.Store(true)
				}
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil || !marked.Load() {
		return err
	}
	// The k-th hash of part p is of the row of the k-th tag p. A part
	// without marks has an empty bitmap, which every k is past.
	var at [logParts]uint64
	var marks [logParts][]uint64
	for p := range l.parts {
		marks[p] = l.parts[p].marks
	}
	return l.tags.each(func(seq int64, tags []byte) {
		for i, p := range tags {
			k := at[p&(logParts-1)]
			at[p&(logParts-1)] = k + 1
			if m := marks[p&(logParts-1)]; k/64 < uint64(len(m)) && m[k/64]>>(k%64)&1 != 0 {
				l.mark(c, seq+int64(i))
			}
		}
	})
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
// its files are closed on a goroutine of their own, as the system's
// freeing of the files' pages (64 MB at 10M rows, about 4 ms) needs
// nothing that follows.
func (l *hashLog) drop() {
	files := l.files()
	if len(files) > 0 {
		go func() {
			for _, f := range files {
				f.Close()
			}
		}()
	}
	l.forget()
}

// close removes the log's files.
func (l *hashLog) close() {
	for _, f := range l.files() {
		f.Close()
	}
	l.forget()
}

// files returns the log's open files.
func (l *hashLog) files() []*os.File {
	var fs []*os.File
	for p := range l.parts {
		if f := l.parts[p].file; f != nil {
			fs = append(fs, f)
		}
	}
	if l.tags.file != nil {
		fs = append(fs, l.tags.file)
	}
	return fs
}

// forget drops the log's files and memory.
func (l *hashLog) forget() {
	for p := range l.parts {
		l.parts[p].file, l.parts[p].mem, l.parts[p].marks = nil, nil, nil
	}
	l.tags.file, l.tags.mem = nil, nil
	l.stage = nil
}

// tempFile returns a new temporary file in dir, already unlinked: gone
// however the run ends.
func tempFile(dir string) (*os.File, error) {
	f, err := os.CreateTemp(dir, "splitdata-report-*.bin")
	if err != nil {
		return nil, fmt.Errorf("leak check: %w", err)
	}
	_ = os.Remove(f.Name())
	return f, nil
}

// tagLog holds a byte a row, in order: the first ones in a file once
// more than hold would be in memory.
type tagLog struct {
	mem     []byte
	hold    int
	expect  int // the tags expected in memory, to size mem at once
	file    *os.File
	spilled int64
}

// next returns the place of the tags of n more rows, spilling the tags
// in memory first if need be.
func (t *tagLog) next(dir string, n int) ([]byte, error) {
	if len(t.mem) > 0 && len(t.mem)+n > t.hold {
		if t.file == nil {
			f, err := tempFile(dir)
			if err != nil {
				return nil, err
			}
			t.file = f
		}
		if _, err := t.file.Write(t.mem); err != nil {
			return nil, fmt.Errorf("leak check: write temporary file: %w", err)
		}
		t.spilled += int64(len(t.mem))
		t.mem = t.mem[:0]
	}
	at := len(t.mem)
	if at+n > cap(t.mem) {
		grown := make([]byte, at, max(at+n, min(max(2*cap(t.mem), t.expect), t.hold)))
		copy(grown, t.mem)
		t.mem = grown
	}
	t.mem = t.mem[:at+n]
	return t.mem[at:], nil
}

// each calls fn with the tags in order, a block at a time, with the
// sequence number of the block's first.
func (t *tagLog) each(fn func(seq int64, tags []byte)) error {
	if t.spilled > 0 {
		block := make([]byte, min(t.spilled, readBlock))
		for seq := int64(0); seq < t.spilled; {
			b := block[:min(int64(len(block)), t.spilled-seq)]
			if _, err := io.ReadFull(io.NewSectionReader(t.file, seq, int64(len(b))), b); err != nil {
				return fmt.Errorf("leak check: read temporary file: %w", err)
			}
			fn(seq, b)
			seq += int64(len(b))
		}
	}
	fn(t.spilled, t.mem)
	return nil
}
