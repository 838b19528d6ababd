package pipeline

import (
	"fmt"

	"github.com/splitdata/splitdata/splitter"
)

// This file holds the checks of the job configs other than SplitConfig.
// Each job is a split underneath: its Validate checks its own fields, then
// the SplitConfig it runs as, so every config refuses what Split refuses,
// with the same message.

// Validate reports the first problem with the configuration, wrapping
// [ErrUsage]: the sample size, then everything [SplitConfig.Validate]
// checks.
func (c SampleConfig) Validate() error {
	if err := c.checkSize(); err != nil {
		return err
	}
	if err := c.checkOrder(); err != nil {
		return err
	}
	return c.split().Validate()
}

// checkSize checks the sample's size: exactly one of Rows and Fraction.
func (c SampleConfig) checkSize() error {
	switch {
	case (c.Rows != 0) == (c.Fraction != 0):
		return fmt.Errorf("%w: give exactly one of a row count and a fraction", ErrUsage)
	case c.Rows < 0:
		return fmt.Errorf("%w: negative sample size %d", ErrUsage, c.Rows)
	case c.Fraction != 0 && !(c.Fraction > 0 && c.Fraction <= 1):
		return fmt.Errorf("%w: sample fraction %v, want 0 < f <= 1", ErrUsage, c.Fraction)
	case c.Replace && (c.Group != "" || c.GroupByContent):
		return fmt.Errorf("%w: --replace draws rows, not groups: it does not go with --group or --group-by-content", ErrUsage)
	}
	return nil
}

// split is the split a sample runs as. With a fraction, sampleSizes sizes
// the split once the row count is known.
func (c SampleConfig) split() SplitConfig {
	return SplitConfig{
		Inputs:     c.Inputs,
		Out:        c.Out,
		Seed:       c.Seed,
		Splits:     []splitter.Split{{Name: SampleName, Rows: max(c.Rows, 1)}},
		Shuffle:    c.Shuffle,
		IndexOnly:  c.IndexOnly,
		Stratify:   c.Stratify,
		OrderBy:    c.OrderBy,
		Nulls:      c.Nulls,
		JobOptions: c.JobOptions,
		// Whole groups, about K rows: a split balanced by rows.
		Group:          c.Group,
		GroupByContent: c.GroupByContent,
		ContentColumns: c.ContentColumns,
		RatioBy:        sampleRatioBy(c.Group != "" || c.GroupByContent),
	}
}

// sampleRatioBy is what a sample's size measures: rows, also when it
// draws groups.
func sampleRatioBy(grouped bool) string {
	if grouped {
		return RatioByRows
	}
	return ""
}

// Validate reports the first problem with the configuration, wrapping
// [ErrUsage]: the number of folds, then everything
// [SplitConfig.Validate] checks.
func (c KFoldConfig) Validate() error {
	if err := c.checkK(); err != nil {
		return err
	}
	if err := c.checkSeries(); err != nil {
		return err
	}
	return c.split().Validate()
}

// checkK checks the number of folds.
func (c KFoldConfig) checkK() error {
	if c.K < 2 || c.K > splitter.MaxSplits {
		return fmt.Errorf("%w: k = %d folds, want 2 to %d", ErrUsage, c.K, splitter.MaxSplits)
	}
	return nil
}

// split is the split k folds run as: folds sized by kfoldSizes once the
// row count is known, or, grouped by groups, a share 1/K of the groups
// each, by their keys. c.K must have passed checkK.
func (c KFoldConfig) split() SplitConfig {
	splits := make([]splitter.Split, c.K)
	for j := range splits {
		splits[j] = splitter.Split{Name: fmt.Sprintf("fold-%d", j), Rows: 1}
		if c.groupedByGroups() {
			splits[j] = splitter.Split{Name: splits[j].Name, Ratio: 1 / float64(c.K)}
		}
	}
	return SplitConfig{
		Inputs:     c.Inputs,
		Out:        c.Out,
		Seed:       c.Seed,
		Splits:     splits,
		Shuffle:    c.Shuffle,
		IndexOnly:  c.IndexOnly,
		Compat:     c.Compat,
		Stratify:   c.Stratify,
		Group:      c.Group,
		RatioBy:    c.RatioBy,
		OrderBy:    c.orderBy(),
		Nulls:      c.Nulls,
		JobOptions: c.JobOptions,
		// --group-by-content, as for a split.
		GroupByContent: c.GroupByContent,
		ContentColumns: c.ContentColumns,
	}
}

// orderBy is the order of the folds: OrderBy, or row order for
// time-series folds without one.
func (c KFoldConfig) orderBy() string {
	if c.TimeSeries && c.OrderBy == "" {
		return OrderByRow
	}
	return c.OrderBy
}

// groupedByGroups reports whether the folds take groups by their keys
// (a share of the groups each) rather than being cut by row counts.
func (c KFoldConfig) groupedByGroups() bool {
	return (c.Group != "" || c.GroupByContent) && c.RatioBy != RatioByRows && c.Stratify == ""
}

// Validate reports the first problem with the configuration, wrapping
// [ErrUsage]: what [SplitConfig.Validate] checks of the split a shuffle
// runs as.
func (c ShuffleConfig) Validate() error { return c.split().Validate() }

// split is the split a shuffle runs as: one split of every row, in
// canonical order.
func (c ShuffleConfig) split() SplitConfig {
	return SplitConfig{
		Inputs:     c.Inputs,
		Out:        c.Out,
		Seed:       c.Seed,
		Splits:     []splitter.Split{{Name: ShuffleName, Ratio: 1}},
		Shuffle:    true,
		Compat:     c.Compat,
		JobOptions: c.JobOptions,
	}
}

// Validate reports the first problem with the configuration that can be
// seen without reading the plan, wrapping [ErrUsage]; [RunShard] also
// checks Index against the plan.
func (c ShardConfig) Validate() error {
	switch {
	case c.Plan == "":
		return fmt.Errorf("%w: no plan file", ErrUsage)
	case c.Index < 0:
		return fmt.Errorf("%w: shard index %d, want 0 or more", ErrUsage, c.Index)
	case c.Workers < 0:
		return fmt.Errorf("%w: workers must be positive, got %d", ErrUsage, c.Workers)
	case c.Workers > MaxWorkers:
		return fmt.Errorf("%w: --workers %d: at most %d", ErrUsage, c.Workers, MaxWorkers)
	}
	return nil
}

// Validate reports the first problem with the configuration, wrapping
// [ErrUsage].
func (c MergeConfig) Validate() error {
	if c.Dir == "" {
		return fmt.Errorf("%w: no sharded job directory", ErrUsage)
	}
	return nil
}
