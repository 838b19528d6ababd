package splitter

import (
	"context"

	"github.com/splitdata/splitdata/prng"
)

// SelectTuning is the tuning of the radix select of ExactBoundaries: keys a
// worker generates per task (Unit) and per Fill (Buffer), the largest input
// collected without a histogram pass (Direct), the largest candidate set
// collected after one (Collect), and the half-width of the window pass in
// standard deviations (Window; 0: no window pass).
type SelectTuning struct {
	Unit, Buffer, Direct, Collect int64
	Window                        float64
}

// DefaultSelectTuning is the tuning ExactBoundaries uses.
var DefaultSelectTuning = SelectTuning{Unit: selectUnit, Buffer: selectBuffer, Direct: directLimit, Collect: collectLimit, Window: windowSigmas}

// ExactBoundariesTuned is ExactBoundaries with the given tuning. Tests
// shrink it to reach every path of the radix select with small inputs.
func ExactBoundariesTuned(ctx context.Context, gen *prng.PCG64, n int64, sizes []int64, workers int, tu SelectTuning) ([]Boundary, error) {
	return exactBoundaries(ctx, gen, n, sizes, workers, tuning{unit: tu.Unit, buffer: tu.Buffer, direct: tu.Direct, collect: tu.Collect, window: tu.Window})
}
