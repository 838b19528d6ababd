package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/pipeline"
)

func newShuffleCmd(stdout io.Writer, log *logger) *cobra.Command {
	var f splitFlags
	var epoch uint64
	cmd := &cobra.Command{
		Use:   "shuffle INPUT... --out DIR [flags]",
		Short: "Write all rows in a reproducible shuffled order, at any size",
		Long: `Shuffle reads the rows of every INPUT (files of Parquet, Arrow IPC, CSV or JSON Lines;
directories, of which it reads every file of those formats; or globs; taken in
path order) and writes all of them to DIR/part-NNNNN.parquet (or .arrow, .csv,
.jsonl) in canonical order: ascending (key, i), where row i's key is
numpy.random.PCG64(seed).jumped(epoch).random_raw(n)[i]. Each --epoch gives a
different order from the same seed; epoch 0 is the order of split --shuffle.

Rows whose decoded size fits in a quarter of --memory and in 64 MiB are ordered
in memory; more spill to temporary files (--temp-dir) by key range, ordered
one range at a time. The bytes never depend on --memory,
--workers or how the input is divided into files and row groups. The output
appears atomically, with DIR/manifest.json written last.`,
		Example: `  splitdata shuffle data/ --out shuffled --seed 42
  splitdata shuffle data/ --out epoch-3 --seed 42 --epoch 3 --memory 512MiB --temp-dir /scratch`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("shuffle needs at least one INPUT")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			f.shuffle = true
			return f.execute(cmd.Context(), args, stdout, log, func(ctx context.Context, cfg pipeline.SplitConfig) (*pipeline.Manifest, error) {
				return runStep(ctx, &f.step, log, cfg.Out, pipeline.ShuffleConfig{
					Inputs:     cfg.Inputs,
					Out:        cfg.Out,
					Seed:       cfg.Seed,
					Epoch:      epoch,
					Compat:     cfg.Compat,
					JobOptions: cfg.JobOptions,
				}, pipeline.Shuffle)
			})
		},
	}
	fl := cmd.Flags()
	fl.Uint64Var(&epoch, "epoch", 0, "which of the seed's orders: keys from PCG64(seed).jumped(epoch)")
	f.addCompatFlag(fl)
	f.addCommonFlags(fl)
	return cmd
}
