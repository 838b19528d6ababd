package splitter

import (
	"context"

	"github.com/splitdata/splitdata/prng"
)

// ExactBoundariesTuned is ExactBoundaries with the tuning of the radix
// select given: unit keys per task, buffer keys per Fill, candidate sets of
// up to collect rows collected. Tests shrink them to reach every path.
func ExactBoundariesTuned(ctx context.Context, gen *prng.PCG64, n int64, sizes []int64, workers int, unit, buffer, collect int64) ([]Boundary, error) {
	return exactBoundaries(ctx, gen, n, sizes, workers, tuning{unit: unit, buffer: buffer, collect: collect})
}

// CollectLimit is the default largest candidate set collected in memory.
const CollectLimit = collectLimit
