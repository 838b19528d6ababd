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

// recordSize is the bytes of one leak record in memory, and on disk but
// in a narrow finder (see narrowRecord).
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

// narrowSize is the bytes of a narrow leak record in a partition file.
const narrowSize = 16

// The narrow form's bounds on a record's position: its file (among all
// output files of the report) and its row inside that file.
const (
	narrowRowBits = 40
	narrowMaxFile = 1<<(64-narrowRowBits) - 1
	narrowMaxRow  = 1<<narrowRowBits - 1
)

// narrowRecord is the form of a row's record in the partition files of
// a narrow leak finder: the first 8 bytes of its hash (a fast hash, see
// verify.go, whose rows sharing one are read again and compared by
// SHA-256 anyway) and its file and row packed in one word; its split is
// its file's (leakFinder.fileSplit), its kind a row's.
type narrowRecord struct {
	hash [8]byte
	pos  uint64 // file<<narrowRowBits | row
}

var (
	_ [narrowSize - unsafe.Sizeof(narrowRecord{})]struct{}
	_ [unsafe.Sizeof(narrowRecord{}) - narrowSize]struct{}
)

func narrowBytes(recs []narrowRecord) []byte {
	if len(recs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&recs[0])), len(recs)*narrowSize)
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
// hashed fast are regrouped by their SHA-256 (verifiedRuns). Unequal
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
	// narrow, set before the first add, has the partition files hold
	// narrowRecords, half the bytes to write and read back: for row
	// records of fast hashes only (the first 8 bytes of the hash are
	// kept, the rest read back as zeros). fileSplit holds the split of
	// each file (-1: none yet), which the narrow form does not.
	narrow    bool
	fileSplit []int32
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

func (l *leakFinder) add(recs []record) error {
	l.n += int64(len(recs))
	if l.files == nil {
		l.mem = append(l.mem, recs...)
		return nil
	}
	if l.narrow {
		return l.addNarrow(recs)
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

// addNarrow writes recs to the partition files in the narrow form.
func (l *leakFinder) addNarrow(recs []record) error {
	var nr [1]narrowRecord
	for i := range recs {
		r := &recs[i]
		if r.kind != kindRow {
			return fmt.Errorf("leak check: a group's record in a finder of rows only")
		}
		if r.file > narrowMaxFile || r.row > narrowMaxRow {
			return fmt.Errorf("%w: file %d row %d is past the leak check's bounds (%d files, %d rows a file)", ErrTooLarge, r.file, r.row, narrowMaxFile+1, uint64(narrowMaxRow)+1)
		}
		for int(r.file) >= len(l.fileSplit) {
			l.fileSplit = append(l.fileSplit, -1)
		}
		switch l.fileSplit[r.file] {
		case -1:
			l.fileSplit[r.file] = int32(r.split)
		case int32(r.split):
		default:
			return fmt.Errorf("leak check: file %d in splits %d and %d", r.file, l.fileSplit[r.file], r.split)
		}
		p := int(binary.BigEndian.Uint32(r.hash[:4]) % uint32(l.parts))
		l.counts[p][recordBucket(r)]++
		nr[0] = narrowRecord{hash: [8]byte(r.hash[:8]), pos: uint64(r.file)<<narrowRowBits | r.row}
		if _, err := l.bufs[p].Write(narrowBytes(nr[:])); err != nil {
			return fmt.Errorf("leak check: write temporary file: %w", err)
		}
	}
	return nil
}

// diskSize is the bytes of a record in l's partition files.
func (l *leakFinder) diskSize() int64 {
	if l.narrow {
		return narrowSize
	}
	return recordSize
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
		if size%l.diskSize() != 0 {
			return fmt.Errorf("leak check: temporary file of %d bytes, not whole records", size)
		}
		sizes[p] = size
	}
	if len(sizes) > 0 {
		buf = make([]record, slices.Max(sizes)/l.diskSize())
	}
	var block []record
	var narrowBlock []narrowRecord
	if l.files != nil && l.narrow {
		narrowBlock = make([]narrowRecord, readBlock/narrowSize)
	} else if l.files != nil {
		block = make([]record, readBlock/recordSize)
	}
	for p := range l.parts {
		recs := l.mem
		var starts, ends [recordBuckets]int
		if l.files != nil {
			// The file holds the records as they are in memory: read a
			// block at a time, each record put in its bucket's place.
			recs = buf[:sizes[p]/l.diskSize()]
			starts, ends = bucketBounds(&l.counts[p])
			if ends[recordBuckets-1] != len(recs) {
				return fmt.Errorf("leak check: temporary file of %d records, %d written", len(recs), ends[recordBuckets-1])
			}
			var err error
			if l.narrow {
				err = l.readNarrow(p, sizes[p], recs, narrowBlock, &starts, &ends)
			} else {
				err = l.readPartition(p, sizes[p], recs, block, &starts, &ends)
			}
			if err != nil {
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

// readNarrow is readPartition for the narrow form, through block: each
// record is made whole again, its split its file's.
func (l *leakFinder) readNarrow(p int, size int64, recs []record, block []narrowRecord, starts, ends *[recordBuckets]int) error {
	next := *starts
	r := io.NewSectionReader(l.files[p], 0, size)
	for left := len(recs); left > 0; {
		b := block[:min(left, len(block))]
		if _, err := io.ReadFull(r, narrowBytes(b)); err != nil {
			return fmt.Errorf("leak check: read temporary file: %w", err)
		}
		for i := range b {
			file := b[i].pos >> narrowRowBits
			if file >= uint64(len(l.fileSplit)) || l.fileSplit[file] < 0 {
				return fmt.Errorf("leak check: temporary file holds other records than written")
			}
			x := record{kind: kindRow, split: uint16(l.fileSplit[file]), file: uint32(file), row: b[i].pos & narrowMaxRow}
			copy(x.hash[:8], b[i].hash[:])
			if l.remap != nil {
				x.split = l.remap[x.split]
			}
			d := recordBucket(&x)
			if next[d] >= ends[d] {
				return fmt.Errorf("leak check: temporary file holds other records than written")
			}
			recs[next[d]] = x
			next[d]++
		}
		left -= len(b)
	}
	return nil
}

// close removes the partition files.
func (l *leakFinder) close() {
	for _, f := range l.files {
		f.Close()
	}
	l.files, l.bufs, l.mem = nil, nil, nil
}
