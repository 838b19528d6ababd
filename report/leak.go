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

// recordSize is the bytes of one leak record on disk and in memory.
const recordSize = 32

// Record kinds: a whole row's hash, or a group value's hash.
const (
	kindRow   = 0
	kindGroup = 1
)

// record is one row (or one row's group value) seen in a split: the
// first 16 bytes of the SHA-256 of its canonical encoding, and where it
// is, so that examples can be read back.
type record struct {
	hash  [16]byte
	kind  uint8
	split uint16
	file  uint32 // index among all output files of the report
	row   uint64 // row index inside the file
}

func (r *record) put(b []byte) {
	copy(b, r.hash[:])
	b[16] = r.kind
	binary.LittleEndian.PutUint16(b[17:], r.split)
	binary.LittleEndian.PutUint32(b[19:], r.file)
	binary.LittleEndian.PutUint64(b[23:], r.row)
	b[31] = 0
}

func (r *record) get(b []byte) {
	copy(r.hash[:], b)
	r.kind = b[16]
	r.split = binary.LittleEndian.Uint16(b[17:])
	r.file = binary.LittleEndian.Uint32(b[19:])
	r.row = binary.LittleEndian.Uint64(b[23:])
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
// Equal rows always meet (equal hashes go to one partition). Unequal
// rows are taken as equal only if 128 bits of SHA-256 collide: for a
// billion rows, a chance below 10^-20. The examples shown are read back
// and compared value by value.
type leakFinder struct {
	parts int
	mem   []record // in memory: files is nil
	files []*os.File
	bufs  []*bufio.Writer
	n     int64
	// remap, if not nil, renumbers the records' splits as they are read
	// back: a report written inside a run numbers the run's outputs.
	remap []uint16
}

// recordMem is the bytes of a record in memory (with its padding).
const recordMem = int64(unsafe.Sizeof(record{}))

// newLeakFinder prepares for about n records within budget bytes,
// spilling to files in dir when they do not fit, or when they would take
// more than hold bytes (then in as few files as the budget allows).
func newLeakFinder(n, budget, hold int64, dir string) (*leakFinder, error) {
	budget = max(budget, 1<<20)
	need := n * recordMem
	parts := int((need + budget - 1) / budget)
	if parts <= 1 && need <= hold {
		return &leakFinder{parts: 1, mem: make([]record, 0, n)}, nil
	}
	parts = max(parts, 1)
	if parts > maxPartitions {
		return nil, fmt.Errorf("%w: %d rows need --memory of at least %d MiB to find duplicates", ErrTooLarge, n, 2*need/maxPartitions>>20+1)
	}
	l := &leakFinder{parts: parts}
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
	return l, nil
}

func (l *leakFinder) add(recs []record) error {
	l.n += int64(len(recs))
	if l.files == nil {
		l.mem = append(l.mem, recs...)
		return nil
	}
	var b [recordSize]byte
	for i := range recs {
		recs[i].put(b[:])
		p := int(binary.BigEndian.Uint32(recs[i].hash[:4]) % uint32(l.parts))
		if _, err := l.bufs[p].Write(b[:]); err != nil {
			return fmt.Errorf("leak check: write temporary file: %w", err)
		}
	}
	return nil
}

// runs calls fn with every run of two records or more of equal (kind,
// hash), partition by partition, each run sorted by split, file and row.
func (l *leakFinder) runs(fn func(run []record)) error {
	for p := range l.parts {
		recs := l.mem
		if l.files != nil {
			if err := l.bufs[p].Flush(); err != nil {
				return fmt.Errorf("leak check: write temporary file: %w", err)
			}
			f := l.files[p]
			size, err := f.Seek(0, io.SeekEnd)
			if err != nil {
				return fmt.Errorf("leak check: %w", err)
			}
			// Decoded as read: only the records are held.
			recs = make([]record, size/recordSize)
			r := bufio.NewReaderSize(io.NewSectionReader(f, 0, size), 64<<10)
			var b [recordSize]byte
			for i := range recs {
				if _, err := io.ReadFull(r, b[:]); err != nil {
					return fmt.Errorf("leak check: read temporary file: %w", err)
				}
				recs[i].get(b[:])
			}
		}
		if l.remap != nil {
			for i := range recs {
				recs[i].split = l.remap[recs[i].split]
			}
		}
		sortRecords(recs)
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

// close removes the partition files.
func (l *leakFinder) close() {
	for _, f := range l.files {
		f.Close()
	}
	l.files, l.bufs, l.mem = nil, nil, nil
}

// recordBuckets is the number of buckets of sortRecords: kind and the
// hash's first byte.
const recordBuckets = 2 * 256

func recordBucket(r *record) int { return int(r.kind&1)<<8 | int(r.hash[0]) }

// sortRecords sorts recs as compareRecords orders them. The hashes are
// uniform, so a counting sort in place on (kind, the hash's first byte)
// (an American flag sort) cuts the records into buckets of a 256th that
// are then sorted by a comparison of machine words: together a third of
// the time of one comparison sort of the whole.
func sortRecords(recs []record) {
	var starts, ends, next [recordBuckets]int
	for i := range recs {
		ends[recordBucket(&recs[i])]++
	}
	at := 0
	for b := range ends {
		starts[b] = at
		at += ends[b]
		ends[b] = at
	}
	next = starts
	for b := range recordBuckets {
		for next[b] < ends[b] {
			d := recordBucket(&recs[next[b]])
			if d == b {
				next[b]++
				continue
			}
			recs[next[b]], recs[next[d]] = recs[next[d]], recs[next[b]]
			next[d]++
		}
	}
	for b := range recordBuckets {
		slices.SortFunc(recs[starts[b]:ends[b]], compareInBucket)
	}
}

// compareInBucket is compareRecords for records of one kind.
func compareInBucket(a, b record) int {
	if x, y := binary.BigEndian.Uint64(a.hash[:8]), binary.BigEndian.Uint64(b.hash[:8]); x != y {
		return cmp.Compare(x, y)
	}
	if x, y := binary.BigEndian.Uint64(a.hash[8:]), binary.BigEndian.Uint64(b.hash[8:]); x != y {
		return cmp.Compare(x, y)
	}
	if a.split != b.split {
		return cmp.Compare(a.split, b.split)
	}
	if a.file != b.file {
		return cmp.Compare(a.file, b.file)
	}
	return cmp.Compare(a.row, b.row)
}
