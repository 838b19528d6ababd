package splitter

import (
	"container/heap"
	"fmt"
	"math"
	"math/bits"
	"slices"
)

// StratifiedSizes returns the exact size of every split inside every class
// of a stratified split (algorithm version 1, docs/algorithm.md):
// sizes[c][j] rows of class c go to split j. classCounts[c] is the number of
// rows of class c; classes are numbered by the caller (the pipeline numbers
// them in sorted order of their canonical value, null first), and the
// number only breaks ties.
//
// With n the sum of the class counts and S(j) the overall sizes [Sizes]
// gives for splits over n rows, plus a rest column S(k) = n - sum S(j) when
// counts leave rows unassigned, the quota of class c in column j is
// q(c,j) = classCounts[c]*S(j)/n, computed exactly. The result is a
// controlled rounding of the quotas: every cell is floor(q) or ceil(q),
// every class's cells (rest included) sum to its count, and every split's
// cells sum to S(j), so the overall sizes are exactly the unstratified ones.
// Among all such roundings it is one that minimises the total deviation
// sum |sizes[c][j] - q(c,j)|, picked by the rule of [StratifiedRounding].
//
// A class with fewer rows than splits simply gets zeros in most columns. A
// class of zero rows gets all zeros. The result has one row per class and
// len(splits) columns (no rest column: the rest of class c is its count
// minus the row sum). Errors wrap [ErrUsage]: an invalid split list, a
// negative count, counts summing beyond 2^63-1, or split counts asking for
// more rows than there are.
func StratifiedSizes(classCounts []int64, splits []Split) ([][]int64, error) {
	n, err := sumCounts(classCounts)
	if err != nil {
		return nil, err
	}
	totals, err := Sizes(splits, n)
	if err != nil {
		return nil, err
	}
	return stratifyTotals(classCounts, totals, n)
}

// StratifiedKFoldSizes returns the size of every fold inside every class of
// a stratified k-fold split: folds[c][j] rows of class c belong to fold j.
// The fold totals are those of scikit-learn's KFold over the n rows (the
// first n mod k folds get n/k+1 rows, the others n/k), and the per-class
// sizes are the controlled rounding of [StratifiedRounding] with quotas
// classCounts[c]*T(j)/n, T(j) the fold totals: each is floor or ceil of
// about classCounts[c]/k, and every fold has exactly its KFold size. Errors
// wrap [ErrUsage]: k < 2, k > n, a negative count.
func StratifiedKFoldSizes(classCounts []int64, k int) ([][]int64, error) {
	n, err := sumCounts(classCounts)
	if err != nil {
		return nil, err
	}
	if k < 2 || k > MaxSplits {
		return nil, fmt.Errorf("%w: k = %d folds, want 2 to %d", ErrUsage, k, MaxSplits)
	}
	if int64(k) > n {
		return nil, fmt.Errorf("%w: k = %d folds but only %d rows", ErrUsage, k, n)
	}
	totals := make([]int64, k)
	for j := range totals {
		totals[j] = n / int64(k)
		if int64(j) < n%int64(k) {
			totals[j]++
		}
	}
	return StratifiedRounding(classCounts, totals)
}

// sumCounts returns the sum of class counts, checking each is non-negative
// and the sum fits an int64.
func sumCounts(classCounts []int64) (int64, error) {
	var n int64
	for c, nc := range classCounts {
		if nc < 0 {
			return 0, fmt.Errorf("%w: class %d has negative row count %d", ErrUsage, c, nc)
		}
		if nc > math.MaxInt64-n {
			return 0, fmt.Errorf("%w: class row counts sum beyond 2^63-1", ErrUsage)
		}
		n += nc
	}
	return n, nil
}

// stratifyTotals rounds classCounts into the columns totals (which sum to
// at most n), adding a rest column when they sum to less, and returns the
// table without it.
func stratifyTotals(classCounts, totals []int64, n int64) ([][]int64, error) {
	var sum int64
	for _, s := range totals {
		sum += s
	}
	if sum == n {
		return StratifiedRounding(classCounts, totals)
	}
	table, err := StratifiedRounding(classCounts, append(slices.Clone(totals), n-sum))
	if err != nil {
		return nil, err
	}
	for c := range table {
		table[c] = table[c][:len(totals)]
	}
	return table, nil
}

// StratifiedRounding returns the controlled rounding of the table of quotas
// q(c,j) = classCounts[c]*totals[j]/n, where n is the sum of the class
// counts, which must equal the sum of totals: an integer table x whose row c
// sums to classCounts[c], whose column j sums to totals[j], and whose every
// cell is floor(q(c,j)) or ceil(q(c,j)). Such a table always exists, and the
// one returned minimises sum |x(c,j) - q(c,j)| over all of them, chosen by
// this rule (docs/algorithm.md, section 12):
//
//  1. Every cell starts at floor(q). Each class c rounds up, one each, the
//     R(c) = classCounts[c] - sum floor(q(c,.)) cells with the largest
//     remainders classCounts[c]*totals[j] mod n, ties to the lower column:
//     largest remainder inside the class.
//  2. While some column j holds more than totals[j] rows, one row is moved
//     along a cheapest path of moves from a column with too many rows to
//     one with too few. A move j->j' through class c takes back the round-up
//     of cell (c,j) and rounds up (c,j') (which must be rounded down with a
//     non-zero remainder); it costs rem(c,j) - rem(c,j'). Of the classes
//     that allow a move j->j', the cheapest is used, ties to the highest
//     class number. Path costs are found by Bellman-Ford from every column
//     with too many rows (distance 0), relaxing edges round by round in the
//     order (j, j') lexicographic, only on strict improvement; the path ends
//     at the column with too few rows at the least distance, ties to the
//     lower column.
//
// Each step is a shortest augmenting path of a min-cost flow, so the result
// is optimal. Errors wrap [ErrUsage]: a negative count or total, or totals
// that do not sum to n. Time O(m*k^2 log m) and memory O(m*k^2) for m
// classes and k columns in the worst case; O(m*k) for two or three columns.
func StratifiedRounding(classCounts, totals []int64) ([][]int64, error) {
	n, err := sumCounts(classCounts)
	if err != nil {
		return nil, err
	}
	if len(totals) == 0 {
		return nil, fmt.Errorf("%w: no columns to round into", ErrUsage)
	}
	var sum int64
	for j, s := range totals {
		if s < 0 {
			return nil, fmt.Errorf("%w: column %d has negative size %d", ErrUsage, j, s)
		}
		if s > n-sum {
			return nil, fmt.Errorf("%w: column sizes sum to more than the %d rows", ErrUsage, n)
		}
		sum += s
	}
	if sum != n {
		return nil, fmt.Errorf("%w: column sizes sum to %d, not the %d rows", ErrUsage, sum, n)
	}
	if n == 0 {
		table := make([][]int64, len(classCounts))
		for c := range table {
			table[c] = make([]int64, len(totals))
		}
		return table, nil
	}
	r := newRounder(classCounts, totals, n)
	r.repair()
	return r.x, nil
}

// rounder holds the state of a controlled rounding.
type rounder struct {
	m, k   int
	x      [][]int64 // the table
	rem    [][]int64 // classCounts[c]*totals[j] mod n
	up     [][]bool  // cell rounded up
	excess []int64   // column sum minus its total
	moves  []moveHeap
}

// newRounder computes the quotas and the largest-remainder rounding inside
// every class (step 1).
func newRounder(classCounts, totals []int64, n int64) *rounder {
	m, k := len(classCounts), len(totals)
	r := &rounder{m: m, k: k, x: make([][]int64, m), rem: make([][]int64, m), up: make([][]bool, m), excess: make([]int64, k)}
	for j, s := range totals {
		r.excess[j] = -s
	}
	xs, rems, ups := make([]int64, m*k), make([]int64, m*k), make([]bool, m*k)
	order := make([]int, 0, k)
	for c, nc := range classCounts {
		x, rem, up := xs[c*k:(c+1)*k:(c+1)*k], rems[c*k:(c+1)*k:(c+1)*k], ups[c*k:(c+1)*k:(c+1)*k]
		r.x[c], r.rem[c], r.up[c] = x, rem, up
		left := nc
		order = order[:0]
		for j, s := range totals {
			hi, lo := bits.Mul64(uint64(nc), uint64(s))
			q, rm := bits.Div64(hi, lo, uint64(n)) // hi < n: nc, s <= n
			x[j], rem[j] = int64(q), int64(rm)
			left -= int64(q)
			if rm > 0 {
				order = append(order, j)
			}
		}
		// Largest remainder, ties to the lower column (a stable sort).
		slices.SortStableFunc(order, func(a, b int) int { return compareInt64(rem[b], rem[a]) })
		for _, j := range order[:left] {
			x[j]++
			up[j] = true
		}
		for j := range totals {
			r.excess[j] += x[j]
		}
	}
	return r
}

// compareInt64 is cmp.Compare for int64 without the NaN logic.
func compareInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// movable reports whether class c allows the move j->j2.
func (r *rounder) movable(c, j, j2 int) bool {
	return r.up[c][j] && !r.up[c][j2] && r.rem[c][j2] > 0
}

// push records every move class c allows from column j (if from) or into
// column j (if !from).
func (r *rounder) push(c, j int, from bool) {
	for o := range r.k {
		a, b := j, o
		if !from {
			a, b = o, j
		}
		if a != b && r.movable(c, a, b) {
			heap.Push(&r.moves[a*r.k+b], moveEntry{cost: r.rem[c][a] - r.rem[c][b], class: c})
		}
	}
}

// repair moves rows between columns until every column sum is exact
// (step 2).
func (r *rounder) repair() {
	k := r.k
	if !slices.ContainsFunc(r.excess, func(e int64) bool { return e > 0 }) {
		return
	}
	r.moves = make([]moveHeap, k*k)
	for c := range r.m {
		for j := range k {
			if r.up[c][j] {
				r.push(c, j, true)
			}
		}
	}
	best := make([]int, k*k)  // the class of the cheapest move j->j2, or -1
	dist := make([]int128, k) // path costs reach k*n: beyond int64
	reached := make([]bool, k)
	pred := make([]int, k)
	for {
		src := false
		for j := range k {
			dist[j], reached[j], pred[j] = int128{}, r.excess[j] > 0, -1
			src = src || reached[j]
		}
		if !src {
			return
		}
		for e := range best {
			best[e] = r.cheapest(e/k, e%k)
		}
		for changed := true; changed; {
			changed = false
			for j := range k {
				if !reached[j] {
					continue
				}
				for j2 := range k {
					c := best[j*k+j2]
					if c < 0 {
						continue
					}
					if d := dist[j].add(r.rem[c][j] - r.rem[c][j2]); !reached[j2] || d.less(dist[j2]) {
						dist[j2], reached[j2], pred[j2], changed = d, true, j, true
					}
				}
			}
		}
		t := -1
		for j := range k {
			if r.excess[j] < 0 && reached[j] && (t < 0 || dist[j].less(dist[t])) {
				t = j
			}
		}
		if t < 0 {
			// A fractional solution exists, hence an integral one, hence
			// an augmenting path: unreachable.
			panic("splitter: controlled rounding found no augmenting path")
		}
		r.excess[t]++
		for j2 := t; pred[j2] >= 0; j2 = pred[j2] {
			j := pred[j2]
			c := best[j*k+j2]
			r.x[c][j]--
			r.up[c][j] = false
			r.x[c][j2]++
			r.up[c][j2] = true
			r.push(c, j2, true)
			r.push(c, j, false)
			if pred[j] < 0 {
				r.excess[j]--
			}
		}
	}
}

// int128 is a signed 128-bit integer, for path costs.
type int128 struct {
	hi int64
	lo uint64
}

// add returns a + v.
func (a int128) add(v int64) int128 {
	lo, carry := bits.Add64(a.lo, uint64(v), 0)
	return int128{hi: a.hi + v>>63 + int64(carry), lo: lo}
}

// less reports whether a < b.
func (a int128) less(b int128) bool {
	return a.hi < b.hi || a.hi == b.hi && a.lo < b.lo
}

// cheapest returns the class of the cheapest allowed move j->j2 (ties to
// the highest class), or -1, dropping stale entries from its heap.
func (r *rounder) cheapest(j, j2 int) int {
	if j == j2 {
		return -1
	}
	h := &r.moves[j*r.k+j2]
	for h.Len() > 0 {
		e := (*h)[0]
		if r.movable(e.class, j, j2) {
			return e.class
		}
		heap.Pop(h)
	}
	return -1
}

// moveEntry is a possible move of a class between two columns.
type moveEntry struct {
	cost  int64
	class int
}

// moveHeap orders moves by cost, then by decreasing class.
type moveHeap []moveEntry

func (h moveHeap) Len() int { return len(h) }
func (h moveHeap) Less(a, b int) bool {
	return h[a].cost < h[b].cost || h[a].cost == h[b].cost && h[a].class > h[b].class
}
func (h moveHeap) Swap(a, b int) { h[a], h[b] = h[b], h[a] }
func (h *moveHeap) Push(v any)   { *h = append(*h, v.(moveEntry)) }
func (h *moveHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	*h = old[:len(old)-1]
	return v
}
