package report

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"unsafe"
)

// recordSize is the bytes of one leak record, in memory and on disk.
const recordSize = 32

// The partition files hold records as they are in memory: a record must
// take exactly recordSize bytes (each array length is negative if not).
var (
	_ [recordSize - unsafe.Sizeof(record{})]struct{}
	_ [unsafe.Sizeof(record{}) - recordSize]struct{}
)

// Record kinds: a whole row's hash, or a group value's hash.
const (
	kindRow   = 0
	kindGroup = 1
)

// record is one row (or one row's group value) seen in a split: a
// 128-bit hash of its canonical encoding (the first 16 bytes of its
// SHA-256, or for a row in the scan its fast hash, see verify.go), and
// where it is, so that it can be read back.
type record struct {
	hash  [16]byte
	kind  uint8
	split uint16
	file  uint32 // index among all output files of the report
	row   uint64 // row index inside the file
}

// recordBytes returns the memory of recs as bytes: the partition files
// hold records so, written and read back by the same process, hence
// with the same layout and byte order (padding included, never read).
func recordBytes(recs []record) []byte {
	if len(recs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&recs[0])), len(recs)*recordSize)
}

func compareRecords(a, b record) int {
	if c := cmp.Compare(a.kind, b.kind); c != 0 {
		return c
	}
	if c := bytes.Compare(a.hash[:], b.hash[:]); c != 0 {
		return c
	}
	if c := cmp.Compare(a.split, b.split); c != 0 {
		return c
	}
	if c := cmp.Compare(a.file, b.file); c != 0 {
		return c
	}
	return cmp.Compare(a.row, b.row)
}

// maxPartitions bounds the partition files of a leak finder (each with
// a 16 KiB write buffer: 16 MiB at most).
const maxPartitions = 1024

// ErrTooLarge reports an output whose leak records would not fit in
// the memory budget even split in maxPartitions parts.
var ErrTooLarge = errors.New("too many rows for the memory budget")

// leakFinder groups equal hashes exactly, out of core: records go to one
// of P partitions by their hash's first bytes, P chosen from the
// expected record count so that one partition's records fit in the
// budget; each partition is then read back alone, sorted, and scanned
// for runs of equal (kind, hash). With P = 1 the records stay in memory.
//
// Equal rows always meet (equal hashes go to one partition). Rows
// hashed fast are not records but hashes in log (see hashLog), whose
// shared ones are regrouped by their SHA-256 (verifiedRuns). Unequal
// rows are taken as equal only if 128 bits of SHA-256 collide: for a
// billion rows, a chance below 10^-20. The examples shown are read back
// and compared value by value.
type leakFinder struct {
	parts int
	mem   []record // in memory: files is nil
	files []*os.File
	bufs  []*bufio.Writer
	n     int64
	// workers bounds the goroutines sorting a partition (0: one).
	workers int
	// budget, hold and dir are newLeakFinder's, for the finder of the
	// verified rows (see verify.go).
	budget, hold int64
	dir          string
	// remap, if not nil, renumbers the records' splits as they are read
	// back: a report written inside a run numbers the run's outputs.
	remap []uint16
	// counts holds, per partition file, how many of its records fall in
	// each of sortRecords' buckets, so that reading a partition back puts
	// each record in its bucket's place at once.
	counts [][recordBuckets]int
	// log holds the fast hashes of rows (nil: rows have SHA-256 records).
	log *hashLog
}

// recordMem is the bytes of a record in memory.
const recordMem = int64(recordSize)

// newLeakFinder prepares for about n records within budget bytes,
// spilling to files in dir when they do not fit, or when they would take
// more than hold bytes (then in as few files as the budget allows).
func newLeakFinder(n, budget, hold int64, dir string) (*leakFinder, error) {
	budget = max(budget, 1<<20)
	need := n * recordMem
	parts := int((need + budget - 1) / budget)
	if parts <= 1 && need <= hold {
		return &leakFinder{parts: 1, mem: make([]record, 0, n), budget: budget, hold: hold, dir: dir}, nil
	}
	parts = max(parts, 1)
	if parts > maxPartitions {
		return nil, fmt.Errorf("%w: %d rows need --memory of at least %d MiB to find duplicates", ErrTooLarge, n, 2*need/maxPartitions>>20+1)
	}
	l := &leakFinder{parts: parts, budget: budget, hold: hold, dir: dir}
	for range parts {
		f, err := os.CreateTemp(dir, "splitdata-report-*.bin")
		if err != nil {
			l.close()
			return nil, fmt.Errorf("leak check: %w", err)
		}
		_ = os.Remove(f.Name()) // unlinked: gone however the run ends
		l.files = append(l.files, f)
		l.bufs = append(l.bufs, bufio.NewWriterSize(f, 16<<10))
	}
	l.counts = make([][recordBuckets]int, parts)
	return l, nil
}

// newLeakCheck returns the leak finder of a scan of rows rows, with
// group records if groups, rows hashed fast (in its log) if fast: within
// budget bytes, of which hold while the rows are scanned.
func newLeakCheck(rows int64, groups, fast bool, budget, hold int64, dir string) (*leakFinder, error) {
	if !fast {
		if groups {
			rows *= 2
		}
		return newLeakFinder(rows, budget, hold, dir)
	}
	// The log and the group records share the budget; the log keeps up
	// to half of its share in memory, and finds shared hashes in the
	// rest.
	var n int64
	logBudget, logHold := budget, hold
	if groups {
		n, logBudget, logHold = rows, budget/2, hold/2
	}
	l, err := newLeakFinder(n, budget-logBudget, hold-logHold, dir)
	if err != nil {
		return nil, err
	}
	logHold = min(logHold, logBudget/2)
	l.log = newHashLog(logHold, logBudget-logHold, dir)
	l.log.expect = int(min(rows, int64(l.log.hold)))
	return l, nil
}

// setWorkers bounds the goroutines sorting records and hashes.
func (l *leakFinder) setWorkers(n int) {
	l.workers = n
	if l.log != nil {
		l.log.workers = n
	}
}

// widenLog lets the log find shared hashes in ranges of up to budget
// bytes, less those it holds in memory, when that is more than it had:
// a report computed inside a run finds them once the job's buffers are
// gone, with the share of --memory a report alone has, so in fewer
// passes over the log (one at 10M rows, not two).
func (l *leakFinder) widenLog(budget int64) {
	if l.log != nil {
		l.log.budget = max(l.log.budget, budget-l.log.memBytes())
	}
}

// setRemap renumbers the splits of records and hashes as they are read
// back (see remap).
func (l *leakFinder) setRemap(remap []uint16) {
	l.remap = remap
	if l.log != nil {
		l.log.remap = remap
	}
}

// addHashes adds the fast hashes of rows first, first+1, ... of file (in
// split) to the log.
func (l *leakFinder) addHashes(file uint32, split uint16, first uint64, hs []uint64) error {
	if len(hs) == 0 {
		return nil
	}
	if l.log == nil {
		return fmt.Errorf("leak check: fast row hashes without a log")
	}
	return l.log.add(file, split, first, hs)
}

func (l *leakFinder) add(recs []record) error {
	l.n += int64(len(recs))
	if l.files == nil {
		l.mem = append(l.mem, recs...)
		return nil
	}
	for i := range recs {
		p := int(binary.BigEndian.Uint32(recs[i].hash[:4]) % uint32(l.parts))
		l.counts[p][recordBucket(&recs[i])]++
		if _, err := l.bufs[p].Write(recordBytes(recs[i : i+1])); err != nil {
			return fmt.Errorf("leak check: write temporary file: %w", err)
		}
	}
	return nil
}

// runs calls fn with every run of two records or more of equal (kind,
// hash), partition by partition, each run sorted by split, file and row.
func (l *leakFinder) runs(fn func(run []record)) error {
	// One buffer, as large as the largest partition, for every
	// partition: the last one's records are never garbage waiting for a
	// collection beside the next's.
	var buf []record
	sizes := make([]int64, len(l.files))
	for p, f := range l.files {
		if err := l.bufs[p].Flush(); err != nil {
			return fmt.Errorf("leak check: write temporary file: %w", err)
		}
		size, err := f.Seek(0, io.SeekEnd)
		if err != nil {
			return fmt.Errorf("leak check: %w", err)
		}
		if size%recordSize != 0 {
			return fmt.Errorf("leak check: temporary file of %d bytes, not whole records", size)
		}
		sizes[p] = size
	}
	if len(sizes) > 0 {
		buf = make([]record, slices.Max(sizes)/recordSize)
	}
	var block []record
	if l.files != nil {
		block = make([]record, readBlock/recordSize)
	}
	for p := range l.parts {
		recs := l.mem
		var starts, ends [recordBuckets]int
		if l.files != nil {
			// The file holds the records as they are in memory: read a
			// block at a time, each record put in its bucket's place.
			recs = buf[:sizes[p]/recordSize]
			starts, ends = bucketBounds(&l.counts[p])
			if ends[recordBuckets-1] != len(recs) {
				return fmt.Errorf("leak check: temporary file of %d records, %d written", len(recs), ends[recordBuckets-1])
			}
			if err := l.readPartition(p, sizes[p], recs, block, &starts, &ends); err != nil {
				return err
			}
		} else {
			if l.remap != nil {
				for i := range recs {
					recs[i].split = l.remap[recs[i].split]
				}
			}
			starts, ends = bucketRecords(recs)
		}
		sortBuckets(recs, &starts, &ends, l.workers)
		for i := 0; i < len(recs); {
			j := i + 1
			for j < len(recs) && recs[j].kind == recs[i].kind && recs[j].hash == recs[i].hash {
				j++
			}
			if j-i > 1 {
				fn(recs[i:j])
			}
			i = j
		}
	}
	return nil
}

// readBlock is the bytes of partition file a leak finder reads at a time.
const readBlock = 1 << 20

// readPartition reads partition file p (size bytes) into recs, through
// block, each record at the next place of its bucket (starts and ends:
// where each bucket starts and ends in recs), its split renumbered if
// l.remap says so.
func (l *leakFinder) readPartition(p int, size int64, recs, block []record, starts, ends *[recordBuckets]int) error {
	next := *starts
	r := io.NewSectionReader(l.files[p], 0, size)
	for left := len(recs); left > 0; {
		b := block[:min(left, len(block))]
		if _, err := io.ReadFull(r, recordBytes(b)); err != nil {
			return fmt.Errorf("leak check: read temporary file: %w", err)
		}
		for i := range b {
			if l.remap != nil {
				b[i].split = l.remap[b[i].split]
			}
			d := recordBucket(&b[i])
			if next[d] >= ends[d] {
				return fmt.Errorf("leak check: temporary file holds other records than written")
			}
			recs[next[d]] = b[i]
			next[d]++
		}
		left -= len(b)
	}
	return nil
}

// close removes the partition files and the log's.
func (l *leakFinder) close() {
	if l.log != nil {
		l.log.close()
	}
	for _, f := range l.files {
		f.Close()
	}
	l.files, l.bufs, l.mem = nil, nil, nil
}
