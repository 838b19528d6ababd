package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/report"
)

func newReportCmd(stdout io.Writer) *cobra.Command {
	var f struct {
		inputs, columns      []string
		out, label, group    string
		memory, tempDir      string
		workers              int
		jsonOut, card, quiet bool
	}
	cmd := &cobra.Command{
		Use:   "report DIR [--input INPUT...] [--out report.html] [flags]",
		Short: "Show an output's balance, drift and leakage as one HTML page (or JSON)",
		Long: `Report reads an output directory of split, kfold, sample or shuffle once and
writes one self-contained HTML page (no network needed to view it): rows, share,
files and bytes per split with the seed, the command that rebuilds the output and
the NumPy lines that recompute any row's split; per column and split the null
rate, and for numbers count, mean, standard deviation, min, quantiles (5, 25, 50,
75, 95%) and max with histograms on shared bins, for strings and booleans the
distinct count and the top 10 values; drift of every split against the first
(population stability index; Kolmogorov-Smirnov for numbers), flagged above the
documented thresholds; the label's class shares (--label, default the
--stratify column); rows found in more than one split, exactly, and with
--group (default the --group column) groups found in more than one split.

With --input (the run's inputs) the inputs are summarized too, and drift is
measured against them. Memory does not grow with the rows: quantiles come from
a sketch whose rank error the page states; the leak check spills to --temp-dir
beyond half of --memory.`,
		Example: `  splitdata report splits --out report.html
  splitdata report splits --json > report.json
  splitdata report folds --input data/ --label label --group user_id`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("report takes one output directory, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkWorkers(f.workers); err != nil {
				return err
			}
			memory, err := parseMemory(f.memory)
			if err != nil {
				return err
			}
			// The budget less its reserve for the process's baseline is
			// the runtime's soft limit, as for the jobs.
			pipeline.GoMemoryLimit(pipeline.JobOptions{MemoryLimit: cmp.Or(memory, int64(report.DefaultMemoryLimit))})
			dir := args[0]
			// An early look at the manifest, before anything is locked or
			// read: a directory that is not an output is told so.
			if _, err := pipeline.ReadManifest(dir); errors.Is(err, pipeline.ErrNotOutput) {
				return fmt.Errorf("%w; report reads the output directory of split, kfold, sample, shuffle or merge", err)
			}
			if f.card {
				// The card rewrites README.md and the manifest: no run may
				// replace the output from before the figures are read until
				// both are written.
				unlock, err := pipeline.LockOutput(dir)
				if err != nil {
					return err
				}
				defer unlock()
			}
			opts := report.Options{Dir: dir, Inputs: f.inputs, Columns: f.columns, Label: f.label, Group: f.group,
				MemoryLimit: memory, TempDir: f.tempDir, Workers: f.workers}
			r, err := report.Compute(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if f.card {
				if err := report.AddCard(cmd.Context(), dir, r); err != nil {
					return err
				}
			}
			if f.jsonOut {
				if err := printJSON(stdout, r); err != nil {
					return err
				}
				if !cmd.Flags().Changed("out") {
					return nil
				}
			}
			if err := writeFileAtomic(f.out, r.WriteHTML); err != nil {
				return err
			}
			if !f.quiet && !f.jsonOut {
				_, err = fmt.Fprintf(stdout, "wrote %s: %s, %s, %s, %s in more than one split\n",
					f.out, counted(len(r.Splits), "split"), counted(len(r.Columns), "column"), counted(len(r.Flagged), "drift flag"), counted(r.Leakage.Rows, "row"))
			}
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.inputs, "input", nil, "the run's inputs (files, directories, globs): summarize them too and measure drift against them")
	fl.StringVar(&f.out, "out", "report.html", "the HTML page to write")
	fl.StringSliceVar(&f.columns, "columns", nil, "only these columns' figures (comma-separated; default all; leakage always compares whole rows)")
	fl.StringVar(&f.label, "label", "", "column whose class shares to show (default: the --stratify column of the run)")
	fl.StringVar(&f.group, "group", "", "column whose values must not be in two splits (default: the --group column of the run)")
	fl.BoolVar(&f.jsonOut, "json", false, "print the figures as JSON on stdout (and write the page only if --out is given)")
	fl.BoolVar(&f.card, "card", false, "also write DIR/README.md, a Hugging Face dataset card, and list it in the manifest")
	fl.StringVar(&f.memory, "memory", "", "memory budget of the process (default 240MiB; an eighth of it, at most 32MiB, is left to the process's baseline): sketches, and the leak check's records (half; beyond, temporary files)")
	fl.StringVar(&f.tempDir, "temp-dir", "", "directory for the leak check's temporary files (default: the system's)")
	fl.IntVar(&f.workers, "workers", 0, "units read at once (default: number of CPUs); never changes the figures")
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "print nothing but errors")
	return cmd
}

// parseMemory reads a --memory value; empty is 0, the default.
func parseMemory(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := humanize.ParseBytes(s)
	if err != nil || n == 0 || n > math.MaxInt64 {
		return 0, usagef("--memory %q: want a positive size such as 512MiB or 4GB", s)
	}
	return int64(n), nil
}

// addReportFlag registers --report (split, kfold, sample, shuffle).
func (f *splitFlags) addReportFlag(fl *pflag.FlagSet) {
	fl.BoolVar(&f.report, "report", false, "also write DIR/report.html (balance, drift, leakage; see splitdata report), listed in the manifest")
}

// addCardFlag registers --card (split, kfold).
func (f *splitFlags) addCardFlag(fl *pflag.FlagSet) {
	fl.BoolVar(&f.card, "card", false, "also write DIR/README.md, a Hugging Face dataset card (datasets.load_dataset(DIR) finds the splits), listed in the manifest")
}

// attach sets the job's Attach to write the report and card, if asked,
// and its Observer to compute the report's figures as the rows are
// written.
func (f *splitFlags) attach(cfg *pipeline.SplitConfig) {
	if !f.report && !f.card {
		return
	}
	a := report.NewAttachment(report.Options{Out: shownLocation(cfg.Out), MemoryLimit: cfg.MemoryLimit, TempDir: localPath(cfg.TempDir), Workers: cfg.Workers,
		Label: cfg.Stratify, Group: cfg.Group}, f.report, f.card)
	cfg.Attach, cfg.Observer = a.Attach, a
}
