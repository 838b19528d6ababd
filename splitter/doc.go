// Package splitter holds the pure assignment logic of splitdata, algorithm
// version 1 as specified in docs/algorithm.md.
//
// Quick start (the package Example runs it): the split of each row of an
// n-row table, as the split command assigns it.
//
//	splits, err := splitter.ParseRatios("train=0.8,test=0.2")
//	gen, err := prng.NewPCG64(seed)
//	a, _, err := splitter.NewAssigner(ctx, gen, splits, n, false, workers)
//	gen.Fill(keys)         // key(i): the i-th output of PCG64(seed)
//	a.Assign(keys, 0, ids) // ids[i]: the index in splits of row i's split
//
// The package holds the parsing of split lists ([ParseRatios],
// [ParseSizes], [ParseTestSize]; seeds are [prng.Seed]),
// exact split sizes ([Sizes]), the rank boundaries of exact splits
// ([ExactBoundaries]) and the per-row assignment ([Assigner]); group keys
// ([GroupHasher]) and row-balanced group thresholds
// ([RowBalancedThresholds], [ThresholdAssigner]); stratified sizes and
// boundaries ([StratifiedSizes], [StratifiedBoundaries],
// [StratifiedAssigner]); bootstrap draws ([Bootstrap]); and the
// permutations of the compatibility modes ([CompatSplit], [CompatShuffle],
// [CompatKFold]).
//
// A row's split is a pure function of the master seed, the split options,
// the total row count n and the row's global index i, through the row key
// key(i), the i-th raw output of numpy.random.PCG64(seed). Nothing else (the
// worker that handles a row, the file it came from, chunk sizes) can move a
// row. Changing the split of any row for a given seed and options is a
// breaking change that needs a new algorithm version.
//
// The package does no I/O. Every function is safe for concurrent use; an
// [Assigner] is immutable once built. The boundary searches
// ([ExactBoundaries], [StratifiedBoundaries], [RowBalancedThresholds]) are
// the only functions that start goroutines: they fan their stream out over
// the workers they are given and wait for all of them before they return.
//
// Invalid options are reported as errors wrapping [ErrUsage]; the CLI maps
// them to exit status 2.
package splitter
