package splitter

import (
	"cmp"
	"context"
	"math"
	"math/big"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

// TestWindowPassFinds checks that with the default width the window pass
// alone finds the targets of typical splits, so that the search makes one
// pass over the keys rather than two, and that what it finds is the row of
// each rank.
func TestWindowPassFinds(t *testing.T) {
	const n = 200_000
	for seed := range int64(20) {
		gen, err := prng.NewPCG64(big.NewInt(seed))
		if err != nil {
			t.Fatal(err)
		}
		keys := make([]uint64, n)
		g := *gen
		g.Fill(keys)
		rows := make([]candidate, n)
		for i, k := range keys {
			rows[i] = candidate{key: k, index: int64(i)}
		}
		slices.SortFunc(rows, func(a, b candidate) int {
			return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.index, b.index))
		})
		for _, ranks := range [][]int64{{n * 8 / 10}, {n * 8 / 10, n * 9 / 10}, {0, 1, n / 2, n - 1}} {
			ts := make([]target, len(ranks))
			for k, r := range ranks {
				ts[k] = target{rank: r, count: n}
			}
			s := &selector{gen: gen, n: n, workers: 2, tune: defaultTuning}
			if err := s.windowPass(context.Background(), ts, windowSigmas); err != nil {
				t.Fatal(err)
			}
			for _, tg := range ts {
				want := Boundary{Key: rows[tg.rank].key, Index: rows[tg.rank].index}
				if !tg.done || tg.found != want {
					t.Errorf("seed %d, rank %d (of %v): done %v, found %v, want %v", seed, tg.rank, ranks, tg.done, tg.found, want)
				}
			}
		}
	}
}

// TestWindowPassSkips checks that the window pass leaves the targets alone
// when they are more than windowTargets or their windows too wide.
func TestWindowPassSkips(t *testing.T) {
	gen, err := prng.NewPCG64(big.NewInt(1))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		n     int64
		ranks int
	}{
		{"too many targets", 100_000, windowTargets + 1},
		{"windows too wide", 1 << 40, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ts := make([]target, tc.ranks)
			for k := range ts {
				ts[k] = target{rank: tc.n / int64(tc.ranks+1) * int64(k+1), count: tc.n}
			}
			s := &selector{gen: gen, n: tc.n, workers: 1, tune: defaultTuning}
			if err := s.windowPass(context.Background(), ts, windowSigmas); err != nil {
				t.Fatal(err)
			}
			for _, tg := range ts {
				if tg.done {
					t.Errorf("target of rank %d done; the window pass should not have run", tg.rank)
				}
			}
		})
	}
}

// TestWindowOf checks the windows at the ends of the key range, which must
// not wrap around.
func TestWindowOf(t *testing.T) {
	tests := []struct {
		rank, n int64
		lo, hi  uint64 // the window must hold [lo, hi]
	}{
		{0, 1000, 0, 1 << 58},
		{999, 1000, math.MaxUint64 - 1<<58, math.MaxUint64},
		{500, 1000, 1 << 63, 1 << 63},
		{0, 1, 0, math.MaxUint64},
	}
	for _, tc := range tests {
		w, rows := windowOf(tc.rank, tc.n, windowSigmas)
		if tc.lo < w.lo || tc.hi-w.lo > w.span || w.lo+w.span < w.lo {
			t.Errorf("windowOf(%d, %d) = [%d, +%d], want it to hold [%d, %d] without wrapping", tc.rank, tc.n, w.lo, w.span, tc.lo, tc.hi)
		}
		if rows <= 0 {
			t.Errorf("windowOf(%d, %d) expects %v rows", tc.rank, tc.n, rows)
		}
	}
}
