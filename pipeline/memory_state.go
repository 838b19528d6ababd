package pipeline

// rowStateShares splits a shuffling job's shuffle memory (limit,
// JobOptions.ShuffleMemory) between the per-row state its placer keeps
// through the main pass (--group's and --group-by-content's key tables,
// --stratify's classes, --order-by's keys: each in memory up to its
// share, else in a temporary file) and the shuffle of rows estimated at
// bytes decoded over splits splits. Until session 20 each had all of
// limit, so together they could hold twice it: 10M gen rows' group keys
// (80 MB) in memory beside a shuffle of 105 MiB under the default
// budget. The shuffle keeps at least half, and more when it needs more
// to run at all (shufflePartitions' file limit: the least memory whose
// partitions it can spill); the state gets the rest. A job that keeps
// no per-row state, or does not shuffle, gives all of limit to the one
// that needs it. Neither share changes a byte of the outputs: the state
// is the same in a file, and a smaller shuffle share spills more, smaller
// partitions.
func rowStateShares(limit, bytes int64, splits int, shuffles, keepsState bool) (state, shuffle int64) {
	if !shuffles || !keepsState || limit <= 0 {
		return limit, limit
	}
	shuffle = limit - limit/2
	if files := int64(max(1, maxSpillFiles/(2*max(splits, 1)))); bytes > 0 {
		shuffle = max(shuffle, shuffleMemoryFor((bytes+files-1)/files))
	}
	shuffle = min(shuffle, limit)
	if testHookShares != nil {
		testHookShares(limit-shuffle, shuffle)
	}
	return limit - shuffle, shuffle
}

// testHookShares, when set by a test, is called with the shares of
// every split's shuffle memory (rowStateShares).
var testHookShares func(state, shuffle int64)
