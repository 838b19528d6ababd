package pipeline

import "sync/atomic"

// SetSpoolBudget makes every streaming run keep its row groups' pages in
// blocks of budget bytes (negative: none, every page in temporary files)
// until the returned function restores the default.
func SetSpoolBudget(budget int64) (restore func()) {
	old := testSpoolBudget
	testSpoolBudget = budget
	return func() { testSpoolBudget = old }
}

// CountRuns counts the runs that decide whether to stream their row
// groups (every split, shard and job run as one) until the returned
// function restores the default.
func CountRuns() (runs func() int, restore func()) {
	var n atomic.Int64
	testHookRuns = func() { n.Add(1) }
	return func() int { return int(n.Load()) }, func() { testHookRuns = nil }
}
