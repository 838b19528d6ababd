package splitter

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/splitdata/splitdata/prng"
)

// The radix select over a (class, key) stream that finds rank boundaries
// inside classes without storing keys: [StratifiedBoundaries],
// [OrderBoundaries] and [RowBalancedThresholds] all run it.

// classTuning tunes the radix select of StratifiedBoundaries,
// OrderBoundaries and RowBalancedThresholds; classTuningFor derives it
// from a memory budget (classselect_memory.go). It changes the work and
// memory of a search, never its result.
type classTuning struct {
	hist    int64 // histogram counters per pass (the leaf size is rows/hist)
	collect int64 // rows collected per pass
	chunk   int64 // rows per worker task
}

// defaultClassTuning is the largest tuning, which a budget scales down.
// Up to session 19 it collected 2^21 rows a pass (48 MiB), so a search
// over fewer rows (wide --stratify s00, 2M) collected all of them in its
// first pass, and a large tie of keys (flights --order-by delay) was
// collected whole, both then sorted on one goroutine; with 2^18 they go
// to histogram passes on every worker. Boundary phase 0.65-0.95 s and
// 0.36-0.89 s then, 0.05-0.35 s and 0.10-0.21 s now, others the same
// (session 20); two key passes do while targets x rows < about 2^34.
var defaultClassTuning = classTuning{hist: 1 << 18, collect: 1 << 18, chunk: 1 << 14}

// classTarget is one rank being searched for in one class: the row of rank
// rank among the count rows of the class whose keys start with the
// bits-long prefix; below rows of the class have smaller keys. Once the
// prefix is the whole key (bits 64), the rows sharing it are told apart by
// index: the target's count rows then have indices in [ilo, ihi), and
// kbelow rows of the class have smaller keys.
type classTarget struct {
	class    uint32
	slot     int
	prefix   uint64
	bits     int
	ilo, ihi int64
	rank     int64
	count    int64
	below    int64
	kbelow   int64
	found    candidate
	first    int64 // rank of the first row with the found key, in the class
	done     bool
}

// classProbe asks a pass about the rows of a class whose keys start with
// the bits-long prefix: a histogram of their next d key bits (at offset off
// of the pass's counters) or, with d = 0, the rows themselves. With bits
// 64 it asks about the rows of that key with indices in [ilo, ihi), and
// its histogram counts indices in ranges of iw.
type classProbe struct {
	class    uint32
	prefix   uint64
	bits     int
	ilo, ihi int64
	iw       int64
	d        int
	off      int64
	count    int64
}

// probeOrder orders probes (and targets' probes) by class, then key, then
// index.
func probeOrder(ca, cb uint32, loa, lob uint64, iloa, ilob int64) int {
	return cmp.Or(cmp.Compare(ca, cb), cmp.Compare(loa, lob), cmp.Compare(iloa, ilob))
}

// lo returns the smallest key p matches.
func (p *classProbe) lo() uint64 {
	if p.bits == 0 {
		return 0
	}
	return p.prefix << (64 - p.bits)
}

// match reports whether key starts with p's prefix (for bits below 64;
// pass tells a key's rows apart by index).
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
	buf  []uint64
	g    prng.PCG64
	pos  int64 // row the generator g is at, or -1
	hist []int64
	rows []classRow
	bad  int64 // first row with an out-of-range class, or -1
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
	// One table of counts, and no keys: the stream is counted in order.
	counts := make([]int64, s.m)
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
	return counts, nil
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
				return probeOrder(p.class, tg.class, p.lo(), tg.lo(), p.ilo, tg.ilo)
			})
			p := &probes[k]
			if p.d == 0 {
				rs := rows[k]
				r := rs[tg.rank]
				first := tg.below
				if p.bits < 64 {
					f := tg.rank
					for f > 0 && rs[f-1].key == r.key {
						f--
					}
					first += f
				} else {
					first = tg.kbelow // rows of the key before ilo were counted in below
				}
				tg.found, tg.first, tg.done = candidate{key: r.key, index: r.index}, first, true
				continue
			}
			h := hist[p.off : p.off+1<<p.d]
			for b, c := range h {
				if tg.rank < c {
					if p.bits == 64 {
						tg.ilo = p.ilo + int64(b)*p.iw
						tg.ihi = min(tg.ilo+p.iw, p.ihi)
					} else {
						tg.prefix = tg.prefix<<p.d | uint64(b)
						tg.bits += p.d
						if tg.bits == 64 { // below is final: the key's first row
							tg.ilo, tg.ihi, tg.kbelow = 0, s.n, tg.below
						}
					}
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
			probes = append(probes, classProbe{class: tg.class, prefix: tg.prefix, bits: tg.bits, ilo: tg.ilo, ihi: tg.ihi, count: tg.count})
		}
	}
	slices.SortFunc(probes, func(a, b classProbe) int {
		return cmp.Or(probeOrder(a.class, b.class, a.lo(), b.lo(), a.ilo, b.ilo), cmp.Compare(a.bits, b.bits))
	})
	probes = slices.CompactFunc(probes, func(a, b classProbe) bool {
		return a.class == b.class && a.bits == b.bits && a.prefix == b.prefix && a.ilo == b.ilo
	})
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
		// A range of one index holds one row at most.
		if p.bits == 64 && p.ihi-p.ilo <= 1 || p.count <= leaf && collected+p.count <= s.tune.collect {
			collected += p.count
			continue
		}
		// d bits leave buckets of about leaf rows: 2^d >= count/leaf.
		d := bits.Len64(uint64((p.count - 1) / leaf))
		if p.bits == 64 {
			// Rows of one key: ranges of indices, no more than indices.
			p.d = min(max(d, 1), radixBits, bits.Len64(uint64(p.ihi-p.ilo-1)))
			p.iw = (p.ihi - p.ilo + 1<<p.d - 1) >> p.d
		} else {
			p.d = min(max(d, 1), radixBits, 64-p.bits)
		}
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
	// The rows to collect are counted (a collecting probe's count is its
	// rows'), so they go into one slice of that size: workers gather a
	// task's rows (at most a chunk) and copy them in. Growing a slice per
	// worker and joining them held about 2.5 times the rows at the peak,
	// tens of MB at once for the collector to catch up with.
	var collect int64
	for _, p := range probes {
		if p.d == 0 {
			collect += p.count
		}
	}
	all := make([]classRow, collect)
	var filled atomic.Int64
	var overflow atomic.Bool
	states := s.newStates()
	for _, ws := range states {
		ws.hist = make([]int64, size)
		if collect > 0 {
			ws.rows = make([]classRow, 0, min(collect, s.tune.chunk))
		}
	}
	err := s.stream(ctx, states, func(ws *workerState, start int64, classes []uint32, keys []uint64) {
		defer func() {
			if len(ws.rows) == 0 {
				return
			}
			end := filled.Add(int64(len(ws.rows)))
			if end > collect {
				overflow.Store(true)
			} else {
				copy(all[end-int64(len(ws.rows)):end], ws.rows)
			}
			ws.rows = ws.rows[:0]
		}()
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
			if p.bits == 64 {
				// A key's rows told apart by index: its probes are
				// sorted by ilo, and k is the last of them.
				index := start + int64(i)
				for index < p.ilo && k > 0 && ps[k-1].bits == 64 && ps[k-1].prefix == key {
					k--
					p = &ps[k]
				}
				if key != p.prefix || index < p.ilo || index >= p.ihi {
					continue
				}
				if p.d == 0 {
					ws.rows = append(ws.rows, classRow{probe: first[c] + k, key: key, index: index})
				} else {
					ws.hist[p.off+(index-p.ilo)/p.iw]++
				}
				continue
			}
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
	if overflow.Load() || filled.Load() != collect {
		return nil, nil, fmt.Errorf("splitter: a pass collected %d rows where the previous passes counted %d: the stream changed between passes", filled.Load(), collect)
	}
	hist := states[0].hist
	for _, ws := range states[1:] {
		for b, c := range ws.hist {
			hist[b] += c
		}
	}
	rows := all
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
