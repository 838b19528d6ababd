package splitter

import (
	"context"
	"fmt"
	"math"

	"github.com/splitdata/splitdata/prng"
)

// ClassBatches is a re-iterable stream of the class ids of all n rows of a
// stratified split: it calls yield with the rows start, start+1, ... in
// order, from row 0 to row n-1, in batches of any sizes, and stops early
// when yield returns false. The slice is only read during the call. A class
// id is an index into the class table of [StratifiedSizes].
type ClassBatches func(yield func(start int64, classes []uint32) bool)

// KeyBatches is a re-iterable stream of one uint64 key per row, such as the
// group keys of [GroupHasher], for all n rows in order, like [ClassBatches].
type KeyBatches func(yield func(start int64, keys []uint64) bool)

// StratifiedBoundaries returns the upper rank boundaries of a stratified
// exact split over n rows whose keys are the raw outputs of gen (key(i) is
// the i-th output of a copy of gen; gen is not advanced) and whose classes
// come from classes. sizes[c][j] is the number of rows of class c in split
// j, as [StratifiedSizes] gives; every class has the same number of splits.
// Inside class c the rows are in canonical order, by (key, i), and split j
// holds the class ranks [cc(j-1), cc(j)), cc being the running sums of
// sizes[c]. The result has one boundary list per class in the form of
// [ExactBoundaries]: the row of class rank cc(j) for every split but the
// last, and for the last too when the class has rows in no split;
// [Sentinel] for rank n_c. It is what [NewStratifiedAssigner] takes.
//
// The boundaries are found by a multi-pass radix select over the
// (class, key) space without storing keys: a first pass only counts the
// rows of each class; each further pass regenerates the keys and takes, for
// every class bucket that holds a target rank, a histogram of its next key
// bits (up to 16, fewer for small classes) or, once the buckets are small
// enough, collects their rows; rows sharing one key are told apart by
// ranges of their indices the same way. memory bounds the bytes the
// search holds at once, whatever n: the rows one pass collects (24 bytes
// each, at most 2^18), per worker a histogram (up to 2^19 + 2t counters,
// t target ranks, at most classes * splits) and a task's keys and rows,
// and 40 bytes per class and 320 per target; 0 or less takes that
// largest tuning on every worker, about 6 MiB and 4.5 MiB a worker. A
// smaller budget collects fewer rows and counts fewer bits per pass, then
// uses fewer workers, which can take more passes but never changes the
// result.
// Usually two key passes suffice, a third for very many rows in many
// classes or a small budget; every pass (the counting one too) reads the
// class stream once. Batches are split over up to workers goroutines; the
// counts and rows collected do not depend on which worker saw which rows,
// nor on the batching, so neither does the result.
//
// A memory below [MinSearchMemory](classes, t) is an error wrapping
// [ErrTooLarge], returned after the counting pass. Errors wrap [ErrUsage]
// for invalid sizes (negative, sums above a class's
// row count, rows of unequal length, no classes, more than [MaxSplits]
// splits); a stream that is out of order, does not hold n rows, or holds a
// class id beyond len(sizes)-1 is an error too. When ctx is cancelled its
// error is returned. StratifiedBoundaries waits for its goroutines. It
// panics if gen is nil.
func StratifiedBoundaries(ctx context.Context, gen *prng.PCG64, classes ClassBatches, n int64, sizes [][]int64, workers int, memory int64) ([][]Boundary, error) {
	return stratifiedBoundaries(ctx, gen, classes, n, sizes, workers, memory, classTuning{})
}

// stratifiedBoundaries is [StratifiedBoundaries] with the given tuning, or
// with memory's when tune is zero.
func stratifiedBoundaries(ctx context.Context, gen *prng.PCG64, classes ClassBatches, n int64, sizes [][]int64, workers int, memory int64, tune classTuning) ([][]Boundary, error) {
	if gen == nil {
		panic("splitter: StratifiedBoundaries: nil generator")
	}
	if n < 0 {
		return nil, fmt.Errorf("%w: negative row count %d", ErrUsage, n)
	}
	if len(sizes) == 0 || int64(len(sizes)) > math.MaxUint32+1 {
		return nil, fmt.Errorf("%w: %d classes, want 1 to 2^32", ErrUsage, len(sizes))
	}
	k := len(sizes[0])
	if k == 0 || k > MaxSplits {
		return nil, fmt.Errorf("%w: %d splits, want 1 to %d", ErrUsage, k, MaxSplits)
	}
	for c, row := range sizes {
		if len(row) != k {
			return nil, fmt.Errorf("%w: class %d has %d split sizes, class 0 has %d", ErrUsage, c, len(row), k)
		}
		for j, s := range row {
			if s < 0 {
				return nil, fmt.Errorf("%w: class %d: split %d has negative size %d", ErrUsage, c, j, s)
			}
		}
	}
	sel := &classSelector{gen: gen, classes: classes, n: n, m: len(sizes)}
	counts, err := sel.count(ctx)
	if err != nil {
		return nil, err
	}
	out := make([][]Boundary, len(sizes))
	var targets []classTarget
	for c, row := range sizes {
		var total int64
		for j, s := range row {
			if s > counts[c]-total {
				return nil, fmt.Errorf("%w: class %d: split sizes sum to more than its %d rows", ErrUsage, c, counts[c])
			}
			total += s
			if j == k-1 && total == counts[c] {
				break
			}
			if total == counts[c] {
				out[c] = append(out[c], Sentinel)
				continue
			}
			out[c] = append(out[c], Boundary{})
			targets = append(targets, classTarget{class: uint32(c), slot: len(out[c]) - 1, rank: total, count: counts[c]})
		}
	}
	// The key passes' tuning depends on the targets, known after the
	// counting pass (which holds only a count per class).
	if sel.tune, sel.workers, err = searchTuning(memory, tune, workers, len(sizes), len(targets)); err != nil {
		return nil, err
	}
	if err := sel.run(ctx, targets); err != nil {
		return nil, err
	}
	for _, tg := range targets {
		out[tg.class][tg.slot] = Boundary{Key: tg.found.key, Index: tg.found.index}
	}
	return out, nil
}
