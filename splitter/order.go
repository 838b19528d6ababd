package splitter

import (
	"context"
	"fmt"
	"math"
)

// Time-ordered splits (--order-by, docs/algorithm.md section 18). Every
// row gets an order key, a uint64 whose unsigned order is the order of the
// column's values; rows are ranked by (order key, global row index), and
// the exact sizes of section 5 are cut from that ranking as they are from
// canonical order. The order keys take the place of the row keys: the
// boundaries are [Boundary] values over (order key, index) and
// [NewExactAssigner] assigns from them.

// Where null values go in a time-ordered split.
const (
	// NullsLast ranks nulls after every value (the default, as NumPy and
	// pandas sort missing values last).
	NullsLast = "last"
	// NullsFirst ranks nulls before every value.
	NullsFirst = "first"
)

// NullOrderKey returns the order key of a null value: 0 with nulls first,
// 2^64-1 with nulls last. Order keys of 64-bit integers can take the same
// values (the smallest or largest integer); a caller must refuse a column
// that holds both, since their order would then depend on row indices.
func NullOrderKey(nulls string) uint64 {
	if nulls == NullsFirst {
		return 0
	}
	return math.MaxUint64
}

// ValidateNulls checks a --nulls value: "first", "last" or empty (last).
// Errors wrap [ErrUsage].
func ValidateNulls(nulls string) error {
	switch nulls {
	case "", NullsFirst, NullsLast:
		return nil
	}
	return fmt.Errorf("%w: --nulls %q: want first or last", ErrUsage, nulls)
}

// OrderKeyInt returns the order key of a signed integer (INT32 and INT64
// columns: integers, dates as days, timestamps and times in their unit,
// decimals of one scale): v with its sign bit flipped, so that unsigned
// order is signed order.
func OrderKeyInt(v int64) uint64 { return uint64(v) ^ signBit }

// OrderKeyUint returns the order key of an unsigned integer (columns of
// unsigned integer logical type): the value itself.
func OrderKeyUint(v uint64) uint64 { return v }

// OrderKeyFloat returns the order key of a floating-point value (FLOAT,
// DOUBLE; a FLOAT is widened to float64, exactly): the IEEE-754 bits of v
// with the sign bit flipped for positive values and every bit flipped for
// negative ones, so that unsigned order is numeric order from -Inf to +Inf.
// -0 is taken as +0 (they compare equal, so their rows are ordered by row
// index), and every NaN as the one quiet NaN 0x7ff8000000000000, which
// ranks after +Inf and before nulls-last. The keys 0 and 2^64-1 are never
// returned, so nulls never share a key with a float.
func OrderKeyFloat(v float64) uint64 {
	if v != v {
		v = math.NaN()
	}
	if v == 0 {
		v = 0 // -0 as +0
	}
	b := math.Float64bits(v)
	if b&signBit != 0 {
		return ^b
	}
	return b | signBit
}

// OrderBoundaries returns the upper boundaries of exact splits of n rows
// ranked by (order key, global row index), the order keys coming from keys
// (one per row, in order; see [OrderKeyInt] and the others): split j holds
// the rows of rank [c(j-1), c(j)), c being the running sums of sizes, and
// its upper boundary is the row of rank c(j) as a [Boundary] of its order
// key and index (or [Sentinel] when c(j) = n). The result has the shape of
// [ExactBoundaries]' and is what [NewExactAssigner] takes, given each
// row's order key in place of its row key.
//
// The boundaries are found without sorting or storing the keys, by the
// radix select of [RowBalancedThresholds] over the key stream (a few passes,
// on up to workers goroutines, with the same result for any batching,
// worker count and memory budget), within memory bytes as
// [StratifiedBoundaries] is (one class). Errors wrap [ErrUsage] for invalid
// sizes and [ErrTooLarge] for a memory below [MinSearchMemory](1, splits);
// a stream that is out of order or does not hold n rows is an error too,
// and ctx's error is returned when it is cancelled.
func OrderBoundaries(ctx context.Context, keys KeyBatches, n int64, sizes []int64, workers int, memory int64) ([]Boundary, error) {
	return orderBoundaries(ctx, keys, n, sizes, workers, memory, classTuning{})
}

// orderBoundaries is [OrderBoundaries] with the given tuning, or with
// memory's when tune is zero.
func orderBoundaries(ctx context.Context, keys KeyBatches, n int64, sizes []int64, workers int, memory int64, tune classTuning) ([]Boundary, error) {
	ranks, err := boundaryRanks(n, sizes)
	if err != nil {
		return nil, err
	}
	out := make([]Boundary, len(ranks))
	var targets []classTarget
	var slots []int
	for k, r := range ranks {
		if r == n {
			out[k] = Sentinel
			continue
		}
		targets = append(targets, classTarget{rank: r, count: n})
		slots = append(slots, k)
	}
	sel := &classSelector{keys: keys, n: n, m: 1}
	if sel.tune, sel.workers, err = searchTuning(memory, tune, workers, 1, len(targets)); err != nil {
		return nil, err
	}
	if len(targets) == 0 {
		// No search, but the stream must still hold n rows in order.
		if err := sel.stream(ctx, sel.newStates(), func(*workerState, int64, []uint32, []uint64) {}); err != nil {
			return nil, err
		}
		return out, nil
	}
	if err := sel.run(ctx, targets); err != nil {
		return nil, err
	}
	for t, tg := range targets {
		out[slots[t]] = Boundary{Key: tg.found.key, Index: tg.found.index}
	}
	return out, nil
}

// RowOrderBoundaries returns the boundaries of exact splits of n rows in
// row order (--order-by row, scikit-learn's shuffle=False): split j holds
// the rows c(j-1) to c(j)-1. They are [OrderBoundaries]' for order keys
// that are all 0, so [NewExactAssigner] assigns from them given zero keys;
// [SequentialAssign] needs no keys at all.
func RowOrderBoundaries(n int64, sizes []int64) ([]Boundary, error) {
	ranks, err := boundaryRanks(n, sizes)
	if err != nil {
		return nil, err
	}
	out := make([]Boundary, len(ranks))
	for k, r := range ranks {
		if r == n {
			out[k] = Sentinel
		} else {
			out[k] = Boundary{Key: 0, Index: r}
		}
	}
	return out, nil
}

// SequentialAssign sets out[k] to the split id of row start+k in row order,
// given boundaries from [RowOrderBoundaries]: the number of boundaries at
// or before the row. It does not allocate.
func SequentialAssign(bounds []Boundary, start int64, out []uint8) {
	j := 0
	for j < len(bounds) && bounds[j].Key == 0 && bounds[j].Index <= start {
		j++
	}
	for k := range out {
		i := start + int64(k)
		for j < len(bounds) && bounds[j].Key == 0 && bounds[j].Index <= i {
			j++
		}
		out[k] = uint8(j)
	}
}
