package pipeline

import (
	"context"

	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// ClassCacheEntries and ClassCountEntries are the bounds of a stratified
// job's class caches (names in all) and counts (int64s in all).
const ClassCacheEntries, ClassCountEntries = classCacheEntries, classCountEntries

// SetClassBudgets lowers those bounds, so that a small input reaches
// them, until the returned function restores them.
func SetClassBudgets(names, counts int) (restore func()) {
	oldNames, oldCounts := classCacheBudget, classCountBudget
	classCacheBudget, classCountBudget = names, counts
	return func() { classCacheBudget, classCountBudget = oldNames, oldCounts }
}

// ClassReadStats is what a class read held at most: each worker cache's
// share of the names and the most names one held, and the count arrays.
type ClassReadStats struct {
	Workers, CacheLimit, CachePeak int
	Classes, CountArrays           int
}

// OnClassRead calls f with the stats of every class read until the
// returned function stops it.
func OnClassRead(f func(ClassReadStats)) (restore func()) {
	testHookClassRead = func(s classReadStats) {
		f(ClassReadStats{Workers: s.workers, CacheLimit: s.cacheLimit, CachePeak: s.cachePeak, Classes: s.classes, CountArrays: s.countArrays})
	}
	return func() { testHookClassRead = nil }
}

// ReadClasses reads the classes of column of the inputs as a job with
// --stratify column does, on workers goroutines, keeping the row table in
// memory, and returns the classes' canonical names and counts.
func ReadClasses(ctx context.Context, inputs []string, column string, workers int) ([]string, []int64, error) {
	p, err := openJobInputs(inputs, nil, sources.Options{})
	if err != nil {
		return nil, nil, err
	}
	defer p.close()
	col, err := columnFor(p.schema, "--stratify", column)
	if err != nil {
		return nil, nil, err
	}
	lim := classLimits{what: "--stratify", classes: splitter.MaxStratifyClasses, bytes: splitter.MaxStratifyClassBytes}
	ct, err := readClasses(ctx, p, col, workers, p.rows*4, scratch.Local(""), lim, noProgress{})
	if err != nil {
		return nil, nil, err
	}
	ct.ids.close()
	return ct.names, ct.counts, nil
}
