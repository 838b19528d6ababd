package splitter_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// classBatches returns the stream of classes cut at the given batch
// lengths (cycled; a zero length makes an empty batch).
func classBatches(classes []uint32, cuts []int) splitter.ClassBatches {
	return func(yield func(int64, []uint32) bool) {
		for i, c := 0, 0; i < len(classes); c++ {
			size := min(cuts[c%len(cuts)], len(classes)-i)
			if !yield(int64(i), classes[i:i+size]) {
				return
			}
			i += size
		}
	}
}

// randomCuts returns batch lengths: ones, a fixed size, or random ones
// with empty batches.
func randomCuts(rng interface{ IntN(int) int }, n int) []int {
	switch rng.IntN(4) {
	case 0:
		return []int{1}
	case 1:
		return []int{max(1, n)}
	case 2:
		return []int{1 + rng.IntN(50)}
	}
	cuts := make([]int, 1+rng.IntN(10))
	for i := range cuts {
		cuts[i] = rng.IntN(200)
	}
	cuts[0] = max(cuts[0], 1)
	return cuts
}

// bruteStratified returns the boundaries of every class and the split id
// of every row by sorting the rows of each class in canonical order.
func bruteStratified(gen *prng.PCG64, classes []uint32, m int, sizes [][]int64) ([][]splitter.Boundary, []uint8) {
	_, rows := sortedRows(gen, int64(len(classes)))
	perClass := make([][]row, m)
	for _, r := range rows {
		c := classes[r.index]
		perClass[c] = append(perClass[c], r)
	}
	bounds := make([][]splitter.Boundary, m)
	ids := make([]uint8, len(classes))
	for c := range m {
		bounds[c] = bruteBoundaries(perClass[c], sizes[c])
		r := 0
		for j, s := range sizes[c] {
			for range s {
				ids[perClass[c][r].index] = uint8(j)
				r++
			}
		}
		for ; r < len(perClass[c]); r++ {
			ids[perClass[c][r].index] = uint8(len(sizes[c]))
		}
	}
	return bounds, ids
}

// randomClasses returns n class ids over m classes in one of several
// layouts: uniform, one huge class with tiny ones, a rare class 0 (like
// null), or every row its own class.
func randomClasses(rng interface {
	IntN(int) int
	Float64() float64
}, n int) ([]uint32, int) {
	layout := rng.IntN(4)
	m := 1 + rng.IntN(6)
	if layout == 3 {
		m = max(n, 1)
	}
	classes := make([]uint32, n)
	for i := range classes {
		switch layout {
		case 0:
			classes[i] = uint32(rng.IntN(m))
		case 1:
			if rng.Float64() < 0.9 {
				classes[i] = uint32(m - 1)
			} else {
				classes[i] = uint32(rng.IntN(m))
			}
		case 2:
			if rng.Float64() < 0.02 {
				classes[i] = 0
			} else {
				classes[i] = uint32(rng.IntN(m))
			}
		case 3:
			classes[i] = uint32(i)
		}
	}
	return classes, m
}

// TestStratifiedBoundariesBrute checks StratifiedBoundaries and the
// StratifiedAssigner against sorting each class, on random datasets, split
// lists and batchings, for workers 1, 2, 3 and 8 and tunings that force
// every path of the select.
func TestStratifiedBoundariesBrute(t *testing.T) {
	rng := testRand(t)
	tunings := []splitter.ClassTuning{
		splitter.DefaultClassTuning,
		{Hist: 4, Collect: 8, Chunk: 3},
		{Hist: 64, Collect: 100, Chunk: 17},
		{Hist: 1, Collect: 1, Chunk: 1},
	}
	lists := []string{"a=0.5,b=0.5", "train=0.8,test=0.2", "a=0.6,b=0.3,c=0.1", "s=1"}
	cases := 60
	if testing.Short() {
		cases = 15
	}
	for tcase := range cases {
		n := rng.IntN(3000)
		if tcase%5 == 0 {
			n = rng.IntN(20)
		}
		classes, m := randomClasses(rng, n)
		counts := make([]int64, m)
		for _, c := range classes {
			counts[c]++
		}
		var splits []splitter.Split
		var err error
		if rng.IntN(3) == 0 && n > 2 {
			splits, err = splitter.ParseSizes(fmt.Sprintf("x=%d,y=%d", 1+rng.IntN(n/2), 1+rng.IntN(n/2)))
		} else {
			splits, err = splitter.ParseRatios(lists[rng.IntN(len(lists))])
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes, err := splitter.StratifiedSizes(counts, splits)
		if err != nil {
			t.Fatal(err)
		}
		seed := int64(rng.IntN(1000))
		gen := newGen(t, seed)
		wantB, wantIDs := bruteStratified(gen, classes, m, sizes)
		for _, workers := range []int{1, 2, 3, 8} {
			tu := tunings[rng.IntN(len(tunings))]
			cuts := randomCuts(rng, n)
			got, err := splitter.StratifiedBoundariesTuned(t.Context(), gen, classBatches(classes, cuts), int64(n), sizes, workers, tu)
			if err != nil {
				t.Fatalf("case %d (seed %d, n %d, %d classes, workers %d, tuning %+v): %v", tcase, seed, n, m, workers, tu, err)
			}
			for c := range m {
				if !slices.Equal(got[c], wantB[c]) {
					t.Fatalf("case %d (seed %d, n %d, %d classes, sizes %v, workers %d, tuning %+v, cuts %v): class %d boundaries %v, want %v",
						tcase, seed, n, m, sizes[c], workers, tu, cuts, c, got[c], wantB[c])
				}
			}
			a := splitter.NewStratifiedAssigner(got, len(splits))
			ids := make([]uint8, n)
			g := *gen
			keys := make([]uint64, n)
			g.Fill(keys)
			for i, cut := 0, 0; i < n; cut++ {
				size := min(max(cuts[cut%len(cuts)], 1), n-i)
				a.Assign(classes[i:i+size], keys[i:i+size], int64(i), ids[i:i+size])
				i += size
			}
			if !slices.Equal(ids, wantIDs) {
				t.Fatalf("case %d (seed %d, n %d): Assign ids differ from the brute force", tcase, seed, n)
			}
		}
	}
}

// TestStratifiedBoundariesErrors checks bad streams and sizes.
func TestStratifiedBoundariesErrors(t *testing.T) {
	gen := newGen(t, 1)
	classes := []uint32{0, 1, 0, 1, 1}
	good := [][]int64{{1, 1}, {2, 1}}
	tests := []struct {
		name    string
		stream  splitter.ClassBatches
		n       int64
		sizes   [][]int64
		usage   bool
		context bool
	}{
		{"class beyond", classBatches([]uint32{0, 2, 0, 1, 1}, []int{2}), 5, good, false, false},
		{"short stream", classBatches(classes[:4], []int{2}), 5, good, false, false},
		{"long stream", classBatches(classes, []int{2}), 4, good, false, false},
		{"out of order", func(yield func(int64, []uint32) bool) {
			_ = yield(0, classes[:2]) && yield(3, classes[3:])
		}, 5, good, false, false},
		{"sizes beyond class", classBatches(classes, []int{5}), 5, [][]int64{{2, 1}, {2, 1}}, true, false},
		{"negative size", classBatches(classes, []int{5}), 5, [][]int64{{-1, 1}, {2, 1}}, true, false},
		{"ragged sizes", classBatches(classes, []int{5}), 5, [][]int64{{1, 1}, {2}}, true, false},
		{"no classes", classBatches(classes, []int{5}), 5, nil, true, false},
		{"cancelled", classBatches(classes, []int{1}), 5, good, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			if tc.context {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			_, err := splitter.StratifiedBoundaries(ctx, gen, tc.stream, tc.n, tc.sizes, 2, 0)
			switch {
			case err == nil:
				t.Fatal("no error")
			case tc.usage != errors.Is(err, splitter.ErrUsage):
				t.Fatalf("error %v: wraps ErrUsage = %v, want %v", err, !tc.usage, tc.usage)
			case tc.context && !errors.Is(err, context.Canceled):
				t.Fatalf("error %v, want context.Canceled", err)
			}
		})
	}
}
