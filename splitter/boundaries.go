package splitter

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/splitdata/splitdata/prng"
)

// Tuning of ExactBoundaries. They change how much work and memory the search
// takes, never its result.
const (
	// selectUnit is the number of keys a worker generates per task. Tasks
	// are small so that workers finish a pass together: advancing a copy of
	// the generator to a task's first row costs about a microsecond.
	selectUnit = 1 << 18
	// selectBuffer is the number of keys a worker generates per Fill
	// (128 KiB, scanned while it is in cache).
	selectBuffer = 1 << 14
	// directLimit is the largest input whose rows are collected and sorted
	// at once. Beyond it a histogram pass comes first: generating a key
	// again is far cheaper than sorting it.
	directLimit = 1 << 12
	// collectLimit is the largest candidate set collected into memory (16
	// bytes a candidate) after a histogram pass; larger ones are narrowed
	// by another histogram pass.
	collectLimit = 1 << 20
	// radixBits is the number of key bits a histogram pass resolves.
	radixBits = 16
	// fewProbes is the largest number of probes a pass tests one by one on
	// every key; more are found through a table of the top key bits.
	fewProbes = 4
)

// tuning holds the tuning of one search: the constants above, except in
// tests, which shrink them to reach every path with small inputs.
type tuning struct {
	unit    int64   // keys a worker generates per task
	buffer  int64   // keys a worker generates per Fill
	direct  int64   // largest input collected without a histogram pass
	collect int64   // largest candidate set collected after one
	window  float64 // half-width of a window pass in standard deviations; 0: none
}

var defaultTuning = tuning{unit: selectUnit, buffer: selectBuffer, direct: directLimit, collect: collectLimit, window: windowSigmas}

// collects reports whether a pass collects the count rows whose keys start
// with a bits-long prefix, rather than take a histogram of them.
func (tu tuning) collects(bits int, count int64) bool {
	switch bits {
	case 0:
		return count <= tu.direct
	case 64:
		return true // whole keys: no bits left to count
	}
	return count <= tu.collect
}

// boundaryRanks checks split sizes against n rows and returns the rank
// c(j) of every boundary, the rows of the splits up to j: for every split
// but the last, and for the last too when the sizes leave rows over. A
// rank of n is past the last row (its boundary is the [Sentinel]).
func boundaryRanks(n int64, sizes []int64) ([]int64, error) {
	if n < 0 {
		return nil, fmt.Errorf("%w: negative row count %d", ErrUsage, n)
	}
	if len(sizes) == 0 || len(sizes) > MaxSplits {
		return nil, fmt.Errorf("%w: %d splits, want 1 to %d", ErrUsage, len(sizes), MaxSplits)
	}
	ranks := make([]int64, 0, len(sizes))
	var total int64
	for j, s := range sizes {
		if s < 0 {
			return nil, fmt.Errorf("%w: split %d has negative size %d", ErrUsage, j, s)
		}
		if s > n-total {
			return nil, fmt.Errorf("%w: split sizes sum to more than the %d rows", ErrUsage, n)
		}
		total += s
		if j < len(sizes)-1 || total < n {
			ranks = append(ranks, total)
		}
	}
	return ranks, nil
}

// ExactBoundaries returns the upper rank boundaries of exact splits with the
// given sizes over n rows whose keys are the raw outputs of gen: key(i) is
// the i-th output of a copy of gen (gen itself is not advanced). Split j
// holds the rows of rank [c(j-1), c(j)) in canonical order, c being the
// running sums of sizes, and its upper boundary is the row of rank c(j) (or
// [Sentinel] when c(j) = n). The result has one boundary per split but the
// last, plus one for the last split when the sizes sum to less than n. It is
// what [NewExactAssigner] takes.
//
// The boundaries are found without sorting and without storing the keys, by
// a radix select over the key stream. A first pass takes a histogram of the
// top 16 bits of every key, which places each target rank in one bucket; a
// second pass collects the rows of those buckets (about n/65536 each) and
// orders them, which gives each target its row. Buckets of more than about a
// million rows (n beyond about 7*10^10) are narrowed by another histogram
// pass on the next 16 bits first, and inputs of up to 4096 rows are
// collected whole at once. Before all that, with up to 4 targets, one pass
// counts the keys below a narrow window around each target's expected key
// and collects the rows inside it, which almost always holds the target:
// then that one pass replaces the two. Each pass generates the n keys
// again, spread over up to workers goroutines in fixed ranges; counts and
// candidate sets do not depend on which worker saw which range, so neither
// does the result. Memory: 16 bytes per row in a window, about 6*sqrt(n)
// rows per boundary and at most 4 MiB in all; then a 512 KiB histogram per
// worker, then 16 bytes per collected row, about n/4096 bytes per boundary
// and at most 16 MiB each.
//
// ExactBoundaries waits for the goroutines it starts before it returns.
// Errors wrap [ErrUsage] for invalid arguments (negative n or sizes, sizes
// summing to more than n, no splits or more than [MaxSplits]); when ctx is
// cancelled during a pass, its error is returned as is. It panics if gen is
// nil.
func ExactBoundaries(ctx context.Context, gen *prng.PCG64, n int64, sizes []int64, workers int) ([]Boundary, error) {
	return exactBoundaries(ctx, gen, n, sizes, workers, defaultTuning)
}

// exactBoundaries is [ExactBoundaries] with the given tuning.
func exactBoundaries(ctx context.Context, gen *prng.PCG64, n int64, sizes []int64, workers int, tune tuning) ([]Boundary, error) {
	ranks, err := boundaryRanks(n, sizes)
	if err != nil {
		return nil, err
	}
	if gen == nil {
		panic("splitter: ExactBoundaries: nil generator")
	}
	targets := make([]target, 0, len(ranks))
	for _, r := range ranks {
		tg := target{rank: r, count: n}
		if r == n {
			tg.found, tg.done = Sentinel, true // rank n: past the last row
		}
		targets = append(targets, tg)
	}

	sel := &selector{gen: gen, n: n, workers: max(workers, 1), tune: tune}
	if tune.window > 0 && !tune.collects(0, n) {
		// One pass that usually finds every target (boundaries_window.go)
		// instead of a histogram pass and a collecting pass.
		if err := sel.windowPass(ctx, targets, tune.window); err != nil {
			return nil, err
		}
	}
	for {
		// Every open target asks about the rows of its bucket. Targets in
		// one bucket share a probe; all open targets have gone through the
		// same number of passes, so every probe has the same prefix length
		// and the probes' key ranges are disjoint.
		var probes []probe
		for _, tg := range targets {
			if tg.done {
				continue
			}
			p := probe{prefix: tg.prefix, bits: tg.bits, collect: tune.collects(tg.bits, tg.count)}
			if !slices.Contains(probes, p) {
				probes = append(probes, p)
			}
		}
		if len(probes) == 0 {
			break
		}
		slices.SortFunc(probes, func(a, b probe) int { return cmp.Compare(a.prefix, b.prefix) })
		res, err := sel.pass(ctx, newProbeSet(probes))
		if err != nil {
			return nil, err
		}
		for t := range targets {
			tg := &targets[t]
			if tg.done {
				continue
			}
			k, _ := slices.BinarySearchFunc(probes, tg.prefix, func(p probe, prefix uint64) int { return cmp.Compare(p.prefix, prefix) })
			if probes[k].collect {
				c := res[k].rows[tg.rank]
				tg.found, tg.done = Boundary{Key: c.key, Index: c.index}, true
				continue
			}
			tg.narrow(res[k].hist)
		}
	}
	out := make([]Boundary, len(targets))
	for t, tg := range targets {
		out[t] = tg.found
	}
	return out, nil
}

// target is one rank being searched for: the row of rank rank among the
// count rows whose keys start with the bits-long prefix.
type target struct {
	prefix uint64
	bits   int
	rank   int64
	count  int64
	found  Boundary
	done   bool
}

// narrow moves t into the histogram bucket that holds its rank.
func (t *target) narrow(hist []int64) {
	for b, c := range hist {
		if t.rank < c {
			t.prefix = t.prefix<<radixBits | uint64(b)
			t.bits += radixBits
			t.count = c
			return
		}
		t.rank -= c
	}
	// The histogram sums to count and rank < count, so this is unreachable.
	panic("splitter: rank beyond histogram")
}

// probe asks a pass about the rows whose keys start with the bits-long
// prefix: a histogram of their next radixBits key bits, or, with collect,
// the rows themselves.
type probe struct {
	prefix  uint64
	bits    int
	collect bool
}

// match reports whether key starts with p's prefix.
func (p probe) match(key uint64) bool {
	return p.bits == 0 || key>>(64-p.bits) == p.prefix
}

// candidate is a row in canonical-order terms.
type candidate struct {
	key   uint64
	index int64
}

// probeResult is a probe's answer: hist has 1<<radixBits counts, rows is
// sorted in canonical order.
type probeResult struct {
	hist []int64
	rows []candidate
}

// add records the row (key, index), which matches p, in r.
func (r *probeResult) add(p probe, key uint64, index int64) {
	if p.collect {
		r.rows = append(r.rows, candidate{key: key, index: index})
		return
	}
	r.hist[(key<<p.bits)>>(64-radixBits)]++
}

// probeSet is the probes of one pass, read-only while the pass runs.
type probeSet struct {
	probes []probe // disjoint key ranges, sorted by prefix
	// With more than fewProbes probes, all of at least radixBits bits, a
	// key's top radixBits bits b select probes[first[b]:first[b+1]], and
	// bit b of mask says whether that range is non-empty.
	first []uint16
	mask  []uint64
}

// newProbeSet indexes probes, which have equal prefix lengths and are
// sorted by prefix.
func newProbeSet(probes []probe) *probeSet {
	for k := 1; k < len(probes); k++ {
		if probes[k].bits != probes[0].bits || probes[k].prefix <= probes[k-1].prefix {
			panic("splitter: probes of unequal length or out of order") // a bug in exactBoundaries
		}
	}
	ps := &probeSet{probes: probes}
	if len(probes) <= fewProbes || probes[0].bits < radixBits {
		return ps
	}
	ps.first = make([]uint16, 1<<radixBits+1)
	ps.mask = make([]uint64, 1<<radixBits/64)
	k := 0
	for b := range 1 << radixBits {
		ps.first[b] = uint16(k)
		for k < len(probes) && probes[k].prefix>>(probes[k].bits-radixBits) == uint64(b) {
			k++
		}
		if int(ps.first[b]) < k {
			ps.mask[b/64] |= 1 << (b % 64)
		}
	}
	ps.first[1<<radixBits] = uint16(k)
	return ps
}

// scan records the rows start, start+1, ... whose keys are keys in res,
// the results of ps.probes.
func (ps *probeSet) scan(keys []uint64, start int64, res []probeResult) {
	if ps.first != nil {
		for j, key := range keys {
			b := key >> (64 - radixBits)
			if ps.mask[b/64]&(1<<(b%64)) == 0 {
				continue
			}
			for k := ps.first[b]; k < ps.first[b+1]; k++ {
				if p := ps.probes[k]; p.match(key) {
					res[k].add(p, key, start+int64(j))
				}
			}
		}
		return
	}
	for k, p := range ps.probes {
		r := &res[k]
		switch {
		case p.bits == 0 && !p.collect:
			// The first pass: every key counts.
			h := r.hist
			for _, key := range keys {
				h[key>>(64-radixBits)]++
			}
		default:
			for j, key := range keys {
				if p.match(key) {
					r.add(p, key, start+int64(j))
				}
			}
		}
	}
}

// selector runs passes over the key stream.
type selector struct {
	gen     *prng.PCG64
	n       int64
	workers int
	tune    tuning
}

// pass generates every key once, spread over the workers, and answers the
// probes of ps. It returns ctx.Err() if ctx is cancelled before the pass
// completes; it always waits for its goroutines.
func (s *selector) pass(ctx context.Context, ps *probeSet) ([]probeResult, error) {
	workers := s.passWorkers()
	results := make([][]probeResult, workers)
	for w := range results {
		res := make([]probeResult, len(ps.probes))
		for k, p := range ps.probes {
			if !p.collect {
				res[k].hist = make([]int64, 1<<radixBits)
			}
		}
		results[w] = res
	}
	err := s.generate(ctx, workers, func(w int, keys []uint64, start int64) {
		ps.scan(keys, start, results[w])
	})
	if err != nil {
		return nil, err
	}
	// Sum histograms and merge candidates; both are independent of which
	// worker saw which range.
	out := results[0]
	for _, res := range results[1:] {
		for k := range out {
			if out[k].hist != nil {
				for b, c := range res[k].hist {
					out[k].hist[b] += c
				}
			}
			out[k].rows = append(out[k].rows, res[k].rows...)
		}
	}
	for k := range out {
		slices.SortFunc(out[k].rows, func(a, b candidate) int {
			return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.index, b.index))
		})
	}
	return out, nil
}

// passWorkers returns the number of goroutines a pass runs on.
func (s *selector) passWorkers() int {
	units := (s.n + s.tune.unit - 1) / s.tune.unit
	return int(min(int64(s.workers), max(units, 1)))
}

// generate generates every key once on workers goroutines, in tasks of
// s.tune.unit keys, and hands them to scan in runs of at most
// s.tune.buffer keys with the worker's number (below workers) and the row
// of the run's first key. Which worker sees which run depends on timing. It
// returns ctx.Err() if ctx is cancelled before every key is generated; it
// always waits for its goroutines.
func (s *selector) generate(ctx context.Context, workers int, scan func(w int, keys []uint64, start int64)) error {
	unit := s.tune.unit
	units := (s.n + unit - 1) / unit
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			buf := make([]uint64, min(s.tune.buffer, unit))
			for ctx.Err() == nil {
				u := next.Add(1) - 1
				if u >= units {
					return
				}
				start := u * unit
				end := min(start+unit, s.n)
				g := *s.gen
				g.Advance(uint64(start))
				for i := start; i < end && ctx.Err() == nil; i += int64(len(buf)) {
					keys := buf[:min(int64(len(buf)), end-i)]
					g.Fill(keys)
					scan(w, keys, i)
				}
			}
		})
	}
	wg.Wait()
	return ctx.Err()
}
