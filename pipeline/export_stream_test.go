package pipeline

// SetSpoolBudget makes every streaming run keep its row groups' pages in
// blocks of budget bytes (negative: none, every page in temporary files)
// until the returned function restores the default.
func SetSpoolBudget(budget int64) (restore func()) {
	old := testSpoolBudget
	testSpoolBudget = budget
	return func() { testSpoolBudget = old }
}
