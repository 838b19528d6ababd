package splitter_test

import (
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
		_, err := splitter.StratifiedBoundaries(t.Context(), newGen(t, 1), stream, n, sizes, workers)
		if err == nil || !strings.Contains(err.Error(), "changed between passes") {
			t.Errorf("workers %d: err %v, want the stream changed between passes", workers, err)
		}
	}
}
