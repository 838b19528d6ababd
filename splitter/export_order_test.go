package splitter

import "context"

// OrderBoundariesTuned is OrderBoundaries with the given tuning.
func OrderBoundariesTuned(ctx context.Context, keys KeyBatches, n int64, sizes []int64, workers int, tu ClassTuning) ([]Boundary, error) {
	return orderBoundaries(ctx, keys, n, sizes, workers, 0, tu.internal())
}
