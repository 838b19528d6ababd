package report

import (
	"math"
	"math/bits"
	"os"
	"slices"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// Internals for the black-box tests.
var (
	NewLeakFinderForTest = newLeakFinder
	NewCounterForTest    = newCounter
)

// LeakRecord makes a leak record of a row.
func LeakRecord(hash byte, split uint16, row uint64) record {
	var r record
	r.hash[0], r.hash[15] = hash, hash
	r.split, r.row = split, row
	return r
}

// Add adds records to a leak finder.
func (l *leakFinder) Add(recs ...record) error { return l.add(recs) }

// Runs returns the sizes of the runs of equal hashes.
func (l *leakFinder) Runs() ([]int, error) {
	var out []int
	err := l.runs(func(run []record) { out = append(out, len(run)) })
	return out, err
}

// Parts is the number of partitions.
func (l *leakFinder) Parts() int { return l.parts }

// Close removes the files.
func (l *leakFinder) Close() { l.close() }

// Add counts a value.
func (c *counter) Add(v string) { c.add([]byte(v)) }

// Merge merges o into c.
func (c *counter) Merge(o *counter) { c.merge(o) }

// Count is a value's count and the counts' slack.
func (c *counter) Count(v string) (int64, int64) { return c.view()[v], c.slack }

// Distinct is the distinct count and whether it is exact.
func (c *counter) Distinct() (uint64, bool) { return c.distinct() }

// SortFloats sorts vs as a sketch's compaction does.
func SortFloats(vs []float64) { sortFloats(vs, nil) }

// HalveSorted returns the values of vs (of even length) a compaction
// keeps from offset off, as halveSorted writes them; vs is left in no
// particular order.
func HalveSorted(vs []float64, off int) []float64 {
	dst := make([]float64, len(vs)/2+1)
	halveSorted(vs, nil, dst, off, span{})
	return dst[:len(vs)/2]
}

// HalveSortedKnown is HalveSorted given the smallest and the largest
// value of vs, as a sketch's first level passes them to its bucket sort.
func HalveSortedKnown(vs []float64, off int) []float64 {
	dst := make([]float64, len(vs)/2+1)
	r := span{ok: len(vs) > 0}
	if r.ok {
		r.lo, r.hi = slices.Min(vs), slices.Max(vs)
	}
	halveSorted(vs, nil, dst, off, r)
	return dst[:len(vs)/2]
}

// SketchState returns the levels of s, copied, with its count and
// extremes: what makes two sketches the same.
func SketchState(s *Sketch) ([][]float64, int64, float64, float64) {
	var ls [][]float64
	for _, l := range s.levels {
		ls = append(ls, slices.Clone(l))
	}
	return ls, s.n, s.Min(), s.Max()
}

// SortRecordsMatches reports whether sortRecords, on workers goroutines,
// orders recs as a comparison sort by compareRecords does.
func SortRecordsMatches(recs []record, workers int) bool {
	want := slices.Clone(recs)
	slices.SortFunc(want, compareRecords)
	sortRecords(recs, workers)
	return slices.Equal(recs, want)
}

// Counter is a value counter.
type Counter = counter

// Record is a leak record.
type Record = record

// NewRecord makes a leak record.
func NewRecord(hash [16]byte, kind uint8, split uint16, file uint32, row uint64) record {
	return record{hash: hash, kind: kind, split: split, file: file, row: row}
}

// AppendCanonical is appendCanonical.
var AppendCanonical = appendCanonical

// SetRowsOnly makes the pass read every file as rows (true) or Parquet
// files as batches (false).
func SetRowsOnly(on bool) { testRowsOnly = on }

// ReadBack reports whether the attachment read the output back rather
// than summarize the rows as they were written.
func (a *Attachment) ReadBack() bool { return a.back }

// View returns every counted value's count.
func (c *counter) View() map[string]int64 { return c.view() }

// SetRowHash has h applied to the scan's fast row hashes (nil: none)
// and, with sha, gives every row its SHA-256 in the scan instead.
func SetRowHash(h func(uint64) uint64, sha bool) {
	testFastRowHash, testNoFastRows = h, sha
}

// RereadError is rereadError.
var RereadError = rereadError

// Reset empties s for reuse, as a scan's released sketches are.
func (s *Sketch) Reset() { s.reset() }

// Reset empties c for reuse, as a scan's released counters are.
func (c *counter) Reset() { c.reset() }

// AddFinite adds finite numbers to s, a chunk at a time.
func AddFinite(s *Sketch, vs []float64) { s.addFinite(vs) }

// SortRecords sorts leak records as the leak finder does.
func SortRecords(recs []record, workers int) { sortRecords(recs, workers) }

// NewBatchScan returns a function that summarizes rows of schema as a
// report's scan does, leak records included, into accumulators released
// after each call, and returns the number of leak records.
func NewBatchScan(schema *parquet.Schema) (func(r columnar.Rows) int, error) {
	sc, err := newScanner(schema, Options{})
	if err != nil {
		return nil, err
	}
	sc.fastRows = true
	rs := newRowScan()
	var bufs leakBufs
	at := place{leak: true}
	return func(r columnar.Rows) int {
		a := sc.newUnitAcc(int64(r.NumRows()), at, &bufs)
		sc.scanBatch(r, a, at, rs)
		n := len(a.recs) + len(a.hashes)
		bufs.put(a)
		sc.release(a)
		return n
	}, nil
}

// ManyPrefixes is manyPrefixes.
var ManyPrefixes = manyPrefixes

// SparseLimit and PendCap are sparseLimit and pendCap.
const (
	SparseLimit = sparseLimit
	PendCap     = pendCap
)

// SetRemap renumbers the splits of l's records as they are read back.
func (l *leakFinder) SetRemap(remap []uint16) { l.remap = remap }

// RunRecords returns the runs of equal hashes, copied.
func (l *leakFinder) RunRecords() ([][]record, error) {
	var out [][]record
	err := l.runs(func(run []record) { out = append(out, slices.Clone(run)) })
	return out, err
}

// Record kinds.
const (
	KindRowRecord   = kindRow
	KindGroupRecord = kindGroup
)

// Hash is the record's hash.
func (r record) Hash() [16]byte { return r.hash }

// NewHashLogForTest returns a hash log keeping up to hold hashes in
// memory and finding shared hashes budget hashes at a time (neither
// raised to the least newHashLog takes).
func NewHashLogForTest(hold, budget int, dir string) *hashLog {
	return &hashLog{hold: max(hold, 1), budget: 8 * int64(budget), dir: dir}
}

// Add adds the hashes of rows first, first+1, ... of file.
func (l *hashLog) Add(file uint32, split uint16, first uint64, hs []uint64) error {
	return l.add(file, split, first, hs)
}

// Candidate is a row marked as sharing its fast hash.
type Candidate struct {
	File  int
	Row   uint64
	Split uint16
}

// Candidates returns the rows whose hash is shared, by file and row.
func (l *hashLog) Candidates(workers int, remap []uint16) ([]Candidate, error) {
	l.workers, l.remap = workers, remap
	var c candidates
	if err := l.candidates(&c); err != nil {
		return nil, err
	}
	var out []Candidate
	for f, b := range c.bits {
		for w, x := range b {
			for x != 0 {
				i := uint64(bits.TrailingZeros64(x))
				x &= x - 1
				out = append(out, Candidate{File: f, Row: uint64(w)*64 + i, Split: c.split[f]})
			}
		}
	}
	return out, nil
}

// Spilled is the number of hashes in the log's file.
func (l *hashLog) Spilled() int64 { return l.spilled() }

// Close removes the log's file.
func (l *hashLog) Close() { l.close() }

// Drop lets go of the log's hashes (drop) and returns its file, which a
// goroutine closes, or nil.
func (l *hashLog) Drop() *os.File {
	var f *os.File
	if fs := l.files(); len(fs) > 0 {
		f = fs[0]
	}
	l.drop()
	return f
}

// HashRows returns the fast hashes of the rows of r, a batch of schema,
// computed as a scan of batches does and as a scan of rows does.
func HashRows(schema *parquet.Schema, r *columnar.Batch) (batch, rows []uint64, err error) {
	sc, err := newScanner(schema, Options{})
	if err != nil {
		return nil, nil, err
	}
	sc.fastRows = true
	at := place{leak: true}
	a := sc.newUnitAcc(int64(r.Len), at, &leakBufs{})
	sc.scanBatch(r, a, at, newRowScan())
	for i := range r.Len {
		row := make(parquet.Row, len(r.Cols))
		for c := range r.Cols {
			row[c] = r.Value(c, i)
		}
		rows = append(rows, rowHash(row))
	}
	return a.hashes, rows, nil
}

// MomentsMatch reports whether addMoments gives each column of nums the
// moments addNumber gives it, value by value, bit for bit.
func MomentsMatch(nums [][]float64) bool {
	var want, got []*colAcc
	for _, col := range nums {
		w := &colAcc{sk: NewSketch(DefaultSketchCapacity)}
		for _, f := range col {
			w.addNumber(f)
		}
		want, got = append(want, w), append(got, &colAcc{})
	}
	// Added in two calls: the second starts from the sums the first left.
	first, second := make([][]float64, len(nums)), make([][]float64, len(nums))
	for j, col := range nums {
		first[j], second[j] = col[:len(col)/3], col[len(col)/3:]
	}
	addMoments(got, first)
	addMoments(got, second)
	for j := range nums {
		w, g := want[j], got[j]
		if math.Float64bits(w.sum) != math.Float64bits(g.sum) || math.Float64bits(w.comp) != math.Float64bits(g.comp) ||
			math.Float64bits(w.mean) != math.Float64bits(g.mean) || math.Float64bits(w.m2) != math.Float64bits(g.m2) || w.n != g.n {
			return false
		}
	}
	return true
}

// NewSharedFinderForTest returns sharedIn on buffers kept from call to
// call: it returns the distinct hashes bucket holds twice or more,
// ascending, moved to its start.
func NewSharedFinderForTest() func(bucket []uint64) []uint64 {
	var f sharedFinder
	return func(bucket []uint64) []uint64 { return bucket[:f.sharedIn(bucket)] }
}

// IsFinite and IsBelow are the scan's branch-free tests.
var (
	IsFinite = isFinite
	IsBelow  = isBelow
)

// NewMomentsAdder returns a function adding the columns it is given to
// the moments of k columns (addMoments), kept from call to call.
func NewMomentsAdder(k int) func(nums [][]float64) {
	cas := make([]*colAcc, k)
	for j := range cas {
		cas[j] = &colAcc{}
	}
	return func(nums [][]float64) { addMoments(cas, nums) }
}

// BytesHash is the value hash of a byte array.
func BytesHash(b []byte) uint64 { return bytesHash(b) }

// ColumnHasher finds the value hashes of a column of byte arrays a
// chunk at a time, as a scan finds them: through one cache kept across
// calls, or (uncached) one by one.
type ColumnHasher struct {
	hc hashCache
	ch columnar.Chunk
	vh []uint64
}

// Hashes appends to dst the value hashes of column c of r (0 for nulls).
func (h *ColumnHasher) Hashes(dst []uint64, r columnar.Rows, c int, cached bool) []uint64 {
	for lo := 0; lo < r.NumRows(); lo += batchChunk {
		h.ch.ReadView(r, c, lo, min(lo+batchChunk, r.NumRows()))
		if cached {
			h.vh = chunkHashesCached(h.vh, &h.ch, &h.hc)
		} else {
			h.vh = chunkHashes(h.vh, &h.ch)
		}
		dst = append(dst, h.vh...)
	}
	return dst
}

// CountChunks counts the values of column c of r (byte arrays, hashes
// their value hashes) into cnt a chunk at a time, as a scan does, and
// returns the number of nulls.
func CountChunks(cnt *counter, r columnar.Rows, c int, hashes []uint64) (nulls int64) {
	var ch columnar.Chunk
	for lo := 0; lo < r.NumRows(); lo += batchChunk {
		hi := min(lo+batchChunk, r.NumRows())
		ch.ReadView(r, c, lo, hi)
		nulls += cnt.addChunk(&ch, hashes[lo:hi])
	}
	return nulls
}

// SketchBytes is the binary form of the counter's HyperLogLog of every
// value seen, once its counts are not exact (nil while they are).
func (c *counter) SketchBytes() []byte {
	if c.exact() {
		return nil
	}
	b, err := c.distinctSketch().MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}
