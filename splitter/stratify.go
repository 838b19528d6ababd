package splitter

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/splitdata/splitdata/prng"
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

// ClassBatches is a re-iterable stream of the class ids of all n rows of a
// stratified split: it calls yield with the rows start, start+1, ... in
// order, from row 0 to row n-1, in batches of any sizes, and stops early
// when yield returns false. The slice is only read during the call. A class
// id is an index into the class table of [StratifiedSizes].
type ClassBatches func(yield func(start int64, classes []uint32) bool)

// KeyBatches is a re-iterable stream of one uint64 key per row, such as the
// group keys of [GroupHasher], for all n rows in order, like [ClassBatches].
type KeyBatches func(yield func(start int64, keys []uint64) bool)

// StratifiedBoundaries returns the upper rank boundaries of a stratified
// exact split over n rows whose keys are the raw outputs of gen (key(i) is
// the i-th output of a copy of gen; gen is not advanced) and whose classes
// come from classes. sizes[c][j] is the number of rows of class c in split
// j, as [StratifiedSizes] gives; every class has the same number of splits.
// Inside class c the rows are in canonical order, by (key, i), and split j
// holds the class ranks [cc(j-1), cc(j)), cc being the running sums of
// sizes[c]. The result has one boundary list per class in the form of
// [ExactBoundaries]: the row of class rank cc(j) for every split but the
// last, and for the last too when the class has rows in no split;
// [Sentinel] for rank n_c. It is what [NewStratifiedAssigner] takes.
//
// The boundaries are found by a multi-pass radix select over the
// (class, key) space without storing keys: a first pass only counts the
// rows of each class; each further pass regenerates the keys and takes, for
// every class bucket that holds a target rank, a histogram of its next key
// bits (up to 16, fewer for small classes) or, once the buckets are small
// enough, collects their rows. Histograms hold at most about 2^19 + 2t
// counters per worker (t target ranks, at most classes * splits) and the
// rows collected in one pass are at most about 2^21 (24 bytes each), so
// memory does not grow with n; the counting pass takes 8 bytes per class.
// Usually two key passes suffice, a third for very many rows in many
// classes; every pass (the counting one too) reads the class stream once.
// reads the class stream once. Batches are split over up to workers
// goroutines; the counts and rows collected do not depend on which worker
// saw which rows, nor on the batching, so neither does the result.
//
// Errors wrap [ErrUsage] for invalid sizes (negative, sums above a class's
// row count, rows of unequal length, no classes, more than [MaxSplits]
// splits); a stream that is out of order, does not hold n rows, or holds a
// class id beyond len(sizes)-1 is an error too. When ctx is cancelled its
// error is returned. StratifiedBoundaries waits for its goroutines. It
// panics if gen is nil.
func StratifiedBoundaries(ctx context.Context, gen *prng.PCG64, classes ClassBatches, n int64, sizes [][]int64, workers int) ([][]Boundary, error) {
	return stratifiedBoundaries(ctx, gen, classes, n, sizes, workers, defaultClassTuning)
}

// stratifiedBoundaries is [StratifiedBoundaries] with the given tuning.
func stratifiedBoundaries(ctx context.Context, gen *prng.PCG64, classes ClassBatches, n int64, sizes [][]int64, workers int, tune classTuning) ([][]Boundary, error) {
	if gen == nil {
		panic("splitter: StratifiedBoundaries: nil generator")
	}
	if n < 0 {
		return nil, fmt.Errorf("%w: negative row count %d", ErrUsage, n)
	}
	if len(sizes) == 0 || int64(len(sizes)) > math.MaxUint32+1 {
		return nil, fmt.Errorf("%w: %d classes, want 1 to 2^32", ErrUsage, len(sizes))
	}
	k := len(sizes[0])
	if k == 0 || k > MaxSplits {
		return nil, fmt.Errorf("%w: %d splits, want 1 to %d", ErrUsage, k, MaxSplits)
	}
	for c, row := range sizes {
		if len(row) != k {
			return nil, fmt.Errorf("%w: class %d has %d split sizes, class 0 has %d", ErrUsage, c, len(row), k)
		}
		for j, s := range row {
			if s < 0 {
				return nil, fmt.Errorf("%w: class %d: split %d has negative size %d", ErrUsage, c, j, s)
			}
		}
	}
	sel := &classSelector{gen: gen, classes: classes, n: n, m: len(sizes), workers: max(workers, 1), tune: tune}
	counts, err := sel.count(ctx)
	if err != nil {
		return nil, err
	}
	out := make([][]Boundary, len(sizes))
	var targets []classTarget
	for c, row := range sizes {
		var total int64
		for j, s := range row {
			if s > counts[c]-total {
				return nil, fmt.Errorf("%w: class %d: split sizes sum to more than its %d rows", ErrUsage, c, counts[c])
			}
			total += s
			if j == k-1 && total == counts[c] {
				break
			}
			if total == counts[c] {
				out[c] = append(out[c], Sentinel)
				continue
			}
			out[c] = append(out[c], Boundary{})
			targets = append(targets, classTarget{class: uint32(c), slot: len(out[c]) - 1, rank: total, count: counts[c]})
		}
	}
	if err := sel.run(ctx, targets); err != nil {
		return nil, err
	}
	for _, tg := range targets {
		out[tg.class][tg.slot] = Boundary{Key: tg.found.key, Index: tg.found.index}
	}
	return out, nil
}

// classTuning tunes the radix select of StratifiedBoundaries and
// RowBalancedThresholds. It changes the work and memory of a search, never
// its result.
type classTuning struct {
	hist    int64 // histogram counters per pass (the leaf size is rows/hist)
	collect int64 // rows collected per pass
	chunk   int64 // rows per worker task
}

var defaultClassTuning = classTuning{hist: 1 << 18, collect: 1 << 21, chunk: 1 << 14}

// classTarget is one rank being searched for in one class: the row of rank
// rank among the count rows of the class whose keys start with the
// bits-long prefix; below rows of the class have smaller keys.
type classTarget struct {
	class  uint32
	slot   int
	prefix uint64
	bits   int
	rank   int64
	count  int64
	below  int64
	found  candidate
	first  int64 // rank of the first row with the found key, in the class
	done   bool
}

// classProbe asks a pass about the rows of a class whose keys start with
// the bits-long prefix: a histogram of their next d key bits (at offset off
// of the pass's counters) or, with d = 0, the rows themselves.
type classProbe struct {
	class  uint32
	prefix uint64
	bits   int
	d      int
	off    int64
	count  int64
}

// lo returns the smallest key p matches.
func (p *classProbe) lo() uint64 {
	if p.bits == 0 {
		return 0
	}
	return p.prefix << (64 - p.bits)
}

// match reports whether key starts with p's prefix.
func (p *classProbe) match(key uint64) bool {
	return p.bits == 0 || key>>(64-p.bits) == p.prefix
}

// classRow is a collected row and the probe it answers.
type classRow struct {
	probe int
	key   uint64
	index int64
}

// classSelector runs passes over a stream of classes (or keys).
type classSelector struct {
	gen     *prng.PCG64  // keys are generated, or
	keys    KeyBatches   // keys are given (one class)
	classes ClassBatches // nil with keys
	n       int64
	m       int
	workers int
	tune    classTuning
}

// workerState is one worker's scratch for a pass.
type workerState struct {
	buf    []uint64
	g      prng.PCG64
	pos    int64 // row the generator g is at, or -1
	counts []int64
	hist   []int64
	rows   []classRow
	bad    int64 // first row with an out-of-range class, or -1
}

// stream calls fn on every row range of the stream, spread over the
// workers: fn(w, start, classes, keys) with classes nil for one class and
// keys generated unless given. It checks order and length.
func (s *classSelector) stream(ctx context.Context, states []*workerState, fn func(ws *workerState, start int64, classes []uint32, keys []uint64)) error {
	var pos int64
	var err error
	visit := func(start int64, classes []uint32, keys []uint64) bool {
		if err = ctx.Err(); err != nil {
			return false
		}
		size := int64(max(len(classes), len(keys)))
		if start != pos || size > s.n-pos {
			err = fmt.Errorf("splitter: batch of rows %d to %d, want rows from %d of %d", start, start+size-1, pos, s.n)
			return false
		}
		pos += size
		tasks := (size + s.tune.chunk - 1) / s.tune.chunk
		task := func(ws *workerState, t int64) {
			lo, hi := t*s.tune.chunk, min((t+1)*s.tune.chunk, size)
			var cl []uint32
			if classes != nil {
				cl = classes[lo:hi]
			}
			if keys != nil {
				fn(ws, start+lo, cl, keys[lo:hi])
				return
			}
			if ws.pos != start+lo {
				ws.g = *s.gen
				ws.g.Advance(uint64(start + lo))
			}
			kb := ws.buf[:hi-lo]
			ws.g.Fill(kb)
			ws.pos = start + hi
			fn(ws, start+lo, cl, kb)
		}
		nw := int(min(int64(len(states)), tasks))
		if nw <= 1 {
			for t := range tasks {
				task(states[0], t)
			}
			return true
		}
		var next atomic.Int64
		var wg sync.WaitGroup
		for _, ws := range states[:nw] {
			wg.Go(func() {
				for t := next.Add(1) - 1; t < tasks; t = next.Add(1) - 1 {
					task(ws, t)
				}
			})
		}
		wg.Wait()
		return true
	}
	if s.classes != nil {
		s.classes(func(start int64, classes []uint32) bool { return visit(start, classes, nil) })
	} else {
		s.keys(func(start int64, keys []uint64) bool { return visit(start, nil, keys) })
	}
	if err != nil {
		return err
	}
	if pos != s.n {
		return fmt.Errorf("splitter: the stream holds %d rows, want %d", pos, s.n)
	}
	return nil
}

// newStates returns fresh worker scratch.
func (s *classSelector) newStates() []*workerState {
	states := make([]*workerState, s.workers)
	for w := range states {
		states[w] = &workerState{pos: -1, bad: -1}
		if s.keys == nil {
			states[w].buf = make([]uint64, s.tune.chunk)
		}
	}
	return states
}

// count returns the number of rows of each class.
func (s *classSelector) count(ctx context.Context) ([]int64, error) {
	if s.classes == nil {
		return []int64{s.n}, nil
	}
	states := s.newStates()
	for _, ws := range states {
		ws.counts = make([]int64, s.m)
	}
	m := uint32(s.m - 1)
	// Counting needs no keys: stream the classes alone.
	var pos int64
	var err error
	s.classes(func(start int64, classes []uint32) bool {
		if err = ctx.Err(); err != nil {
			return false
		}
		if start != pos || int64(len(classes)) > s.n-pos {
			err = fmt.Errorf("splitter: batch of rows %d to %d, want rows from %d of %d", start, start+int64(len(classes))-1, pos, s.n)
			return false
		}
		counts := states[0].counts
		for i, c := range classes {
			if c > m {
				err = fmt.Errorf("splitter: row %d has class %d, want 0 to %d", start+int64(i), c, m)
				return false
			}
			counts[c]++
		}
		pos += int64(len(classes))
		return true
	})
	if err != nil {
		return nil, err
	}
	if pos != s.n {
		return nil, fmt.Errorf("splitter: the stream holds %d rows, want %d", pos, s.n)
	}
	return states[0].counts, nil
}

// run finds every target.
func (s *classSelector) run(ctx context.Context, targets []classTarget) error {
	for {
		probes := s.plan(targets)
		if len(probes) == 0 {
			return nil
		}
		hist, rows, err := s.pass(ctx, probes)
		if err != nil {
			return err
		}
		for t := range targets {
			tg := &targets[t]
			if tg.done {
				continue
			}
			k, _ := slices.BinarySearchFunc(probes, tg, func(p classProbe, tg *classTarget) int {
				return cmp.Or(cmp.Compare(p.class, tg.class), cmp.Compare(p.lo(), tg.lo()))
			})
			p := &probes[k]
			if p.d == 0 {
				rs := rows[k]
				r := rs[tg.rank]
				first := tg.rank
				for first > 0 && rs[first-1].key == r.key {
					first--
				}
				tg.found, tg.first, tg.done = candidate{key: r.key, index: r.index}, tg.below+first, true
				continue
			}
			h := hist[p.off : p.off+1<<p.d]
			for b, c := range h {
				if tg.rank < c {
					tg.prefix = tg.prefix<<p.d | uint64(b)
					tg.bits += p.d
					tg.count = c
					break
				}
				tg.rank -= c
				tg.below += c
			}
		}
	}
}

// lo returns the smallest key of t's bucket.
func (t *classTarget) lo() uint64 {
	if t.bits == 0 {
		return 0
	}
	return t.prefix << (64 - t.bits)
}

// plan returns the probes of the next pass, sorted by class and key, each
// to collect (d = 0) or to take a histogram of.
func (s *classSelector) plan(targets []classTarget) []classProbe {
	var probes []classProbe
	for _, tg := range targets {
		if !tg.done {
			probes = append(probes, classProbe{class: tg.class, prefix: tg.prefix, bits: tg.bits, count: tg.count})
		}
	}
	slices.SortFunc(probes, func(a, b classProbe) int {
		return cmp.Or(cmp.Compare(a.class, b.class), cmp.Compare(a.lo(), b.lo()), cmp.Compare(a.bits, b.bits))
	})
	probes = slices.CompactFunc(probes, func(a, b classProbe) bool { return a.class == b.class && a.bits == b.bits && a.prefix == b.prefix })
	var total int64
	for _, p := range probes {
		total += p.count
	}
	leaf := max(1, (total+s.tune.hist-1)/s.tune.hist)
	if total <= s.tune.collect {
		leaf = math.MaxInt64 // collect everything now
	}
	var collected, off int64
	for i := range probes {
		p := &probes[i]
		if p.bits == 64 || p.count <= leaf && collected+p.count <= s.tune.collect {
			collected += p.count
			continue
		}
		// d bits leave buckets of about leaf rows: 2^d >= count/leaf.
		d := bits.Len64(uint64((p.count - 1) / leaf))
		p.d = min(max(d, 1), radixBits, 64-p.bits)
		p.off = off
		off += 1 << p.d
	}
	return probes
}

// pass generates every key once and answers the probes: the histogram
// counters of every probe at its offset, and the sorted rows of every
// collecting probe, by probe index.
func (s *classSelector) pass(ctx context.Context, probes []classProbe) ([]int64, [][]classRow, error) {
	var size int64
	for _, p := range probes {
		if p.d > 0 {
			size = p.off + 1<<p.d
		}
	}
	// first[c] is the index of the first probe of class c.
	first := make([]int, s.m+1)
	for _, p := range probes {
		first[p.class+1]++
	}
	for c := range s.m {
		first[c+1] += first[c]
	}
	states := s.newStates()
	for _, ws := range states {
		ws.hist = make([]int64, size)
	}
	err := s.stream(ctx, states, func(ws *workerState, start int64, classes []uint32, keys []uint64) {
		for i, key := range keys {
			c := 0
			if classes != nil {
				c = int(classes[i])
				if c >= s.m {
					if ws.bad < 0 {
						ws.bad = start + int64(i)
					}
					continue
				}
			}
			ps := probes[first[c]:first[c+1]]
			var k int
			switch len(ps) {
			case 0:
				continue
			case 1:
			default:
				// The last probe starting at or below key.
				lo, hi := 0, len(ps)
				for hi-lo > 1 {
					mid := int(uint(lo+hi) >> 1)
					if ps[mid].lo() <= key {
						lo = mid
					} else {
						hi = mid
					}
				}
				k = lo
			}
			p := &ps[k]
			if !p.match(key) {
				continue
			}
			if p.d == 0 {
				ws.rows = append(ws.rows, classRow{probe: first[c] + k, key: key, index: start + int64(i)})
				continue
			}
			ws.hist[p.off+int64((key<<p.bits)>>(64-p.d))]++
		}
	})
	if err != nil {
		return nil, nil, err
	}
	for _, ws := range states {
		if ws.bad >= 0 {
			return nil, nil, fmt.Errorf("splitter: row %d has a class beyond %d", ws.bad, s.m-1)
		}
	}
	hist := states[0].hist
	var rows []classRow
	for _, ws := range states {
		if ws != states[0] {
			for b, c := range ws.hist {
				hist[b] += c
			}
		}
		rows = append(rows, ws.rows...)
	}
	slices.SortFunc(rows, func(a, b classRow) int {
		return cmp.Or(cmp.Compare(a.probe, b.probe), cmp.Compare(a.key, b.key), cmp.Compare(a.index, b.index))
	})
	byProbe := make([][]classRow, len(probes))
	for len(rows) > 0 {
		p := rows[0].probe
		e := 1
		for e < len(rows) && rows[e].probe == p {
			e++
		}
		byProbe[p], rows = rows[:e:e], rows[e:]
	}
	return hist, byProbe, nil
}

// StratifiedAssigner maps rows of a stratified exact split to split ids: 0
// to nsplits-1 for the splits in listed order, nsplits for a row in no
// split. A row of class c goes to the first split whose upper boundary in
// class c lies after it in canonical order.
//
// A StratifiedAssigner is immutable and safe for concurrent use. Build one
// with [NewStratifiedAssigner].
type StratifiedAssigner struct {
	first []int      // class c's boundaries are words[first[c]:first[c+1]]
	words []rowWords // upper boundaries, as Assigner compares them
}

// NewStratifiedAssigner returns the assigner of a stratified split into
// nsplits splits with the per-class upper boundaries b from
// [StratifiedBoundaries]: b[c] is class c's list, of nsplits-1 boundaries
// (the class's last split runs to its end) or nsplits (the rows of the
// class from b[c][nsplits-1] on are in no split). It copies b. It panics if
// [CheckBoundaries] fails for a class: lists from StratifiedBoundaries
// always pass.
func NewStratifiedAssigner(b [][]Boundary, nsplits int) *StratifiedAssigner {
	a := &StratifiedAssigner{first: make([]int, len(b)+1)}
	for c, list := range b {
		if err := CheckBoundaries(list, nsplits); err != nil {
			panic(fmt.Sprintf("splitter: NewStratifiedAssigner: class %d: %v", c, err))
		}
		for _, bd := range list {
			a.words = append(a.words, rowWords{key: bd.Key, index: uint64(bd.Index) ^ signBit})
		}
		a.first[c+1] = len(a.words)
	}
	return a
}

// Assign sets out[k] to the split id of row start+k, whose class is
// classes[k] and key keys[k], for every k < len(keys). start must be the
// global index of the row of keys[0]. Assign does not allocate and does not
// keep its arguments. It panics if len(classes) or len(out) is less than
// len(keys), or on a class without boundaries.
func (a *StratifiedAssigner) Assign(classes []uint32, keys []uint64, start int64, out []uint8) {
	out = out[:len(keys)]
	classes = classes[:len(keys)]
	for k, key := range keys {
		c := classes[k]
		w := a.words[a.first[c]:a.first[c+1]]
		i := uint64(start+int64(k)) ^ signBit
		lo, hi := 0, len(w)
		for lo < hi { // the first boundary the row lies before
			m := int(uint(lo+hi) >> 1)
			_, b := bits.Sub64(i, w[m].index, 0)
			if _, b = bits.Sub64(key, w[m].key, b); b == 1 {
				hi = m
			} else {
				lo = m + 1
			}
		}
		out[k] = uint8(lo)
	}
}
