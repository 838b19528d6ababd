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
	// selectUnit is the number of keys a worker generates per task.
	selectUnit = 1 << 22
	// selectBuffer is the number of keys a worker generates per Fill.
	selectBuffer = 1 << 14
	// collectLimit is the largest candidate set collected into memory (16
	// bytes a candidate); larger ones are narrowed by another histogram pass.
	collectLimit = 1 << 20
	// radixBits is the number of key bits a histogram pass resolves.
	radixBits = 16
)

// tuning holds the tuning of one search, the constants above except in
// tests, which shrink them to reach every path with small inputs.
type tuning struct {
	unit    int64 // keys a worker generates per task
	buffer  int64 // keys a worker generates per Fill
	collect int64 // largest candidate set collected into memory
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
// The boundaries are found without sorting and without storing the keys: a
// radix select makes one histogram pass over the key stream on the top 16
// key bits, narrows every target rank to one bucket (more histogram passes
// while a bucket holds more than about a million rows), then collects the
// few rows of those buckets and orders them. With random keys that is two
// passes over n generated keys and memory independent of n. The key stream
// is cut into fixed ranges handed to up to workers goroutines; counts and
// candidate sets do not depend on how the ranges are shared, so neither
// does the result.
//
// Errors wrap [ErrUsage] for invalid arguments (negative n or sizes, sizes
// summing to more than n, no splits); ctx cancellation is returned as is.
func ExactBoundaries(ctx context.Context, gen *prng.PCG64, n int64, sizes []int64, workers int) ([]Boundary, error) {
	return exactBoundaries(ctx, gen, n, sizes, workers, tuning{unit: selectUnit, buffer: selectBuffer, collect: collectLimit})
}

// exactBoundaries is [ExactBoundaries] with the given tuning.
func exactBoundaries(ctx context.Context, gen *prng.PCG64, n int64, sizes []int64, workers int, tune tuning) ([]Boundary, error) {
	if n < 0 {
		return nil, fmt.Errorf("%w: negative row count %d", ErrUsage, n)
	}
	if len(sizes) == 0 || len(sizes) > MaxSplits {
		return nil, fmt.Errorf("%w: %d splits, want 1 to %d", ErrUsage, len(sizes), MaxSplits)
	}
	var total int64
	ranks := make([]int64, 0, len(sizes))
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
	targets := make([]target, len(ranks))
	for t, r := range ranks {
		targets[t] = target{rank: r, count: n}
	}
	s := &selector{gen: gen, n: n, workers: max(workers, 1), tune: tune}
	for {
		var probes []probe
		for t := range targets {
			tg := &targets[t]
			if tg.done || tg.rank >= tg.count {
				continue // resolved, or past the last row: Sentinel
			}
			p := probe{prefix: tg.prefix, bits: tg.bits, collect: tg.count <= tune.collect || tg.bits == 64}
			if !slices.Contains(probes, p) {
				probes = append(probes, p)
			}
		}
		if len(probes) == 0 {
			break
		}
		res, err := s.pass(ctx, probes)
		if err != nil {
			return nil, err
		}
		for t := range targets {
			tg := &targets[t]
			if tg.done || tg.rank >= tg.count {
				continue
			}
			k := slices.Index(probes, probe{prefix: tg.prefix, bits: tg.bits, collect: tg.count <= tune.collect || tg.bits == 64})
			r := res[k]
			if probes[k].collect {
				c := r.rows[tg.rank]
				tg.found, tg.done = Boundary{Key: c.key, Index: c.index}, true
				continue
			}
			tg.narrow(r.hist)
		}
	}
	out := make([]Boundary, len(targets))
	for t, tg := range targets {
		out[t] = Sentinel
		if tg.done {
			out[t] = tg.found
		}
	}
	return out, nil
}

// target is one rank being searched for: the row of that rank within the
// rows whose keys start with the bits-long prefix, of which there are count.
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

// selector runs passes over the key stream.
type selector struct {
	gen     *prng.PCG64
	n       int64
	workers int
	tune    tuning
}

// pass generates every key once, spread over the workers, and answers the
// probes.
func (s *selector) pass(ctx context.Context, probes []probe) ([]probeResult, error) {
	unit := s.tune.unit
	units := (s.n + unit - 1) / unit
	workers := int(min(int64(s.workers), max(units, 1)))
	results := make([][]probeResult, workers)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		res := make([]probeResult, len(probes))
		for k, p := range probes {
			if !p.collect {
				res[k].hist = make([]int64, 1<<radixBits)
			}
		}
		results[w] = res
		wg.Go(func() {
			buf := make([]uint64, s.tune.buffer)
			for ctx.Err() == nil {
				u := next.Add(1) - 1
				if u >= units {
					return
				}
				start := u * unit
				end := min(start+unit, s.n)
				g := *s.gen
				g.Advance(uint64(start))
				for i := start; i < end && ctx.Err() == nil; i += s.tune.buffer {
					keys := buf[:min(s.tune.buffer, end-i)]
					g.Fill(keys)
					scan(keys, i, probes, res)
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
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

// scan answers the probes for the keys of rows start, start+1, ...
func scan(keys []uint64, start int64, probes []probe, res []probeResult) {
	if len(probes) == 1 && probes[0].bits == 0 && !probes[0].collect {
		// The first pass: every key counts.
		h := res[0].hist
		for _, key := range keys {
			h[key>>(64-radixBits)]++
		}
		return
	}
	for k, p := range probes {
		r := &res[k]
		for j, key := range keys {
			if !p.match(key) {
				continue
			}
			if p.collect {
				r.rows = append(r.rows, candidate{key: key, index: start + int64(j)})
			} else {
				r.hist[(key<<p.bits)>>(64-radixBits)]++
			}
		}
	}
}
