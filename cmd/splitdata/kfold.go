package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

func newKFoldCmd(stdout io.Writer, log *logger) *cobra.Command {
	var f splitFlags
	var k int
	var materialize bool
	var kf kfoldOrderFlags
	cmd := &cobra.Command{
		Use:   "kfold INPUT... --k K --out DIR [flags]",
		Short: "Write K folds for cross-validation, like scikit-learn's KFold",
		Long: `Kfold reads the rows of every INPUT once and writes them in K folds,
DIR/fold-0/ to DIR/fold-(K-1)/: fold j is the j-th consecutive range of
canonical order (ascending (key, i), keys from numpy.random.PCG64(seed)), the
first n mod K folds one row larger, as scikit-learn's KFold sizes them. Rows
keep their input order in a fold (--shuffle: canonical order); --index-only
writes global row indices instead. Train on all folds but j, test on fold j.

--order-by COL (or row) cuts the folds from that order instead, as
KFold(shuffle=False) does in row order. --time-series writes scikit-learn's
TimeSeriesSplit folds over that order (row order by default) as
DIR/fold-j/train and DIR/fold-j/test. --repeats R writes the folds R times,
as RepeatedKFold, in DIR/repeat-r/.`,
		Example: `  splitdata kfold data/ --k 5 --out folds --seed 42
  splitdata kfold data/ --k 5 --time-series --order-by event_time --gap 100 --out folds
  splitdata kfold data/ --k 5 --repeats 3 --out folds --random-state 0`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("kfold needs at least one INPUT")
			}
			if k < 2 || k > splitter.MaxSplits {
				return usagef("--k %d: want 2 to %d folds", k, splitter.MaxSplits)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.order.shuffleSet = cmd.Flags().Changed("shuffle")
			return f.execute(cmd.Context(), args, stdout, log, func(ctx context.Context, cfg pipeline.SplitConfig) (*pipeline.Manifest, error) {
				kcfg := pipeline.KFoldConfig{
					Inputs:      cfg.Inputs,
					Out:         cfg.Out,
					Seed:        cfg.Seed,
					K:           k,
					Materialize: materialize,
					Shuffle:     cfg.Shuffle,
					IndexOnly:   cfg.IndexOnly,
					Stratify:    cfg.Stratify,
					Group:       cfg.Group,
					RatioBy:     cfg.RatioBy,
					Compat:      cfg.Compat,
					OrderBy:     cfg.OrderBy,
					Nulls:       cfg.Nulls,
					JobOptions:  cfg.JobOptions,
					// --group-by-content (content.go)
					GroupByContent: cfg.GroupByContent,
					ContentColumns: cfg.ContentColumns,
				}
				kf.apply(&kcfg)
				return runStep(ctx, &f.step, log, cfg.Out, kcfg, pipeline.KFold)
			})
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&k, "k", 5, "number of folds, 2 to 255 (and at most the number of rows)")
	fl.BoolVar(&materialize, "materialize", false, "write DIR/fold-j/train and DIR/fold-j/test (every other fold's rows, and fold j's) instead of DIR/fold-j; each row is written K times")
	fl.BoolVar(&f.shuffle, "shuffle", false, "write each fold in canonical order instead of input order (--shuffle=false, scikit-learn's shuffle=False: --order-by row)")
	fl.BoolVar(&f.indexOnly, "index-only", false, "write each fold's global row indices (one int64 column \"row\") instead of its rows")
	f.addCompatFlag(fl)
	f.addStratifyFlag(fl)
	f.addGroupFlags(fl, "fold", " (like GroupKFold)")
	fl.StringVar(&f.ratioBy, "ratio-by", "", "with --group: groups (default: each fold 1/K of the groups, by key) or rows (folds of KFold's row counts cut at group boundaries)")
	f.addOrderFlags(fl, "folds", "fold 0 gets the first rows")
	addKFoldOrderFlags(fl, &kf)
	f.addCardFlag(fl)
	f.addCommonFlags(fl)
	return cmd
}
