package splitter

import (
	"context"
	"fmt"
	"math"
	"math/bits"

	"github.com/splitdata/splitdata/prng"
)

// Boundary is a position in canonical order, the order of rows by (key,
// global row index) ascending. Row (k, i) lies before Boundary b when k <
// b.Key, or k == b.Key and i < b.Index.
type Boundary struct {
	Key   uint64 `json:"key"`
	Index int64  `json:"index"`
}

// Sentinel is the boundary no row reaches: every row lies before it. It
// stands for rank n, the end of canonical order.
var Sentinel = Boundary{Key: math.MaxUint64, Index: math.MaxInt64}

// before reports whether row (key, i) lies before b in canonical order.
func (b Boundary) before(key uint64, i int64) bool {
	return key < b.Key || key == b.Key && i < b.Index
}

// Assigner maps row keys to split ids: 0 to nsplits-1 for the splits in
// listed order, nsplits for a row in no split. A row goes to the first split
// whose upper boundary lies after it; the last split's upper boundary is the
// end of canonical order unless the splits leave rows unassigned.
//
// An Assigner is immutable and safe for concurrent use. The zero Assigner
// puts every row in split 0; build one with [NewExactAssigner] or
// [NewApproxAssigner].
type Assigner struct {
	// words[j] is the upper boundary of split j, as Assign compares it.
	// For approximate splits the boundaries have Index = MinInt64 (index
	// word 0), so that only keys decide.
	words []rowWords
}

// rowWords is a position in canonical order as two unsigned words, the key
// and the index with its sign bit flipped, whose 128-bit unsigned order
// (key first) is canonical order: a row lies before a boundary exactly when
// subtracting the boundary's words borrows.
type rowWords struct {
	key, index uint64
}

// signBit flips the order of int64 values into the order of uint64 ones.
const signBit = 1 << 63

// wordsOf returns boundary b as rowWords.
func wordsOf(b Boundary) rowWords { return rowWords{key: b.Key, index: uint64(b.Index) ^ signBit} }

// before returns 1 when the row of key key and global index i (its sign
// bit flipped) lies before boundary b in canonical order, by (key, index),
// else 0: the one comparison at the heart of every assigner, without a
// branch.
func before(key, i uint64, b rowWords) uint64 {
	_, c := bits.Sub64(i, b.index, 0)
	_, c = bits.Sub64(key, b.key, c)
	return c
}

// search returns the number of boundaries of w, in canonical order, that
// the row of key key and index i (sign bit flipped) does not lie before:
// its split id, found by binary search for the first boundary it lies
// before.
func search(w []rowWords, key, i uint64) int {
	lo, hi := 0, len(w)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if before(key, i, w[m]) == 1 {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// newAssigner returns the Assigner of the upper boundaries upper.
func newAssigner(upper []Boundary) *Assigner {
	words := make([]rowWords, len(upper))
	for j, b := range upper {
		words[j] = wordsOf(b)
	}
	return &Assigner{words: words}
}

// CheckBoundaries reports whether b can serve as the upper boundaries of
// nsplits exact splits: 1 <= nsplits <= [MaxSplits], len(b) is nsplits-1
// (every row in a split) or nsplits (rows past b[nsplits-1] unassigned), and
// b is non-decreasing in canonical order. Use it on boundaries read from a
// plan before [NewExactAssigner]. Errors wrap [ErrUsage].
func CheckBoundaries(b []Boundary, nsplits int) error {
	if nsplits < 1 || nsplits > MaxSplits {
		return fmt.Errorf("%w: %d splits, want 1 to %d", ErrUsage, nsplits, MaxSplits)
	}
	if len(b) != nsplits-1 && len(b) != nsplits {
		return fmt.Errorf("%w: %d boundaries for %d splits, want %d or %d", ErrUsage, len(b), nsplits, nsplits-1, nsplits)
	}
	for j := 1; j < len(b); j++ {
		if b[j-1].before(b[j].Key, b[j].Index) {
			return fmt.Errorf("%w: boundary %d (%d, %d) lies before boundary %d (%d, %d)",
				ErrUsage, j, b[j].Key, b[j].Index, j-1, b[j-1].Key, b[j-1].Index)
		}
	}
	return nil
}

// NewExactAssigner returns the Assigner of exact splits with upper
// boundaries b, as computed by [ExactBoundaries]: split j receives the rows
// from b[j-1] (included; the start of canonical order for j = 0) up to b[j]
// (excluded). With len(b) == nsplits-1 the last split runs to the end;
// with len(b) == nsplits the rows from b[nsplits-1] on get id nsplits
// (unassigned). NewExactAssigner copies b. It panics if [CheckBoundaries]
// fails: boundaries from ExactBoundaries always pass.
func NewExactAssigner(b []Boundary, nsplits int) *Assigner {
	if err := CheckBoundaries(b, nsplits); err != nil {
		panic("splitter: NewExactAssigner: " + err.Error())
	}
	return newAssigner(b)
}

// Boundaries returns a copy of the upper boundaries of a's splits, as
// [NewExactAssigner] takes them: for an exact Assigner, the rank
// thresholds a sharded plan records so that no shard recomputes them.
func (a *Assigner) Boundaries() []Boundary {
	b := make([]Boundary, len(a.words))
	for j, w := range a.words {
		b[j] = Boundary{Key: w.key, Index: int64(w.index ^ signBit)}
	}
	return b
}

// NewApproxAssigner returns the Assigner of approximate splits with the
// given ratios, each in (0, 1], summing to 1 within [RatioTolerance] (errors
// wrap [ErrUsage]). Each row independently goes to split j if and only if
// its key lies in [T(j-1), T(j)), where T(j) = floor(C(j) * 2^64), C(j) is
// the float64 running sum of the ratios in listed order, and T(-1) = 0. The
// last split, and the first split with C(j) >= 1, are open-ended: they take
// every key from their lower threshold up; any splits after them are empty.
func NewApproxAssigner(ratios []float64) (*Assigner, error) {
	splits := make([]Split, len(ratios))
	for j, r := range ratios {
		splits[j] = Split{Name: "s" + fmt.Sprint(j), Ratio: r}
	}
	if err := validateSplits(splits); err != nil {
		return nil, fmt.Errorf("%w: approximate split: %w", ErrUsage, err)
	}
	var upper []Boundary
	var c float64
	for _, r := range ratios[:len(ratios)-1] {
		c += r
		if c >= 1 {
			break
		}
		// c < 1 scaled by 2^64 is exact, below 2^64, and truncation is floor.
		upper = append(upper, Boundary{Key: uint64(math.Ldexp(c, 64)), Index: math.MinInt64})
	}
	return newAssigner(upper), nil
}

// Assign sets out[k] to the split id of row start+k, whose key is keys[k],
// for every k < len(keys). Exact assigners compare (key, row index), so
// start must be the global index of the row of keys[0]; approximate ones
// compare keys only and ignore start. Assign does not allocate and does not
// keep keys or out. It panics if len(out) < len(keys).
func (a *Assigner) Assign(keys []uint64, start int64, out []uint8) {
	out = out[:len(keys)]
	switch w := a.words; {
	case len(w) == 0:
		clear(out)
	case len(w) == 1:
		assign1(w[0], keys, start, out)
	case len(w) == 2:
		assign2(w[0], w[1], keys, start, out)
	default:
		assignSearch(w, keys, start, out)
	}
}

// The assign functions below set out[k] to the split id of the row start+k
// with key keys[k], for the boundaries given. One or two boundaries, the
// common cases, are compared without a branch; the split id is then the
// number of boundaries the row does not lie before. Each loop is a separate
// function so that it keeps its values in registers.

// assign1 assigns with one boundary.
func assign1(b rowWords, keys []uint64, start int64, out []uint8) {
	out = out[:len(keys)]
	for k, key := range keys {
		out[k] = uint8(before(key, uint64(start+int64(k))^signBit, b) ^ 1)
	}
}

// assign2 assigns with two boundaries.
func assign2(b0, b1 rowWords, keys []uint64, start int64, out []uint8) {
	out = out[:len(keys)]
	for k, key := range keys {
		i := uint64(start+int64(k)) ^ signBit
		out[k] = uint8(2 - before(key, i, b0) - before(key, i, b1))
	}
}

// assignSearch assigns with many boundaries by binary search for the first
// boundary the row lies before.
func assignSearch(w []rowWords, keys []uint64, start int64, out []uint8) {
	out = out[:len(keys)]
	for k, key := range keys {
		out[k] = uint8(search(w, key, uint64(start+int64(k))^signBit))
	}
}

// NewAssigner builds the Assigner of a split list over n rows whose keys
// are the raw outputs of gen: with approx, key thresholds on the ratios
// ([NewApproxAssigner]); otherwise exact sizes ([Sizes]) and their rank
// boundaries ([ExactBoundaries], on up to workers goroutines). It also
// returns the number of rows in no split (counts summing to less than n).
// Errors wrap [ErrUsage] for invalid lists, including counts with approx.
func NewAssigner(ctx context.Context, gen *prng.PCG64, splits []Split, n int64, approx bool, workers int) (*Assigner, int64, error) {
	if approx {
		ratios := make([]float64, len(splits))
		for i, s := range splits {
			if s.Rows != 0 {
				return nil, 0, fmt.Errorf("%w: approximate splits take ratios, not sizes (split %q)", ErrUsage, s.Name)
			}
			ratios[i] = s.Ratio
		}
		a, err := NewApproxAssigner(ratios)
		return a, 0, err
	}
	sizes, err := Sizes(splits, n)
	if err != nil {
		return nil, 0, err
	}
	var assigned int64
	for _, s := range sizes {
		assigned += s
	}
	bounds, err := ExactBoundaries(ctx, gen, n, sizes, workers)
	if err != nil {
		return nil, 0, err
	}
	return NewExactAssigner(bounds, len(sizes)), n - assigned, nil
}
