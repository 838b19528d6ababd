package report

import (
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

// SetRowHash makes the scan's fast row hash h (nil: the real one) and,
// with sha, gives every row its SHA-256 in the scan instead.
func SetRowHash(h func([]byte) [16]byte, sha bool) {
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
	var pool recordPool
	at := place{leak: true}
	return func(r columnar.Rows) int {
		a := sc.newUnitAcc(int64(r.NumRows()), at, &pool)
		sc.scanBatch(r, a, at, rs)
		n := len(a.recs)
		pool.put(a.recs)
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

// SetNarrow has l spill row records in the narrow form.
func (l *leakFinder) SetNarrow(on bool) { l.narrow = on }

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
