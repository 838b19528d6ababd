package report

import (
	"encoding/binary"
	"math"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// The accumulators of the pass: what one part (a split, a fold, the
// inputs), or one unit of it, adds up, and how two merge.

// part is one set of rows the report summarizes: a split, a fold, or the
// inputs.
type part struct {
	name  string
	files []string // paths
	input bool
	rows  int64 // from the manifest
	bytes int64
}

// colAcc accumulates one column of one part.
type colAcc struct {
	values, nulls, nans int64
	moments
	sk  *Sketch
	cnt *counter
}

func (a *colAcc) addNumber(f float64) {
	a.moments.add(f)
	a.sk.Add(f)
}

// maxInterleave is the most columns addMoments interleaves.
const maxInterleave = 8

// moments are a column's running sums: sum and comp a Neumaier sum, mean
// and m2 Welford's running moments, for the standard deviation, of the n
// numbers added.
type moments struct {
	sum, comp, mean, m2 float64
	n                   int64
}

func (m *moments) add(f float64) {
	m.sum, m.comp = sumStep(m.sum, m.comp, f)
	m.mean, m.m2, m.n = meanStep(m.mean, m.m2, m.n, f)
}

// addMoments adds nums[j], finite numbers, to the moments of cas[j] for
// every j (at most maxInterleave), in order, as addNumber does for each
// (its sketch aside): the same operations in the same order for each column,
// so the same moments, but the columns' chains of dependent operations
// (a division a number), whose latency bounds the speed of one, run side
// by side. Columns of unequal lengths (nulls) are added side by side up
// to the shortest, then those with numbers left, up to the shortest of
// them, and so on.
func addMoments(cas []*colAcc, nums [][]float64) {
	var rest [maxInterleave][]float64
	for j := range cas {
		rest[j] = nums[j]
	}
	for {
		// The columns with numbers left, and the fewest any has.
		var ms [maxInterleave]*moments
		var seg [maxInterleave][]float64
		k, m := 0, 0
		for j := range cas {
			if n := len(rest[j]); n > 0 {
				if k == 0 || n < m {
					m = n
				}
				ms[k] = &cas[j].moments
				k++
			}
		}
		if k == 0 {
			return
		}
		k = 0
		for j := range cas {
			if len(rest[j]) > 0 {
				seg[k], rest[j] = rest[j][:m], rest[j][m:]
				k++
			}
		}
		addSideBySide(ms[:k], seg[:k])
	}
}

// isFinite is 1 if f is neither a NaN nor an infinity (whose exponent
// bits are all set), else 0, computed with no branch.
func isFinite(f float64) int {
	x := math.Float64bits(f)&(0x7ff<<52) ^ 0x7ff<<52
	return int((x | -x) >> 63)
}

// isBelow is 1 if def < maxDef (a null), else 0, computed with no
// branch.
func isBelow(def, maxDef byte) int {
	return int(uint64(int64(def)-int64(maxDef)) >> 63)
}

func (a *colAcc) merge(o *colAcc) {
	a.values += o.values
	a.nulls += o.nulls
	a.nans += o.nans
	if o.n > 0 {
		t := a.sum + o.sum
		if math.Abs(a.sum) >= math.Abs(o.sum) {
			a.comp += (a.sum - t) + o.sum
		} else {
			a.comp += (o.sum - t) + a.sum
		}
		a.sum = t
		a.comp += o.comp
		n := a.n + o.n
		d := o.mean - a.mean
		a.mean += d * float64(o.n) / float64(n)
		a.m2 += o.m2 + d*d*float64(a.n)*float64(o.n)/float64(n)
		a.n = n
	}
	if o.sk != nil {
		a.sk.Merge(o.sk)
	}
	if o.cnt != nil {
		a.cnt.merge(o.cnt)
	}
}

// acc accumulates one part, or one unit of it.
type acc struct {
	rows       int64
	cols       []colAcc
	label      *counter
	labelNulls int64
	// The leak check's: records (rows' SHA-256, groups'), and the fast
	// hashes of rows (see verify.go), one per row in order.
	recs   []record
	hashes []uint64
}

// scanner holds what the pass needs to know about the schema.
type scanner struct {
	cols     []column
	want     []bool // per leaf: summarized
	label    int    // leaf index, or -1
	labelCol column
	groups   []int // leaf indices of the group columns, in the listed order; nil: none
	groupPos []int // per leaf: its place in groups, or -1
	capacity int
	// fastRows: rows' leak records carry fastRowHash, and rows sharing
	// one are verified by their SHA-256 (verify.go); else their SHA-256.
	fastRows bool
	// units holds the accs of units already merged (*acc), for reuse.
	units sync.Pool
}

// appendGroup appends the canonical bytes of a row's group values (in
// the order of groups): one column's bytes as they are, several columns'
// each after its length as 4 bytes big-endian, so that two different
// value lists never give the same bytes.
func (s *scanner) appendGroup(b []byte, vals []parquet.Value) []byte {
	if len(vals) == 1 {
		return appendCanonical(b, vals[0])
	}
	for _, v := range vals {
		at := len(b)
		b = append(b, 0, 0, 0, 0)
		b = appendCanonical(b, v)
		binary.BigEndian.PutUint32(b[at:], uint32(len(b)-at-4))
	}
	return b
}

func (s *scanner) newAcc() *acc {
	a := &acc{cols: make([]colAcc, len(s.cols))}
	for i, c := range s.cols {
		if !s.want[i] {
			continue
		}
		switch c.kind {
		case KindNumber, KindTime:
			a.cols[i].sk = NewSketch(s.capacity)
		default:
			a.cols[i].cnt = newCounter()
		}
	}
	if s.label >= 0 {
		a.label = newCounter()
	}
	return a
}

// reset empties a, as newAcc makes it, keeping its memory.
func (a *acc) reset() {
	a.rows, a.labelNulls, a.recs, a.hashes = 0, 0, nil, nil
	for i := range a.cols {
		ca := &a.cols[i]
		sk, cnt := ca.sk, ca.cnt
		*ca = colAcc{sk: sk, cnt: cnt}
		if sk != nil {
			sk.reset()
		}
		if cnt != nil {
			cnt.reset()
		}
	}
	if a.label != nil {
		a.label.reset()
	}
}

// release hands back a unit's acc once merged, for newUnitAcc to reuse:
// a unit's sketches and counters are most of what a scan allocates.
func (s *scanner) release(a *acc) {
	a.recs, a.hashes = nil, nil
	s.units.Put(a)
}

func (a *acc) merge(o *acc) {
	a.rows += o.rows
	for i := range a.cols {
		a.cols[i].merge(&o.cols[i])
	}
	if a.label != nil {
		a.label.merge(o.label)
		a.labelNulls += o.labelNulls
	}
}
