package splitter_test

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// TestStratifiedBoundariesCollectMemory checks that a pass collecting rows
// allocates them once, 24 bytes a row, rather than growing a slice per
// worker and joining them (which took several times that, tens of MB at
// once at the default tuning: the peak of a stratified split of 2M rows).
// Every row is collected in the first key pass (Collect covers n).
func TestStratifiedBoundariesCollectMemory(t *testing.T) {
	const n = 400_000
	classes := make([]uint32, n)
	for i := range classes {
		classes[i] = uint32(i % 3)
	}
	sizes := [][]int64{{80_000, 53_334}, {80_000, 53_333}, {80_000, 53_333}}
	gen := newGen(t, 7)
	for _, tc := range []struct {
		name    string
		workers int
		chunk   int64
	}{
		{"one worker", 1, 1 << 14},
		{"two workers", 2, 1 << 14},
		{"eight workers, small tasks", 8, 1 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tu := splitter.ClassTuning{Hist: 1 << 18, Collect: n, Chunk: tc.chunk}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			if _, err := splitter.StratifiedBoundariesTuned(t.Context(), gen, classBatches(classes, []int{1 << 16}), n, sizes, tc.workers, tu); err != nil {
				t.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			// The rows, and per worker a task's keys and rows, with 1 MiB
			// for everything else (counters, probes, goroutines).
			bound := uint64(24*n + tc.workers*int(tc.chunk)*(8+24) + 1<<20)
			if got := after.TotalAlloc - before.TotalAlloc; got > bound {
				t.Errorf("allocated %d bytes, want at most %d (%.1f bytes a row)", got, bound, float64(got)/n)
			}
		})
	}
}

// TestStratifiedBoundariesStreamChanged checks that a class stream giving
// other classes on a later pass than on the counting one is an error, not
// a panic: the rows collected no longer match the counts.
func TestStratifiedBoundariesStreamChanged(t *testing.T) {
	const n = 1000
	for _, workers := range []int{1, 2} {
		passes := 0
		stream := func(yield func(int64, []uint32) bool) {
			classes := make([]uint32, n)
			if passes > 0 {
				for i := range classes {
					classes[i] = 1 // class 1 has no rows to split
				}
			}
			passes++
			yield(0, classes)
		}
		sizes := [][]int64{{500, 500}, {0, 0}}
		_, err := splitter.StratifiedBoundaries(t.Context(), newGen(t, 1), stream, n, sizes, workers, 0)
		if err == nil || !strings.Contains(err.Error(), "changed between passes") {
			t.Errorf("workers %d: err %v, want the stream changed between passes", workers, err)
		}
	}
}

// budgetInput is the input of the budget tests: n rows in 5 classes of
// unequal sizes, and order keys with ties (half the rows share one key, a
// tie the first boundary falls in), which also serve as group keys.
func budgetInput(n int) (classes []uint32, keys []uint64) {
	rng := rand.New(rand.NewPCG(3, 4))
	classes = make([]uint32, n)
	keys = make([]uint64, n)
	for i := range classes {
		classes[i] = uint32(min(rng.IntN(8), 4))
		keys[i] = rng.Uint64() >> rng.IntN(40)
		if rng.IntN(2) == 0 {
			keys[i] = 1 << 40
		}
	}
	return classes, keys
}

// budgetSearches runs each search on the budget input under memory bytes
// with workers goroutines and returns the results, and before every pass
// over the stream (and at the end) the bytes allocated so far.
func budgetSearches(t *testing.T, n int, memory int64, workers int) (results []any, allocs [][]uint64) {
	t.Helper()
	classes, keys := budgetInput(n)
	splits, err := splitter.ParseRatios("a=0.5,b=0.3,c=0.2")
	if err != nil {
		t.Fatal(err)
	}
	var counts [5]int64
	for _, c := range classes {
		counts[c]++
	}
	sizes, err := splitter.StratifiedSizes(counts[:], splits)
	if err != nil {
		t.Fatal(err)
	}
	rowSizes, err := splitter.Sizes(splits, int64(n))
	if err != nil {
		t.Fatal(err)
	}
	var marks []uint64
	mark := func() {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		marks = append(marks, ms.TotalAlloc)
	}
	cls, ks := classBatches(classes, []int{1 << 16}), keyBatches(keys, []int{1 << 16})
	classStream := func(yield func(int64, []uint32) bool) { mark(); cls(yield) }
	keyStream := func(yield func(int64, []uint64) bool) { mark(); ks(yield) }
	for _, search := range []func() (any, error){
		func() (any, error) {
			return splitter.StratifiedBoundaries(t.Context(), newGen(t, 5), classStream, int64(n), sizes, workers, memory)
		},
		func() (any, error) {
			return splitter.OrderBoundaries(t.Context(), keyStream, int64(n), rowSizes, workers, memory)
		},
		func() (any, error) {
			return splitter.RowBalancedThresholds(t.Context(), keyStream, int64(n), splits, workers, memory)
		},
	} {
		marks = nil
		runtime.GC()
		mark()
		got, err := search()
		if err != nil {
			t.Fatalf("memory %d, workers %d: %v", memory, workers, err)
		}
		mark()
		results = append(results, got)
		allocs = append(allocs, marks)
	}
	return results, allocs
}

// TestSearchMemoryResult checks that the memory budget of the radix
// selects changes their work, never their result: the least budget, a
// middle one and none give the same boundaries, for one and two workers.
func TestSearchMemoryResult(t *testing.T) {
	const n = 300_000
	least := splitter.MinSearchMemory(5, 5*3)
	want, _ := budgetSearches(t, n, 0, 2)
	for _, memory := range []int64{least, 1 << 20, 4 << 20, 64 << 20} {
		for _, workers := range []int{1, 2} {
			got, _ := budgetSearches(t, n, memory, workers)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("memory %d, workers %d: results differ from the unbounded search's\n got %v\nwant %v", memory, workers, got, want)
			}
		}
	}
}

// TestSearchMemoryBound checks that no pass of a search under a small
// budget allocates more than the budget: the bytes allocated between the
// start of one pass over the stream and the next (a pass's scratch is
// made as it starts) stay within it. The fixed tuning of before took 24
// bytes a collected row up to 2^21 rows, 7 MB here at once, and the rows
// of a tied key were collected whole whatever the tuning (3.6 MB here).
func TestSearchMemoryBound(t *testing.T) {
	const n = 300_000
	for _, memory := range []int64{1 << 20, 2 << 20} {
		_, allocs := budgetSearches(t, n, memory, 2)
		for s, marks := range allocs {
			for p := 1; p < len(marks); p++ {
				// 64 KiB for what the test's own stream and the runtime take.
				if got := marks[p] - marks[p-1]; got > uint64(memory)+64<<10 {
					t.Errorf("memory %d KiB, search %d: %d KiB allocated between passes %d and %d", memory>>10, s, got>>10, p-1, p)
				}
			}
		}
	}
}

// TestSearchMemoryTooSmall checks that a budget below the least tuning is
// refused with ErrTooLarge rather than exceeded.
func TestSearchMemoryTooSmall(t *testing.T) {
	sizes := [][]int64{{600, 400}, {300, 200}}
	classes := make([]uint32, 1500)
	for i := range classes {
		classes[i] = uint32(i % 3 / 2)
	}
	memory := splitter.MinSearchMemory(2, 2) - 1
	_, err := splitter.StratifiedBoundaries(t.Context(), newGen(t, 1), classBatches(classes, []int{100}), 1500, sizes, 2, memory)
	if !errors.Is(err, splitter.ErrTooLarge) {
		t.Errorf("StratifiedBoundaries under %d bytes: err %v, want ErrTooLarge", memory, err)
	}
	keys := make([]uint64, 1500)
	memory = splitter.MinSearchMemory(1, 1) - 1
	if _, err := splitter.OrderBoundaries(t.Context(), keyBatches(keys, []int{100}), 1500, []int64{1000, 500}, 2, memory); !errors.Is(err, splitter.ErrTooLarge) {
		t.Errorf("OrderBoundaries under %d bytes: err %v, want ErrTooLarge", memory, err)
	}
	splits := []splitter.Split{{Name: "a", Ratio: 0.5}, {Name: "b", Ratio: 0.5}}
	if _, err := splitter.RowBalancedThresholds(t.Context(), keyBatches(keys, []int{100}), 1500, splits, 2, memory); !errors.Is(err, splitter.ErrTooLarge) {
		t.Errorf("RowBalancedThresholds under %d bytes: err %v, want ErrTooLarge", memory, err)
	}
}
