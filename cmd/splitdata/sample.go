package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/pipeline"
)

func newSampleCmd(stdout io.Writer, log *logger) *cobra.Command {
	var f splitFlags
	var rows int64
	var fraction float64
	var replace bool
	cmd := &cobra.Command{
		Use:   "sample INPUT... --out DIR (--rows K | --fraction F) [flags]",
		Short: "Draw a reproducible uniform sample (or, with --replace, a bootstrap sample)",
		Long: `Sample reads the rows of every INPUT (files of Parquet, Arrow IPC, CSV or JSON Lines;
directories, of which it reads every file of those formats; or globs; taken in
path order) once and writes a uniform sample without replacement to
DIR/part-NNNNN.parquet (or .arrow, .csv, .jsonl): exactly the first K rows of
canonical order (ascending (key, i), keys from
numpy.random.PCG64(seed)), K given by --rows or as ceil(n*F) by --fraction
(--replace: a bootstrap sample of K draws with replacement; --stratify: every
class of a column in proportion). Rows keep their input order (--shuffle:
canonical order); --index-only writes their global row indices instead. Memory
does not grow with the input, and the bytes do not depend on --workers or on
how the input is divided into files and row groups.`,
		Example: `  splitdata sample data/ --out sample --rows 100000 --seed 42
  splitdata sample data/ --out boot --fraction 1 --replace --seed 42
  splitdata sample data/ --out sample --fraction 0.01 --seed 42 --index-only`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("sample needs at least one INPUT")
			}
			if (rows != 0) == (fraction != 0) {
				return usagef("give exactly one of --rows and --fraction")
			}
			if rows < 0 {
				return usagef("--rows %d: a sample size is a number of rows, at least 1", rows)
			}
			if fraction != 0 && !(fraction > 0 && fraction <= 1) {
				return usagef("--fraction %v: want 0 < F <= 1", fraction)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.execute(cmd.Context(), args, stdout, log, func(ctx context.Context, cfg pipeline.SplitConfig) (*pipeline.Manifest, error) {
				return runStep(ctx, &f.step, log, cfg.Out, pipeline.SampleConfig{
					Inputs:     cfg.Inputs,
					Out:        cfg.Out,
					Seed:       cfg.Seed,
					Rows:       rows,
					Replace:    replace,
					Fraction:   fraction,
					Shuffle:    cfg.Shuffle,
					IndexOnly:  cfg.IndexOnly,
					Stratify:   cfg.Stratify,
					OrderBy:    cfg.OrderBy,
					Nulls:      cfg.Nulls,
					JobOptions: cfg.JobOptions,
					// --group, --group-by-content (content.go)
					Group:          cfg.Group,
					GroupByContent: cfg.GroupByContent,
					ContentColumns: cfg.ContentColumns,
				}, pipeline.Sample)
			})
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&rows, "rows", 0, "sample size in rows")
	fl.Float64Var(&fraction, "fraction", 0, "sample size as a fraction of the rows, 0 < F <= 1 (rounded up)")
	fl.BoolVar(&replace, "replace", false, "a bootstrap sample: K draws with replacement (numpy.sort(Generator(PCG64(seed)).integers(0, n, K))), each row written as often as drawn; K may exceed n; 8 bytes of memory per draw")
	fl.BoolVar(&f.shuffle, "shuffle", false, "write the sample in canonical order instead of input order")
	fl.BoolVar(&f.indexOnly, "index-only", false, "write the sampled rows' global indices (one int64 column \"row\") instead of the rows")
	f.addStratifyFlag(fl)
	f.addGroupFlags(fl, "sample", "")
	f.addOrderFlags(fl, "sample", "the sample is the first K rows")
	f.addCommonFlags(fl)
	return cmd
}
