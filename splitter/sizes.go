package splitter

import (
	"fmt"
	"math"
	"slices"
)

// Sizes returns the exact number of rows of each split of a valid split list
// (see [ValidateSplits]) over n rows, in listed order, as algorithm version
// 1 defines them (docs/algorithm.md):
//
//   - Two splits by ratio: the last gets ceil(n*p), the float64 product of n
//     and its ratio p rounded up, as scikit-learn's
//     train_test_split(test_size=p) sizes its test set; the first gets the
//     rest. (A fractional [ParseTestSize] gives test the ratio p itself, so
//     this is exactly scikit-learn's test size.)
//   - One split or more than two by ratio: largest remainder. Split j gets
//     floor(n*r_j) rows (float64 product); the rows left go one each to the
//     splits in order of decreasing fractional part n*r_j - floor(n*r_j),
//     ties to the earlier-listed split. Should the floors leave more rows
//     than there are splits (ratios that sum to slightly less than 1, huge
//     n), the dealing goes round that order again; should they exceed n
//     (ratios that sum to slightly more than 1), rows are taken back one at a
//     time in the reverse order, skipping empty splits.
//   - Row counts: as given; the split with Rows = -1 gets n minus the others.
//     Counts may sum to less than n: the rows left over are in no split
//     (unassigned), and the result sums to less than n.
//
// Splits may be empty (a ratio list over very few rows). The result sums to
// n except for counts without a rest split. Errors wrap [ErrUsage]: an
// invalid list, a negative n, or counts that ask for more than n rows.
func Sizes(splits []Split, n int64) ([]int64, error) {
	if err := ValidateSplits(splits); err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, fmt.Errorf("%w: negative row count %d", ErrUsage, n)
	}
	if splits[0].Rows != 0 {
		return countSizes(splits, n)
	}
	ratios := make([]float64, len(splits))
	for j, s := range splits {
		ratios[j] = s.Ratio
	}
	if len(ratios) == 2 {
		last := ceilTimes(n, ratios[1])
		return []int64{n - last, last}, nil
	}
	return largestRemainder(n, ratios), nil
}

// countSizes sizes a list of row counts.
func countSizes(splits []Split, n int64) ([]int64, error) {
	sizes := make([]int64, len(splits))
	rest := -1
	var sum int64 // cannot overflow: ValidateSplits checked it
	for j, s := range splits {
		if s.Rows == -1 {
			rest = j
			continue
		}
		sizes[j] = s.Rows
		sum += s.Rows
	}
	if sum > n {
		return nil, fmt.Errorf("%w: the splits ask for %d rows but the input has %d", ErrUsage, sum, n)
	}
	if rest >= 0 {
		sizes[rest] = n - sum
	}
	return sizes, nil
}

// ceilTimes returns min(ceil(float64(n)*p), n) for p in (0, 1], the way
// Python computes math.ceil(n * p) for an int n and a float p.
func ceilTimes(n int64, p float64) int64 {
	return clampRows(math.Ceil(float64(n)*p), n)
}

// clampRows converts the non-negative integral float f to int64, capped at
// n. The cap matters only when float64(n) rounded n upwards (n > 2^53).
func clampRows(f float64, n int64) int64 {
	if f >= math.MaxInt64 { // float64(MaxInt64) is 2^63: out of range
		return n
	}
	return min(int64(f), n)
}

// largestRemainder sizes ratio splits by the largest-remainder rule of
// [Sizes].
func largestRemainder(n int64, ratios []float64) []int64 {
	k := len(ratios)
	sizes := make([]int64, k)
	frac := make([]float64, k)
	// rest = n - sum of the floors, kept as a running difference: the floors
	// are non-negative, so every partial value lies between n and the final
	// one, which is at least -(n*RatioTolerance + k + rounding) because the
	// ratios sum to at most 1+RatioTolerance. It never overflows.
	rest := n
	for j, r := range ratios {
		f := float64(n) * r
		fl := math.Floor(f)
		frac[j] = f - fl // exact: f and fl are within a factor of 2, or fl = 0
		sizes[j] = clampRows(fl, n)
		rest -= sizes[j]
	}
	// order: decreasing fractional part, ties to the earlier-listed split.
	order := make([]int, k)
	for j := range order {
		order[j] = j
	}
	slices.SortStableFunc(order, func(a, b int) int {
		switch {
		case frac[a] > frac[b]:
			return -1
		case frac[a] < frac[b]:
			return 1
		}
		return 0
	})
	if rest >= 0 {
		q, r := rest/int64(k), rest%int64(k)
		for t, j := range order {
			sizes[j] += q
			if int64(t) < r {
				sizes[j]++
			}
		}
		return sizes
	}
	// Take back -rest rows, one at a time in reverse order, skipping empty
	// splits. Whole rounds are taken at once: every non-empty split loses
	// the same number of rows, up to the smallest of them.
	slices.Reverse(order)
	for rest < 0 {
		var live []int
		small := int64(math.MaxInt64)
		for _, j := range order {
			if sizes[j] > 0 {
				live = append(live, j)
				small = min(small, sizes[j])
			}
		}
		if rounds := min(-rest/int64(len(live)), small); rounds > 0 {
			for _, j := range live {
				sizes[j] -= rounds
			}
			rest += rounds * int64(len(live))
			continue
		}
		for _, j := range live[:-rest] {
			sizes[j]--
		}
		rest = 0
	}
	return sizes
}
