package splitter

import (
	"context"
	"fmt"
	"math"
)

// RowBalancedThresholds returns the key thresholds of a grouped split
// balanced by rows (--group COL --ratio-by rows, algorithm version 1,
// docs/algorithm.md): the rows are put in group order, by (group key, i),
// the split sizes s(j) are [Sizes](splits, n) over the n rows, with running
// sums c(j), and a group goes to split j if and only if the rank of its
// first row in group order lies in [c(j-1), c(j)); a group whose first row
// has rank c(k-1) or more (counts summing to less than n) is in no split.
// Whole groups move, so split j's row count exceeds s(j) by less than the
// size of the group that straddles c(j), and falls short by less than the
// one straddling c(j-1).
//
// The rule is a key threshold per split: split j takes the groups with keys
// in [U(j-1), U(j)). U(j) is the key κ of the row of rank c(j), or κ+1 when
// that row is not the first row of its group (the group straddles c(j) and
// stays in split j). The result lists U(0), U(1), ... for every c(j) < n,
// in order, for [NewThresholdAssigner]; it stops early where c(j) = n or
// κ+1 would pass 2^64-1, making that split take every key above its lower
// threshold (the later splits are then empty).
//
// Unlike the default grouped split, which hashes each group to a split by
// its key alone, these thresholds depend on every row: appending rows can
// move existing groups to other splits.
//
// groupKeys streams one group key per row ([GroupHasher]); it is read by a
// radix select like [StratifiedBoundaries] (one class), a few passes,
// without sorting or storing the keys, spread over up to workers
// goroutines, within memory bytes (0: no bound), with the same result for
// any batching, worker count and memory budget. Errors wrap [ErrUsage] for
// an invalid split list or counts beyond n, and [ErrTooLarge] for a memory
// below [MinSearchMemory](1, splits); a stream that is out of order or
// does not hold n rows is an error too, and ctx's error is returned when
// it is cancelled.
func RowBalancedThresholds(ctx context.Context, groupKeys KeyBatches, n int64, splits []Split, workers int, memory int64) ([]uint64, error) {
	return rowBalancedThresholds(ctx, groupKeys, n, splits, workers, memory, classTuning{})
}

// rowBalancedThresholds is [RowBalancedThresholds] with the given tuning,
// or with memory's when tune is zero.
func rowBalancedThresholds(ctx context.Context, groupKeys KeyBatches, n int64, splits []Split, workers int, memory int64, tune classTuning) ([]uint64, error) {
	sizes, err := Sizes(splits, n)
	if err != nil {
		return nil, err
	}
	var targets []classTarget
	var ranks []int64
	var total int64
	for _, s := range sizes {
		total += s
		if total == n {
			break
		}
		targets = append(targets, classTarget{rank: total, count: n})
		ranks = append(ranks, total)
	}
	sel := &classSelector{keys: groupKeys, n: n, m: 1}
	if sel.tune, sel.workers, err = searchTuning(memory, tune, workers, 1, len(targets)); err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		// No search, but the stream must still hold n rows in order.
		if err := sel.stream(ctx, sel.newStates(), func(*workerState, int64, []uint32, []uint64) {}); err != nil {
			return nil, err
		}
		return []uint64{}, nil
	}
	if err := sel.run(ctx, targets); err != nil {
		return nil, err
	}
	upper := make([]uint64, 0, len(targets))
	for t, tg := range targets {
		u := tg.found.key
		if tg.first < ranks[t] {
			if u == math.MaxUint64 {
				break
			}
			u++
		}
		upper = append(upper, u)
	}
	return upper, nil
}

// checkThresholds reports whether upper can serve as split thresholds.
func checkThresholds(upper []uint64) error {
	if len(upper) > MaxSplits {
		return fmt.Errorf("%w: %d thresholds, want at most %d", ErrUsage, len(upper), MaxSplits)
	}
	for j := 1; j < len(upper); j++ {
		if upper[j] < upper[j-1] {
			return fmt.Errorf("%w: threshold %d (%d) is below threshold %d (%d)", ErrUsage, j, upper[j], j-1, upper[j-1])
		}
	}
	return nil
}
