package report

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sources"
)

// Rows are found equal in two steps. The scan gives each row a fast
// 64-bit hash of its values (see rowhash.go), a tenth of the cost of a
// SHA-256 of its canonical bytes, kept in the leak finder's log, 8 bytes
// a row (see hashLog). Rows whose fast hashes are shared with another row
// are the candidates: only they are read again and given the SHA-256 the
// records of a whole scan held before, and grouped by it, so the counts
// and the examples are those of a SHA-256 of every row, and two different
// rows whose fast hashes collide (by chance or by design) are told apart.
// An output without duplicates is not read again; one full of duplicates
// is read twice.
//
// The candidates are marked in a bitmap of one bit a row, found through
// the log's parts' marks, one bit a row more: when the rows are too many
// for both to fit in an eighth of the leak check's budget, every row gets
// its SHA-256 in the scan, as before.

// testFastRowHash, set by tests, is applied to every fast row hash (a
// constant makes every row a candidate).
var testFastRowHash func(uint64) uint64

// testNoFastRows, set by tests, gives every row its SHA-256 in the scan.
var testNoFastRows bool

// fastRowsFit reports whether the candidates' bitmap of rows rows and
// the log's marks (as many bits) fit in an eighth of budget.
func fastRowsFit(rows, budget int64) bool {
	return !testNoFastRows && 2*(rows/8+1) <= budget/8
}

// candidates marks rows, by file, whose fast hash another row shares.
type candidates struct {
	bits  [][]uint64 // [file][row/64]
	split []uint16   // [file]
	n     int64
}

func (c *candidates) mark(r record) {
	for int(r.file) >= len(c.bits) {
		c.bits = append(c.bits, nil)
		c.split = append(c.split, 0)
	}
	w := int(r.row / 64)
	b := c.bits[r.file]
	if w >= len(b) {
		b = append(b, make([]uint64, w+1-len(b))...)
		c.bits[r.file] = b
	}
	if b[w]&(1<<(r.row%64)) == 0 {
		c.n++
	}
	b[w] |= 1 << (r.row % 64)
	c.split[r.file] = r.split
}

// has reports whether row i of file f is marked.
func has(b []uint64, i uint64) bool {
	w := i / 64
	return w < uint64(len(b)) && b[w]&(1<<(i%64)) != 0
}

// anyIn reports whether a row of [lo, hi) is marked.
func anyIn(b []uint64, lo, hi uint64) bool {
	for w := lo / 64; w < uint64(len(b)) && w*64 < hi; w++ {
		m := b[w]
		if w == lo/64 {
			m &^= 1<<(lo%64) - 1
		}
		if w == hi/64 {
			m &= 1<<(hi%64) - 1
		}
		if m != 0 {
			return true
		}
	}
	return false
}

// verifiedRuns calls fn with every run of two records or more of equal
// (kind, hash) of leak, as leak.runs does, and when the rows have fast
// hashes (leak's log), with the runs of rows whose fast hash is shared,
// verified: those rows are read again from files, and fn is called with
// the runs of equal SHA-256 among them, which are then the runs a scan
// hashing every row with SHA-256 would have found. leak is closed before
// the rows are read again.
func verifiedRuns(ctx context.Context, sc *scanner, files []string, o sources.Options, leak *leakFinder, fn func(run []record)) error {
	// Without fast hashes, the records are every row's SHA-256; with
	// them, only the groups' (if any), the rows' being in the log.
	if err := leak.runs(fn); err != nil || !sc.fastRows {
		return err
	}
	var c candidates
	err := leak.log.candidates(&c)
	leak.log.drop()
	if err != nil || c.n == 0 {
		return err
	}
	leak.close()
	v, err := newLeakFinder(c.n, leak.budget, leak.hold, leak.dir)
	if err != nil {
		return err
	}
	defer v.close()
	v.workers = leak.workers
	recs := make([]record, 0, 1024)
	var buf []byte
	for f, b := range c.bits {
		if !anyIn(b, 0, uint64(len(b))*64) {
			continue
		}
		if err := c.readFile(ctx, files[f], o, f, b, func(row uint64, r parquet.Row) error {
			buf = buf[:0]
			for _, val := range r {
				buf = appendCanonical(buf, val)
			}
			sum := sha256.Sum256(buf)
			rec := record{kind: kindRow, split: c.split[f], file: uint32(f), row: row}
			copy(rec.hash[:], sum[:16])
			if recs = append(recs, rec); len(recs) == cap(recs) {
				err := v.add(recs)
				recs = recs[:0]
				return err
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if err := v.add(recs); err != nil {
		return err
	}
	return v.runs(fn)
}

// readFile calls fn with the rows of file f (at path) marked in b, in
// order, reading only the units that hold one.
func (c *candidates) readFile(ctx context.Context, path string, o sources.Options, f int, b []uint64, fn func(row uint64, r parquet.Row) error) error {
	src, err := sources.Open(path, o)
	if err != nil {
		return err
	}
	defer src.Close()
	var start uint64
	for u := range src.NumUnits() {
		n := uint64(src.UnitNumRows(u))
		if !anyIn(b, start, start+n) {
			start += n
			continue
		}
		at := start
		err := src.ReadUnit(ctx, u, 1024, func(rows []parquet.Row) error {
			for k, r := range rows {
				if i := at + uint64(k); has(b, i) {
					if err := fn(i, r); err != nil {
						return err
					}
				}
			}
			at += uint64(len(rows))
			return nil
		})
		if err != nil {
			return err
		}
		if at != start+n {
			// The file changed since the scan, or lies about its rows.
			return rereadError(src, path, u, start, at-start, n)
		}
		start += n
	}
	return nil
}

// rereadError is the error of unit u of src (the file at path), whose
// first row is row first of the file, when it gave got rows read again
// and want in the scan. It names the unit as the file's format does: a
// Parquet row group, an Arrow record batch; a CSV or JSON Lines unit is
// not a line, so its rows are named by their 1-based record numbers.
func rereadError(src sources.Source, path string, u int, first, got, want uint64) error {
	e := &sources.InputError{Path: path, RowGroup: u}
	why := fmt.Sprintf("%d rows read again, %d before", got, want)
	switch src.(type) {
	case *sources.Arrow:
		e.Unit = sources.UnitRecordBatch
	case *sources.CSV, *sources.JSONL:
		e.RowGroup = -1
		why = fmt.Sprintf("records %d to %d: %s", first+1, first+want, why)
	}
	e.Err = fmt.Errorf("%w: %s", sources.ErrCorrupt, why)
	return e
}
