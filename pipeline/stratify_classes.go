package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/splitdata/splitdata/internal/scratch"
	"golang.org/x/sync/errgroup"
)

// The class table of a stratified job is read under a bound on its classes
// (splitter.MaxStratifyClasses, or MaxStratifiedGroupClasses with --group)
// and on their bytes (splitter.MaxStratifyClassBytes), checked as each new
// class appears, so that an id column passed as a class column stops the
// read instead of filling memory. Workers number classes through one shared
// table, each with a cache of the names it has already looked up there, so
// the table's lock is taken only for names new to the worker. The caches
// share one bound, classCacheEntries names in all (a worker's cache is
// emptied when it holds its share), and the classes are counted into at
// most classCountEntries counts in all (count arrays the workers take in
// turn), so that memory is the shared table plus fixed bounds, whatever
// the number of workers: never workers x classes, nor units x classes.

// classCacheEntries is the most names the workers' caches hold together:
// each holds at most classCacheEntries / workers (1,024 at 256 workers;
// every class up to 4 workers), about 15 MiB of map in all at most, the
// names themselves being the shared table's strings.
const classCacheEntries = 1 << 18

// classCountEntries is the most per-class counts the count pass holds
// together: min(workers, classCountEntries / classes) arrays of one int64
// per class (16 arrays at 65,536 classes, 8 MiB), at least one.
const classCountEntries = 1 << 20

// classCacheBudget and classCountBudget are classCacheEntries and
// classCountEntries, which a test lowers to reach the bounds on small
// inputs.
var classCacheBudget, classCountBudget = classCacheEntries, classCountEntries

// classLimits bounds the classes of a --stratify column.
type classLimits struct {
	what    string // the flag, for the error: `--stratify "label"`
	classes int    // most distinct values
	bytes   int64  // most canonical bytes of the distinct values together
	hint    string // what to use instead, for the error
}

// errManyClasses and errClassBytes are the class bounds passed;
// readClasses words them.
var (
	errManyClasses = errors.New("too many classes")
	errClassBytes  = errors.New("too many class bytes")
)

// classNames numbers the classes of a column in order of first lookup, a
// number per distinct name, under the limits. Safe for concurrent use.
type classNames struct {
	mu    sync.RWMutex
	ids   map[string]uint32
	names []string
	bytes int64
	lim   classLimits
}

// id returns the number of name and the table's copy of it, numbering it
// if it is new; errManyClasses or errClassBytes if that would pass a limit.
// A known name takes the read lock only: with more classes than the
// workers' caches hold, every worker looks names up here.
func (t *classNames) id(name []byte) (uint32, string, error) {
	t.mu.RLock()
	id, ok := t.ids[string(name)]
	var s string
	if ok {
		s = t.names[id]
	}
	t.mu.RUnlock()
	if ok {
		return id, s, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if id, ok := t.ids[string(name)]; ok {
		return id, t.names[id], nil
	}
	if len(t.names) >= t.lim.classes {
		return 0, "", errManyClasses
	}
	if t.bytes+int64(len(name)) > t.lim.bytes {
		return 0, "", errClassBytes
	}
	id = uint32(len(t.names))
	s = string(name)
	t.ids[s] = id
	t.names = append(t.names, s)
	t.bytes += int64(len(name))
	return id, s, nil
}

// classWorker is one worker's state while classes are read: its cache of
// the shared numbers, at most limit names, and its buffers. At most one
// goroutine holds it at a time.
type classWorker struct {
	cache   map[string]uint32
	limit   int
	peak    int // the most names the cache held, for tests
	buf     []uint32
	scratch []uint32
}

// remember caches the shared number id of name (the table's copy), first
// emptying the cache if it holds its share: the names met next, those of
// the unit being read, fill it again. clear keeps the map's memory, which
// is that of limit names at most.
func (w *classWorker) remember(name string, id uint32) {
	if len(w.cache) >= w.limit {
		clear(w.cache)
	}
	w.cache[name] = id
	w.peak = max(w.peak, len(w.cache))
}

// classReadStats is what a class read held at most, for tests of its
// bounds: the workers, each worker cache's share and the most names any
// held, and the count arrays of the count pass.
type classReadStats struct {
	workers, cacheLimit, cachePeak int
	classes, countArrays           int
}

// testHookClassRead, when set by a test, receives each class read's
// stats.
var testHookClassRead func(classReadStats)

// readClasses reads column col of every unit of the plan and returns each
// row's class, kept in memory up to limit bytes (4 per row), else in a
// temporary file in dir. Units are read on up to workers goroutines; class
// numbers depend only on the values. More classes than lim allows is a
// usage error, returned as soon as the read meets the first class past the
// bound. The caller closes the table.
func readClasses(ctx context.Context, p *plan, col, workers int, limit int64, dir scratch.Dir, lim classLimits, progress Progress) (_ *classTable, err error) {
	ids, err := newRowTable[uint32](p.rows, limit, dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			ids.close()
		}
	}()
	workers = max(workers, 1)
	cacheLimit := max(classCacheBudget/workers, 1)
	pool := make(chan *classWorker, workers)
	for range workers {
		pool <- &classWorker{cache: map[string]uint32{}, limit: cacheLimit}
	}
	// First every row gets the shared number of its class, in whatever
	// order the workers met the classes; then, with every class known and
	// sorted, each number is rewritten to the class's rank and counted.
	table := &classNames{ids: map[string]uint32{}, lim: lim}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, u := range p.units {
		g.Go(func() error {
			w := <-pool
			defer func() { pool <- w }()
			out := growIDs(&w.buf, int(u.rows))
			uctx, cancel := context.WithCancelCause(gctx)
			defer cancel(nil)
			var failed error
			err := readCanonical(uctx, p, u, col, func(k int, canonical []byte) {
				if failed != nil {
					return
				}
				id, ok := w.cache[string(canonical)]
				if !ok {
					var name string
					id, name, failed = table.id(canonical)
					if failed != nil {
						cancel(failed)
						return
					}
					w.remember(name, id)
				}
				out[k] = id
			})
			if failed != nil {
				return failed
			}
			if err != nil {
				return err
			}
			progress.Add(u.rows)
			return ids.write(u.start, out)
		})
	}
	if err := g.Wait(); err != nil {
		switch {
		case errors.Is(err, errManyClasses):
			return nil, fmt.Errorf("%w: %s: more than %d distinct values; --stratify wants a class column%s", ErrUsage, lim.what, lim.classes, lim.hint)
		case errors.Is(err, errClassBytes):
			return nil, fmt.Errorf("%w: %s: its distinct values take more than %d MiB; --stratify wants a class column%s", ErrUsage, lim.what, lim.bytes>>20, lim.hint)
		}
		return nil, err
	}
	names := table.names
	order := make([]uint32, len(names))
	for i := range order {
		order[i] = uint32(i)
	}
	slices.SortFunc(order, func(a, b uint32) int { return strings.Compare(names[a], names[b]) })
	rank := make([]uint32, len(names))
	sorted := make([]string, len(names))
	for r, id := range order {
		rank[id] = uint32(r)
		sorted[r] = names[id]
	}
	order, table = nil, nil
	// The caches are done with: their memory goes before the counts'.
	stats := classReadStats{workers: workers, cacheLimit: cacheLimit, classes: len(sorted)}
	for range workers {
		w := <-pool
		stats.cachePeak = max(stats.cachePeak, w.peak)
		w.cache = nil
		pool <- w
	}
	// Count arrays, allocated as first taken; a worker holds one only
	// while it counts a unit's rows, which takes less than reading and
	// writing them, so fewer arrays than workers seldom keep one waiting.
	arrays := min(workers, max(classCountBudget/max(len(sorted), 1), 1))
	counts := make(chan []int64, arrays)
	for range arrays {
		counts <- nil
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for _, u := range p.units {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			w := <-pool
			defer func() { pool <- w }()
			in, err := ids.read(u.start, int(u.rows), w.scratch)
			if err != nil {
				return err
			}
			if ids.mem == nil {
				w.scratch = in
			}
			out := growIDs(&w.buf, len(in))
			for k, id := range in {
				out[k] = rank[id]
			}
			n := <-counts
			if n == nil {
				n = make([]int64, len(sorted))
			}
			for _, c := range out {
				n[c]++
			}
			counts <- n
			return ids.write(u.start, out)
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	ct := &classTable{ids: ids, counts: make([]int64, len(sorted)), names: sorted}
	close(counts)
	for n := range counts {
		if n == nil {
			continue
		}
		stats.countArrays++
		for c, x := range n {
			ct.counts[c] += x
		}
	}
	if testHookClassRead != nil {
		testHookClassRead(stats)
	}
	return ct, nil
}

// growIDs returns (*buf)[:n], reallocating *buf if it is shorter.
func growIDs(buf *[]uint32, n int) []uint32 {
	if cap(*buf) < n {
		*buf = make([]uint32, n)
	}
	return (*buf)[:n]
}
