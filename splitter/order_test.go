package splitter_test

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// bruteOrder returns every row's split id by the definition: rows ranked
// by (order key, i), split j takes the ranks [c(j-1), c(j)), rows past the
// last size get len(sizes).
func bruteOrder(keys []uint64, sizes []int64) []uint8 {
	rows := make([]int, len(keys))
	for i := range rows {
		rows[i] = i
	}
	slices.SortFunc(rows, func(a, b int) int { return cmp.Or(cmp.Compare(keys[a], keys[b]), cmp.Compare(a, b)) })
	ids := make([]uint8, len(keys))
	for rank, i := range rows {
		var c int64
		j := 0
		for ; j < len(sizes); j++ {
			c += sizes[j]
			if int64(rank) < c {
				break
			}
		}
		ids[i] = uint8(j)
	}
	return ids
}

// TestOrderBoundariesBrute checks OrderBoundaries and the exact assigner
// against the definition on random keys with many ties (keys at 0 and
// 2^64-1 included), split lists with and without unassigned rows, and
// batchings, for workers 1, 2, 3, 8 and tunings reaching every path.
func TestOrderBoundariesBrute(t *testing.T) {
	rng := testRand(t)
	tunings := []splitter.ClassTuning{
		splitter.DefaultClassTuning,
		{Hist: 4, Collect: 8, Chunk: 3},
		{Hist: 1, Collect: 1, Chunk: 1},
	}
	for tcase := range 120 {
		n := rng.IntN(3000)
		if tcase%4 == 0 {
			n = rng.IntN(10)
		}
		distinct := 1 + rng.IntN(max(1, n))
		universe := make([]uint64, distinct)
		for d := range universe {
			switch rng.IntN(6) {
			case 0:
				universe[d] = 0
			case 1:
				universe[d] = math.MaxUint64
			default:
				universe[d] = rng.Uint64() >> rng.IntN(64)
			}
		}
		keys := make([]uint64, n)
		for i := range keys {
			keys[i] = universe[rng.IntN(distinct)]
		}
		var sizes []int64
		left := int64(n)
		for j := range 1 + rng.IntN(5) {
			s := int64(0)
			if left > 0 {
				s = rng.Int64N(left + 1)
			}
			if j == 0 && rng.IntN(2) == 0 {
				s = left // everything in the first
			}
			sizes = append(sizes, s)
			left -= s
		}
		if rng.IntN(2) == 0 {
			sizes[len(sizes)-1] += left // every row assigned
		}
		want := bruteOrder(keys, sizes)
		for _, workers := range []int{1, 2, 3, 8} {
			tu := tunings[rng.IntN(len(tunings))]
			cuts := randomCuts(rng, n)
			b, err := splitter.OrderBoundariesTuned(t.Context(), keyBatches(keys, cuts), int64(n), sizes, workers, tu)
			if err != nil {
				t.Fatalf("case %d (n %d, sizes %v, workers %d): %v", tcase, n, sizes, workers, err)
			}
			ids := make([]uint8, n)
			splitter.NewExactAssigner(b, len(sizes)).Assign(keys, 0, ids)
			if !slices.Equal(ids, want) {
				t.Fatalf("case %d (n %d, %d distinct, sizes %v, workers %d, tuning %+v, cuts %v): boundaries %v differ from the definition",
					tcase, n, distinct, sizes, workers, tu, cuts, b)
			}
		}
		// Row order: every key 0.
		zero := make([]uint64, n)
		want = bruteOrder(zero, sizes)
		rb, err := splitter.RowOrderBoundaries(int64(n), sizes)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]uint8, n)
		splitter.NewExactAssigner(rb, len(sizes)).Assign(zero, 0, ids)
		if !slices.Equal(ids, want) {
			t.Fatalf("case %d: row order boundaries %v differ from the definition", tcase, rb)
		}
		for start := 0; start < n; {
			size := min(n-start, 1+rng.IntN(50))
			got := make([]uint8, size)
			splitter.SequentialAssign(rb, int64(start), got)
			if !slices.Equal(got, want[start:start+size]) {
				t.Fatalf("case %d: SequentialAssign of rows %d+%d: %v, want %v", tcase, start, size, got, want[start:start+size])
			}
			start += size
		}
	}
}

// TestOrderBoundariesErrors checks the refusals.
func TestOrderBoundariesErrors(t *testing.T) {
	keys := []uint64{3, 1, 2}
	for _, tc := range []struct {
		name  string
		n     int64
		sizes []int64
	}{
		{"no splits", 3, nil},
		{"negative size", 3, []int64{-1, 4}},
		{"over n", 3, []int64{2, 2}},
		{"short stream", 4, []int64{2, 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := splitter.OrderBoundaries(t.Context(), keyBatches(keys, []int{2}), tc.n, tc.sizes, 2, 0); err == nil {
				t.Fatalf("OrderBoundaries(n %d, sizes %v): no error", tc.n, tc.sizes)
			}
		})
	}
}

// TestOrderKeys checks that the order keys order values as numbers do,
// with the documented exceptions (-0 is +0, NaN after +Inf, nulls at an end).
func TestOrderKeys(t *testing.T) {
	ints := []int64{math.MinInt64, -1 << 40, -2, -1, 0, 1, 2, 1 << 40, math.MaxInt64}
	for i := 1; i < len(ints); i++ {
		if a, b := splitter.OrderKeyInt(ints[i-1]), splitter.OrderKeyInt(ints[i]); a >= b {
			t.Errorf("OrderKeyInt(%d) = %d, not below OrderKeyInt(%d) = %d", ints[i-1], a, ints[i], b)
		}
	}
	floats := []float64{math.Inf(-1), -math.MaxFloat64, -1, -math.SmallestNonzeroFloat64, 0, math.SmallestNonzeroFloat64, 1, math.MaxFloat64, math.Inf(1), math.NaN()}
	for i := 1; i < len(floats); i++ {
		if a, b := splitter.OrderKeyFloat(floats[i-1]), splitter.OrderKeyFloat(floats[i]); a >= b {
			t.Errorf("OrderKeyFloat(%v) = %#x, not below OrderKeyFloat(%v) = %#x", floats[i-1], a, floats[i], b)
		}
	}
	for _, tc := range []struct {
		name string
		a, b float64
	}{
		{"-0 and +0", math.Copysign(0, -1), 0},
		{"two NaNs", math.NaN(), math.Float64frombits(0xfff0000000000001)},
	} {
		if a, b := splitter.OrderKeyFloat(tc.a), splitter.OrderKeyFloat(tc.b); a != b {
			t.Errorf("%s: order keys %#x and %#x differ", tc.name, a, b)
		}
	}
	for _, f := range floats {
		if k := splitter.OrderKeyFloat(f); k == splitter.NullOrderKey(splitter.NullsFirst) || k == splitter.NullOrderKey(splitter.NullsLast) {
			t.Errorf("OrderKeyFloat(%v) = %#x, a null's key", f, k)
		}
	}
	for _, nulls := range []string{"", "first", "last"} {
		if err := splitter.ValidateNulls(nulls); err != nil {
			t.Errorf("ValidateNulls(%q): %v", nulls, err)
		}
	}
	if err := splitter.ValidateNulls("middle"); err == nil {
		t.Error(`ValidateNulls("middle"): no error`)
	}
	if splitter.OrderKeyUint(math.MaxUint64) != math.MaxUint64 || splitter.OrderKeyUint(0) != 0 {
		t.Error("OrderKeyUint is not the identity")
	}
}
