package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"

	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/report"
)

func newVerifyCmd(stdout io.Writer, log *logger) *cobra.Command {
	var jsonOut, quiet bool
	var inputs []string
	var memory string
	cmd := &cobra.Command{
		Use:   "verify DIR [--input INPUT...]",
		Short: "Check an output directory against its manifest (hashes, sizes, row counts)",
		Long: `Verify re-hashes every file listed in DIR/manifest.json and checks its size,
SHA-256 and footer row count, that each split's files add up to its rows, that
the splits and unassigned rows add up to the input rows, and that no unlisted
file sits in a split directory. Every difference is reported, one per line,
and the exit status is 1 if there is any.

With --input (the inputs of the split, as given to it), verify also reads them
again, recomputes every row's split from the manifest's seed and options, and
checks that each split holds exactly its rows, in input order (for a --shuffle
output: the same rows; their order is not rechecked). Rows are checked in
Parquet and Arrow outputs; CSV and JSON Lines keep no column types, so for
them --input stops after the hash check with exit status 2.`,
		Example: `  splitdata verify splits
  splitdata verify splits --input data/
  splitdata verify s3://bucket/splits --input s3://bucket/data/`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("verify takes one output directory, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			budget, _, err := memoryBudget(memory)
			if err != nil {
				return err
			}
			var locs locations
			defer locs.release(context.WithoutCancel(cmd.Context()))
			cfg := pipeline.VerifyConfig{Dir: args[0], Inputs: inputs, MemoryLimit: budget}
			if err := locs.bindVerify(cmd.Context(), &cfg); err != nil {
				return err
			}
			r, err := withBar(log, quiet, func(p pipeline.Progress) (*pipeline.VerifyReport, error) {
				cfg.Progress = p
				return pipeline.VerifyWithConfig(cmd.Context(), cfg)
			})
			if err != nil {
				return err
			}
			if err := verifyCard(cfg); err != nil {
				return err
			}
			switch {
			case jsonOut:
				return printJSON(stdout, r)
			case quiet:
				return nil
			}
			_, err = fmt.Fprintf(stdout, "verified %s: %s, %s, %s match the manifest\n", cfg.Dir, counted(r.Files, "file"), counted(r.Bytes, "byte"), counted(r.Rows, "row"))
			if err == nil && r.RowsChecked {
				_, err = fmt.Fprintf(stdout, "verified %s: every input row is in the split the algorithm assigns it\n", cfg.Dir)
			}
			return err
		},
	}
	cmd.Flags().StringSliceVar(&inputs, "input", nil, "the split's inputs (files, directories, globs; repeat or comma-separate): also check every row's placement")
	cmd.Flags().StringVar(&memory, "memory", "", "memory budget of the whole process: with --input, a stratified or --ratio-by rows output's per-row state stays in memory up to half of it (beyond, a temporary file); less an eighth of it (at most 32MiB) for the process's baseline, also the Go runtime's soft limit unless GOMEMLIMIT is set (default 240MiB)")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the report as JSON")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}

// verifyCard checks the dataset card of a verified output, if it has
// one, against its manifest (report.CheckCard).
func verifyCard(cfg pipeline.VerifyConfig) error {
	if cfg.FS == nil {
		return report.VerifyCard(cfg.Dir)
	}
	b, err := fs.ReadFile(cfg.FS, pipeline.ManifestName)
	if err != nil {
		return err
	}
	m, err := pipeline.ParseManifest(b)
	if err != nil {
		return err
	}
	for _, e := range m.Extras {
		if e.Path != report.CardName {
			continue
		}
		card, err := fs.ReadFile(cfg.FS, report.CardName)
		if err != nil {
			return err
		}
		if err := report.CheckCard(card, m); err != nil {
			return fmt.Errorf("%w: %s: %w", pipeline.ErrVerify, cfg.Dir, err)
		}
	}
	return nil
}
