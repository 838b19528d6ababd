package splitter

import (
	"context"

	"github.com/splitdata/splitdata/prng"
)

// ClassTuning is the tuning of the class radix select of
// StratifiedBoundaries and RowBalancedThresholds: histogram counters and
// rows collected per pass, and rows per worker task.
type ClassTuning struct {
	Hist, Collect, Chunk int64
}

// DefaultClassTuning is the tuning StratifiedBoundaries uses.
var DefaultClassTuning = ClassTuning{Hist: defaultClassTuning.hist, Collect: defaultClassTuning.collect, Chunk: defaultClassTuning.chunk}

func (tu ClassTuning) internal() classTuning {
	return classTuning{hist: tu.Hist, collect: tu.Collect, chunk: tu.Chunk}
}

// StratifiedBoundariesTuned is StratifiedBoundaries with the given tuning.
// Tests shrink it to reach every path of the select with small inputs.
func StratifiedBoundariesTuned(ctx context.Context, gen *prng.PCG64, classes ClassBatches, n int64, sizes [][]int64, workers int, tu ClassTuning) ([][]Boundary, error) {
	return stratifiedBoundaries(ctx, gen, classes, n, sizes, workers, 0, tu.internal())
}

// RowBalancedThresholdsTuned is RowBalancedThresholds with the given tuning.
func RowBalancedThresholdsTuned(ctx context.Context, groupKeys KeyBatches, n int64, splits []Split, workers int, tu ClassTuning) ([]uint64, error) {
	return rowBalancedThresholds(ctx, groupKeys, n, splits, workers, 0, tu.internal())
}
