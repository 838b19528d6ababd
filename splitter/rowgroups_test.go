package splitter_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// bruteRowBalanced returns every row's split id by the definition: a group
// goes to split j iff the rank of its first row in (key, i) order, the
// number of rows with a smaller key, lies in [c(j-1), c(j)).
func bruteRowBalanced(keys []uint64, sizes []int64) []uint8 {
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	ids := make([]uint8, len(keys))
	for i, k := range keys {
		first, _ := slices.BinarySearch(sorted, k)
		var c int64
		j := 0
		for ; j < len(sizes); j++ {
			c += sizes[j]
			if int64(first) < c {
				break
			}
		}
		ids[i] = uint8(j)
	}
	return ids
}

// TestRowBalancedBrute checks RowBalancedThresholds and ThresholdAssigner
// against the definition on random group layouts (few and many groups,
// keys at 0 and 2^64-1), split lists and batchings, for workers 1, 2, 3, 8
// and tunings that reach every path of the select.
func TestRowBalancedBrute(t *testing.T) {
	rng := testRand(t)
	tunings := []splitter.ClassTuning{
		splitter.DefaultClassTuning,
		{Hist: 4, Collect: 8, Chunk: 3},
		{Hist: 1, Collect: 1, Chunk: 1},
	}
	lists := []string{"a=0.5,b=0.5", "train=0.8,test=0.2", "a=0.6,b=0.3,c=0.1", "s=1", "a=0.2,b=0.2,c=0.2,d=0.2,e=0.2"}
	for tcase := range 80 {
		n := rng.IntN(2000)
		if tcase%4 == 0 {
			n = rng.IntN(12)
		}
		groups := 1 + rng.IntN(max(1, n))
		universe := make([]uint64, groups)
		for g := range universe {
			switch rng.IntN(8) {
			case 0:
				universe[g] = 0
			case 1:
				universe[g] = math.MaxUint64
			case 2:
				universe[g] = math.MaxUint64 - 1
			default:
				universe[g] = rng.Uint64()
			}
		}
		keys := make([]uint64, n)
		for i := range keys {
			if rng.IntN(3) == 0 { // a few large groups
				keys[i] = universe[rng.IntN(min(3, groups))]
			} else {
				keys[i] = universe[rng.IntN(groups)]
			}
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
		sizes, err := splitter.Sizes(splits, int64(n))
		if err != nil {
			t.Fatal(err)
		}
		want := bruteRowBalanced(keys, sizes)
		for _, workers := range []int{1, 2, 3, 8} {
			tu := tunings[rng.IntN(len(tunings))]
			cuts := randomCuts(rng, n)
			upper, err := splitter.RowBalancedThresholdsTuned(t.Context(), keyBatches(keys, cuts), int64(n), splits, workers, tu)
			if err != nil {
				t.Fatalf("case %d (n %d, sizes %v, workers %d): %v", tcase, n, sizes, workers, err)
			}
			ids := make([]uint8, n)
			splitter.NewThresholdAssigner(upper).Assign(keys, 0, ids)
			if !slices.Equal(ids, want) {
				t.Fatalf("case %d (n %d, %d groups, sizes %v, workers %d, tuning %+v, cuts %v): thresholds %v give ids that differ from the definition",
					tcase, n, groups, sizes, workers, tu, cuts, upper)
			}
		}
	}
}

// TestRowBalancedErrors checks bad streams and split lists.
func TestRowBalancedErrors(t *testing.T) {
	keys := []uint64{5, 1, 5, 9}
	ok, _ := splitter.ParseRatios("a=0.5,b=0.5")
	tests := []struct {
		name   string
		stream splitter.KeyBatches
		n      int64
		splits []splitter.Split
		usage  bool
		cancel bool
	}{
		{"short stream", keyBatches(keys[:3], []int{2}), 4, ok, false, false},
		{"long stream", keyBatches(keys, []int{2}), 3, ok, false, false},
		{"out of order", func(yield func(int64, []uint64) bool) { _ = yield(1, keys) }, 4, ok, false, false},
		{"short stream, one split", keyBatches(keys[:3], []int{2}), 4, []splitter.Split{{Name: "all", Ratio: 1}}, false, false},
		{"counts beyond n", keyBatches(keys, []int{4}), 4, []splitter.Split{{Name: "a", Rows: 5}}, true, false},
		{"no splits", keyBatches(keys, []int{4}), 4, nil, true, false},
		{"cancelled", keyBatches(keys, []int{1}), 4, ok, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			if tc.cancel {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			_, err := splitter.RowBalancedThresholds(ctx, tc.stream, tc.n, tc.splits, 2, 0)
			switch {
			case err == nil:
				t.Fatal("no error")
			case tc.usage != errors.Is(err, splitter.ErrUsage):
				t.Fatalf("error %v: wraps ErrUsage = %v, want %v", err, !tc.usage, tc.usage)
			case tc.cancel && !errors.Is(err, context.Canceled):
				t.Fatalf("error %v, want context.Canceled", err)
			}
		})
	}
}

// TestThresholdAssigner checks ids against the definition: the number of
// thresholds at or below the key.
func TestThresholdAssigner(t *testing.T) {
	tests := []struct {
		upper []uint64
		keys  []uint64
		want  []uint8
	}{
		{nil, []uint64{0, 7, math.MaxUint64}, []uint8{0, 0, 0}},
		{[]uint64{5}, []uint64{0, 4, 5, math.MaxUint64}, []uint8{0, 0, 1, 1}},
		{[]uint64{5, 5, 9}, []uint64{4, 5, 8, 9, 10}, []uint8{0, 2, 2, 3, 3}},
		{[]uint64{0, math.MaxUint64}, []uint64{0, 1, math.MaxUint64}, []uint8{1, 1, 2}},
	}
	for _, tc := range tests {
		out := make([]uint8, len(tc.keys))
		splitter.NewThresholdAssigner(tc.upper).Assign(tc.keys, 123, out)
		if !slices.Equal(out, tc.want) {
			t.Errorf("thresholds %v: keys %v get %v, want %v", tc.upper, tc.keys, out, tc.want)
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("NewThresholdAssigner accepted decreasing thresholds")
		}
	}()
	splitter.NewThresholdAssigner([]uint64{9, 5})
}
