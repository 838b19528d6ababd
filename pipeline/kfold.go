package pipeline

import (
	"context"
	"fmt"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// KFoldConfig describes a k-fold job; the other fields are as for
// [SplitConfig].
type KFoldConfig struct {
	Inputs []string  `json:"inputs"`
	Out    string    `json:"out"`
	Seed   prng.Seed `json:"seed"`
	// K is the number of folds, at least 2 and at most the number of rows;
	// it is required (0 is refused).
	K         int  `json:"k"`
	Shuffle   bool `json:"shuffle"`
	IndexOnly bool `json:"index_only"`
	// Compat reproduces a Python library's order exactly; see
	// [SplitConfig.Compat].
	Compat splitter.CompatMode `json:"compat,omitempty"`
	// Stratify keeps every class of a column in proportion; see
	// [SplitConfig.Stratify].
	Stratify string `json:"stratify,omitempty"`
	// Group keeps rows with equal values of a column in one fold, like
	// scikit-learn's GroupKFold: each group goes to fold j iff its key lies
	// in the j-th K-th of the key range (fold sizes are then approximate),
	// or, with RatioBy "rows", the folds are cut by row counts at group
	// boundaries (see [SplitConfig.Group] and [SplitConfig.RatioBy]).
	Group   string `json:"group,omitempty"`
	RatioBy string `json:"ratio_by,omitempty"`
	// GroupByContent and ContentColumns keep rows with equal values in
	// one fold, as for [SplitConfig.GroupByContent].
	GroupByContent bool   `json:"group_by_content,omitempty"`
	ContentColumns string `json:"content_columns,omitempty"`
	// Materialize writes cfg.Out/fold-j/train/ and fold-j/test/ for every
	// fold j instead of cfg.Out/fold-j/: test holds fold j's rows, train
	// every other fold's, each in input order (canonical order with
	// Shuffle). Every row is written K times.
	Materialize bool `json:"materialize,omitempty"`
	// OrderBy cuts the folds from the order of a column's values (ties by
	// row index), or of the rows with [OrderByRow], instead of canonical
	// order: fold j is the j-th consecutive range of that order, as
	// scikit-learn's KFold(shuffle=False) in row order. Nulls places the
	// column's nulls (see [SplitConfig.OrderBy]).
	OrderBy string `json:"order_by,omitempty"`
	Nulls   string `json:"nulls,omitempty"`
	// TimeSeries writes scikit-learn's TimeSeriesSplit folds over the
	// order of OrderBy (row order when empty): fold-j/train and
	// fold-j/test for every fold j, an expanding window of train rows
	// before each test range (docs/algorithm.md section 18). A row is
	// written once per output it belongs to; rows in no output (a gap
	// before the first test range, rows before a capped train window)
	// are counted as unassigned.
	TimeSeries bool `json:"time_series,omitempty"`
	// TimeSeriesOptions are TimeSeriesSplit's gap, max_train_size and
	// test_size, for TimeSeries.
	TimeSeriesOptions splitter.TimeSeriesOptions `json:"time_series_options,omitzero"`
	// Repeats, above 1, writes the folds Repeats times, as scikit-learn's
	// RepeatedKFold, each from its own keys: repeat r's keys are those of
	// the master generator jumped r times (docs/algorithm.md section 18),
	// written under cfg.Out/repeat-r/. 0 and 1 mean once, in cfg.Out.
	Repeats int `json:"repeats,omitempty"`
	// JobOptions are as for [SplitConfig].
	JobOptions
}

// KFold writes the rows in K folds, cfg.Out/fold-0/ to fold-(K-1)/, like
// scikit-learn's KFold: the first n mod K folds hold n/K+1 rows, the others
// n/K, and fold j is the j-th consecutive range of canonical order. Rows
// keep their input order within a fold (canonical order with Shuffle). The
// data is read once; the bytes do not depend on workers or chunking.
func KFold(ctx context.Context, cfg KFoldConfig) (*Manifest, error) {
	if err := cfg.checkK(); err != nil {
		return nil, err
	}
	if err := cfg.checkSeries(); err != nil {
		return nil, err
	}
	if cfg.Repeats > 1 {
		return repeatedKFold(ctx, cfg)
	}
	return run(ctx, cfg.split(), cfg.job())
}

// job is the engine job of k folds.
func (cfg KFoldConfig) job() job {
	jb := job{command: "kfold", resize: kfoldSizes, materialize: cfg.Materialize}
	if cfg.groupedByGroups() {
		jb.resize = nil
	}
	if cfg.TimeSeries {
		jb.resize = nil
		jb.timeSeries = &cfg.TimeSeriesOptions
	}
	return jb
}

// kfoldSizes sizes k folds of n rows as scikit-learn's KFold does, or
// fails when there are fewer rows than folds.
func kfoldSizes(splits []splitter.Split, n int64) ([]splitter.Split, error) {
	k := int64(len(splits))
	if n < k {
		return nil, fmt.Errorf("%w: %d folds of %d rows: need at least one row per fold", ErrUsage, k, n)
	}
	out := make([]splitter.Split, k)
	for j := range out {
		size := n / k
		if int64(j) < n%k {
			size++
		}
		out[j] = splitter.Split{Name: splits[j].Name, Rows: size}
	}
	return out, nil
}

// materializedFolds returns the outputs of materialized folds, FOLD/train
// then FOLD/test for each fold in order, and which outputs a row of each
// fold goes to: its own fold's test and every other fold's train.
func materializedFolds(folds []string) ([]string, [][]int) {
	names := make([]string, 0, 2*len(folds))
	fanout := make([][]int, len(folds))
	for j, f := range folds {
		names = append(names, f+"/train", f+"/test")
		fanout[j] = append(fanout[j], 2*j+1)
		for g := range folds {
			if g != j {
				fanout[j] = append(fanout[j], 2*g)
			}
		}
	}
	return names, fanout
}
