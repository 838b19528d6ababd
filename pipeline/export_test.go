package pipeline

import "github.com/splitdata/splitdata/sources"

// SetRowPath makes every run use the row path instead of the columnar one
// (engine_batch.go) until the returned function restores the default.
func SetRowPath(on bool) (restore func()) {
	old := forceRowPath
	forceRowPath = on
	return func() { forceRowPath = old }
}

// RefuseBatches makes the columnar decoder refuse every other unit, so that
// they are read as rows and converted, until the returned function
// restores the default.
func RefuseBatches() (restore func()) {
	refuseBatch = func(seq int) bool { return seq%2 == 1 }
	return func() { refuseBatch = nil }
}

// UsesBatches reports whether an engine with the given options would take
// the columnar path for the inputs, which must exist: a test of the path
// comparison must know it compared two different paths.
func UsesBatches(input string) (bool, error) {
	paths, err := ResolveInputs([]string{input}, "")
	if err != nil {
		return false, err
	}
	for _, path := range paths {
		src, err := sources.Open(path, sources.Options{})
		if err != nil {
			return false, err
		}
		br, ok := src.(sources.BatchReader)
		if ok {
			_, err = br.Layout()
		}
		src.Close()
		if !ok || err != nil {
			return false, nil
		}
	}
	return len(paths) > 0, nil
}

// SetUnitBudget makes every run cut row groups into units of at most
// about bytes estimated decoded bytes, until the returned function
// restores the default.
func SetUnitBudget(bytes int64) (restore func()) {
	old := testUnitBudget
	testUnitBudget = bytes
	return func() { testUnitBudget = old }
}

// OnUnits calls fn with the number of units of every run, once they are
// cut, until the returned function restores the default.
func OnUnits(fn func(n int)) (restore func()) {
	old := testHookUnits
	testHookUnits = fn
	return func() { testHookUnits = old }
}
