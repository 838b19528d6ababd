package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/internal/staging"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

func newGenCmd(stdout io.Writer, log *logger) *cobra.Command {
	var cfg gendata.Config
	var out string
	var quiet bool
	var seed string
	cmd := &cobra.Command{
		Use:   "gen --rows N --out DIR [flags]",
		Short: "Write a deterministic synthetic Parquet dataset (for demos, tests and benchmarks)",
		Long: `Gen writes N rows with the columns id (int64, the global row index), user_id
(int64, about N/20 groups), label (string, imbalanced classes), x1 and x2
(float64), text (string of about 40 bytes) and ts (timestamp) into K files of
row groups of R rows. Every value is a pure function of (seed, id), so the same
flags give the same bytes.`,
		Example: `  splitdata gen --rows 1000000 --files 4 --out data --seed 1`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return usagef("--out is required")
			}
			if cfg.Rows < 0 || cfg.Files < 0 || cfg.RowGroupRows < 0 || cfg.Workers < 0 {
				return usagef("--rows, --files, --row-group-rows and --workers must not be negative")
			}
			if err := checkWorkers(cfg.Workers); err != nil {
				return err
			}
			if cmd.Flags().Changed("seed") {
				v, err := genSeed(seed)
				if err != nil {
					return err
				}
				cfg.Seed = v
			}
			view := newProgress(log, quiet)
			if view != nil {
				view.Phase(phaseGenerate, cfg.Rows)
				cfg.OnRows = view.Add
			}
			paths, err := writeGen(cmd.Context(), out, cfg)
			if view != nil {
				view.AddBytes(filesBytes(paths))
				view.finish(err == nil)
			}
			if err != nil {
				return err
			}
			if !quiet {
				fmt.Fprintf(stdout, "wrote %s in %s to %s\n", counted(cfg.Rows, "row"), counted(len(paths), "file"), out)
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.Int64Var(&cfg.Rows, "rows", 0, "number of rows")
	fl.IntVar(&cfg.Files, "files", 1, "number of files")
	fl.Int64Var(&cfg.RowGroupRows, "row-group-rows", 122880, "rows per row group")
	fl.IntVar(&cfg.StringColumns, "string-columns", 0, "write that many string columns s00, s01, ... instead (s00: 8 classes, s01: about N/20 groups), the wide table of the benchmarks")
	fl.IntVar(&cfg.PageBufferSize, "page-bytes", 0, "page size of the writer in bytes (default: parquet-go's)")
	fl.StringVar(&seed, "seed", "0", "seed of the generated values: an integer or any text, as for split (gen uses it modulo 2^64)")
	fl.IntVar(&cfg.Workers, "workers", 0, "files written at once (default: number of CPUs; at most 256)")
	fl.BoolVar(&cfg.Overwrite, "overwrite", false, "replace an existing output directory")
	fl.StringVar(&out, "out", "", "output directory (required)")
	fl.BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}

// writeGen writes the dataset of cfg to the directory out as a job writes
// its output: into a staging directory beside out, renamed into place once
// every file is complete, with out's lock held. gendata.Write alone puts
// each file in place as it completes, so an interrupted gen left the files
// finished so far, a dataset that looked whole, and --overwrite left the
// old files beyond the new count; now neither can happen.
func writeGen(ctx context.Context, out string, cfg gendata.Config) ([]string, error) {
	rules := staging.Rules{
		Complete: []string{"part-00000.parquet"}, // every dataset's first file
		Exists:   pipeline.ErrOutputExists,
		Notice:   func(msg string) { pipeline.Notice(msg) },
	}
	lock, err := staging.LockOutput(out, rules)
	if err != nil {
		return nil, err
	}
	defer lock.Unlock()
	dir, err := staging.New(out, cfg.Overwrite, rules)
	if err != nil {
		return nil, err
	}
	defer dir.Cleanup()
	paths, err := gendata.Write(ctx, dir.Path("."), cfg)
	if err != nil {
		return nil, err
	}
	if err := dir.Commit(); err != nil {
		return nil, fmt.Errorf("write %s: %w", out, err)
	}
	for i, p := range paths {
		paths[i] = filepath.Join(out, filepath.Base(p))
	}
	return paths, nil
}

// genSeed turns --seed into gen's 64-bit seed by the rule of every command
// ([prng.Seed]: a decimal integer is itself, other text its
// SHA-256), taken modulo 2^64, so that the seeds gen took before, 0 to
// 2^64-1 in decimal, keep their data.
func genSeed(text string) (uint64, error) {
	if text == "" {
		return 0, usagef("--seed is empty: give a seed (an integer or any text), or leave --seed out for seed 0")
	}
	v, err := prng.Seed(text).Int()
	if err != nil {
		return 0, fmt.Errorf("%w: %w", splitter.ErrUsage, err)
	}
	return new(big.Int).And(v, new(big.Int).SetUint64(math.MaxUint64)).Uint64(), nil
}

// filesBytes is the size of the files at paths, those that exist.
func filesBytes(paths []string) int64 {
	var n int64
	for _, p := range paths {
		if st, err := os.Stat(p); err == nil {
			n += st.Size()
		}
	}
	return n
}
