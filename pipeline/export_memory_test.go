package pipeline

import "sync/atomic"

// SetStreams makes every run stream its output row groups (encode them as
// their rows come, rowgroup_stream.go), whether or not held row groups
// would fit, until the returned function restores the default.
// The returned count is the number of runs that streamed since.
func SetStreams(on bool) (streamed func() int, restore func()) {
	old := testStreams
	testStreams = on
	var n atomic.Int64
	testHookStreams = func() { n.Add(1) }
	return func() int { return int(n.Load()) }, func() { testStreams, testHookStreams = old, nil }
}

// OnStreams calls fn for every run that streams its row groups until the
// returned function restores the default.
func OnStreams(fn func()) (restore func()) {
	testHookStreams = fn
	return func() { testHookStreams = nil }
}

// HeapBudget is heapBudget: the part of a budget the engine and the Go
// runtime's soft limit are sized from.
func HeapBudget(memory int64) int64 { return heapBudget(memory) }

// MemoryFor is memoryFor: the least budget whose heap budget is heap.
func MemoryFor(heap int64) int64 { return memoryFor(heap) }

// SearchMemory is searchMemory: the budget of a boundary search beside
// held bytes of per-row state.
func SearchMemory(memory, held int64) int64 { return searchMemory(memory, held) }

// SearchError is searchError, of a search over classes classes for
// targets ranks.
func SearchError(err error, memory, held int64, classes, targets int) error {
	return searchError(err, "--stratify \"label\"", memory, held, classes, targets)
}

// OnShares calls fn with the shares of every split's shuffle memory
// between its per-row state and its shuffle (rowStateShares) until the
// returned function restores the default.
func OnShares(fn func(state, shuffle int64)) (restore func()) {
	testHookShares = fn
	return func() { testHookShares = nil }
}

// RowStateShares is rowStateShares.
func RowStateShares(limit, bytes int64, splits int, shuffles, keepsState bool) (state, shuffle int64) {
	return rowStateShares(limit, bytes, splits, shuffles, keepsState)
}

// ShufflePartitions is shufflePartitions: the key ranges of a shuffle of
// bytes decoded under memory.
func ShufflePartitions(bytes, memory int64, splits int) (int, error) {
	return shufflePartitions(bytes, memory, splits)
}
