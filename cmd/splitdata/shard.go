package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/dustin/go-humanize"
	"github.com/spf13/cobra"

	"github.com/splitdata/splitdata/pipeline"
)

func newPlanCmd(stdout io.Writer, log *logger) *cobra.Command {
	var f splitFlags
	var shards int
	cmd := &cobra.Command{
		Use:   "plan INPUT... --out DIR --shards N [split flags]",
		Short: "Plan a split as N independent shard tasks (for Slurm, Kubernetes, any job array)",
		Long: `Plan reads the footers of every INPUT, counts every row's split from its key
(no data is read), finds the exact split's thresholds once, and writes
DIR/plan.json: the inputs with their sizes, row counts, modification times
and hashes of their first and last MiB (run-shard and merge refuse an input
that changed), the work units (row groups with their global row offsets and
split counts), the thresholds, all options, and the units of each of the N
shards (at most 65536).

Then run 'splitdata run-shard --plan DIR/plan.json --shard-index I' for every I
from 0 to N-1, on any machines that see the inputs and DIR, in any order, and
finally 'splitdata merge DIR'. The merged output is byte for byte what
'splitdata split' writes with the same options on one machine.

INPUTs are local paths (the same on every machine) or s3://, gs://, az:// URLs:
the plan records a bucket input by its URL (with its parameters, never a
credential) and its version (ETag or generation), and each task reads it from
the bucket, refusing an object replaced since the plan.

Sharded runs take the split options listed below, not --shuffle, --group,
--stratify, --order-by or --compat (their order or groups need the data's
values), and write Parquet only (--format parquet). They write no report:
run 'splitdata report DIR' after the merge.`,
		Example: `  splitdata plan data/ --out splits --seed 42 --ratios train=0.8,valid=0.1,test=0.1 --shards 4
  sbatch --array=0-3 --wrap 'splitdata run-shard --plan splits/plan.json'
  splitdata merge splits
  splitdata plan s3://bucket/data/ --out s3://bucket/splits --seed 42 --shards 16`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usagef("plan needs at least one INPUT")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if shards < 1 {
				return usagef("--shards must be at least 1, got %d", shards)
			}
			if f.report {
				// No shard sees every row, and merge only joins the
				// shards' row groups: the report is a step of its own.
				dir := cmp.Or(f.out, "DIR")
				return usagef("plan writes no report (--report): after 'splitdata merge %s', run 'splitdata report %s'", dir, dir)
			}
			if f.step.ifExists == ifExistsSkip {
				return usagef("plan takes --if-exists error or overwrite: a plan is rerun by running it again")
			}
			cfg, err := f.config(args)
			if err != nil {
				return err
			}
			if cfg.Seed == "" && !f.quiet {
				log.info("no --seed given: drawing a fresh one (recorded in the plan)")
			}
			cfg.Out = localPath(cfg.Out)
			p, err := withBar(log, f.quiet, func(pr pipeline.Progress) (*pipeline.Plan, error) {
				cfg.Progress = pr
				var locs locations
				defer locs.release(context.WithoutCancel(cmd.Context()))
				outLoc, err := parseLocation("--out", cfg.Out)
				if err != nil {
					return nil, err
				}
				if err := locs.bindPlanInputs(cmd.Context(), &cfg, outLoc); err != nil {
					return nil, err
				}
				if !outLoc.IsLocal() {
					p, out, err := bucketPlan(cmd.Context(), &locs, cfg, shards, func(c pipeline.SplitConfig, n int) (*pipeline.Plan, error) {
						return pipeline.CreatePlan(cmd.Context(), c, n)
					})
					cfg.Out = out
					return p, err
				}
				return pipeline.CreatePlan(cmd.Context(), cfg, shards)
			})
			if err != nil {
				return err
			}
			if f.step.resultJSON != "" {
				r := stepResult{Command: "plan", Version: p.Version, Algorithm: p.Algorithm, Seed: p.Seed, Out: cfg.Out,
					Plan: joinLocation(cfg.Out, pipeline.PlanName), Rows: p.Rows, Unassigned: p.Unassigned, Shards: len(p.Shards)}
				if err := writeResult(f.step.resultJSON, r); err != nil {
					return err
				}
			}
			if f.jsonOut {
				return printJSON(stdout, p)
			}
			if f.quiet {
				return nil
			}
			planPath := joinLocation(cfg.Out, pipeline.PlanName)
			_, err = fmt.Fprintf(stdout, "planned %s from %s in %s as %s (seed %s): %s\n"+
				"next: splitdata run-shard --plan %s --shard-index I   (I = 0 to %d), then: splitdata merge %s\n",
				counted(p.Rows, "row"), counted(len(p.Inputs), "input file"), counted(len(p.Units), "work unit"), counted(len(p.Shards), "shard"),
				p.Seed, planPath, planPath, len(p.Shards)-1, cfg.Out)
			return err
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&shards, "shards", 0, "number of independent shard tasks (required)")
	fl.StringVar(&f.ratios, "ratios", "", "split names and shares, in order, e.g. train=0.8,valid=0.1,test=0.1 (default train=0.8,test=0.2)")
	fl.StringVar(&f.testSize, "test-size", "", "test share (0 < p < 1) or row count; the rest is train, as in scikit-learn")
	fl.StringVar(&f.sizes, "sizes", "", "exact row counts per split, e.g. train=80000,test=20000 (rows beyond their sum go nowhere)")
	fl.BoolVar(&f.approx, "approx", false, "assign rows independently by key range: sizes approximately proportional")
	fl.BoolVar(&f.indexOnly, "index-only", false, "write each split's global row indices (one int64 column \"row\") instead of its rows")
	f.addCommonFlags(fl)
	// Registered with the split flags, refused (see RunE): not in the help.
	_ = fl.MarkHidden("report")
	return cmd
}

// shardIndexEnv are the environment variables a job-array engine sets to a
// task's index, in the order run-shard consults them; empty counts as unset.
var shardIndexEnv = []string{"SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"}

func newRunShardCmd(stdout io.Writer, log *logger) *cobra.Command {
	var planPath, memory string
	var index, workers int
	var quiet, jsonOut bool
	var step stepFlags
	cmd := &cobra.Command{
		Use:   "run-shard --plan DIR/plan.json [--shard-index I]",
		Short: "Run one shard of a plan (a Slurm array task, a Kubernetes indexed job pod)",
		Long: `Run-shard reads the shard's units of the inputs and writes the output row groups
it owns, with a record of their hashes, to DIR/.shards/shard-NNNNN, atomically.
Running a shard again (a retried or requeued task) is safe: it writes the same
bytes and replaces the earlier result.

Without --shard-index, the index comes from SLURM_ARRAY_TASK_ID (Slurm job
arrays), then JOB_COMPLETION_INDEX (Kubernetes Indexed Jobs).`,
		Example: `  splitdata run-shard --plan splits/plan.json --shard-index 2
  SLURM_ARRAY_TASK_ID=2 splitdata run-shard --plan splits/plan.json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if planPath == "" {
				return usagef("--plan is required")
			}
			planPath = localPath(planPath)
			if !cmd.Flags().Changed("shard-index") {
				found := false
				for _, name := range shardIndexEnv {
					if v := os.Getenv(name); v != "" {
						i, err := strconv.Atoi(v)
						if err != nil {
							return usagef("%s=%q is not a shard index", name, v)
						}
						index, found = i, true
						break
					}
				}
				if !found {
					return usagef("no --shard-index, and neither %s nor %s is set", shardIndexEnv[0], shardIndexEnv[1])
				}
			}
			if err := checkWorkers(workers); err != nil {
				return err
			}
			budget, onBudget, err := memoryBudget(memory)
			if err != nil {
				return err
			}
			done, err := withBar(log, quiet, func(p pipeline.Progress) (*pipeline.ShardDone, error) {
				cfg := pipeline.ShardConfig{Plan: planPath, Index: index, Workers: workers, Progress: p,
					MemoryLimit: budget, OnBudget: onBudget}
				if isBucket(planPath) {
					return bucketShard(cmd.Context(), cfg)
				}
				var locs locations
				defer locs.release(context.WithoutCancel(cmd.Context()))
				cfg.OpenObject = locs.opener()
				return pipeline.RunShard(cmd.Context(), cfg)
			})
			if err != nil {
				return err
			}
			var rows int64
			for _, g := range done.Groups {
				rows += g.Rows
			}
			if step.resultJSON != "" {
				r := stepResult{Command: "run-shard", Version: pipeline.Version, Algorithm: pipeline.AlgorithmVersion,
					Plan: shownLocation(planPath), Out: locationDir(planPath), Rows: rows, Shard: &index, Groups: len(done.Groups)}
				if err := writeResult(step.resultJSON, r); err != nil {
					return err
				}
			}
			if jsonOut {
				return printJSON(stdout, done)
			}
			if quiet {
				return nil
			}
			_, err = fmt.Fprintf(stdout, "shard %d: wrote %s, %s\n", index, counted(len(done.Groups), "row group"), counted(rows, "row"))
			return err
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&planPath, "plan", "", "the plan file written by splitdata plan (required)")
	fl.IntVar(&index, "shard-index", 0, "the shard to run, from 0 (default: $SLURM_ARRAY_TASK_ID, then $JOB_COMPLETION_INDEX)")
	fl.IntVar(&workers, "workers", 0, "goroutines reading and encoding (default: number of CPUs; at most 256); never changes the output")
	fl.StringVar(&memory, "memory", "", "memory budget of the whole process, as for split: an eighth of it, at most 32MiB, is left to the process's baseline; the shard's units, rows and row groups in flight are sized from the rest, which is also the Go runtime's soft limit unless GOMEMLIMIT is set; never changes the output (default 240MiB, raised to what the shard's output row groups need)")
	fl.BoolVar(&jsonOut, "json", false, "print the shard's record (row groups and hashes) as JSON")
	step.addResultFlag(fl)
	fl.BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors (and no progress bar)")
	return cmd
}

func newMergeCmd(stdout io.Writer, log *logger) *cobra.Command {
	var quiet, jsonOut bool
	var step stepFlags
	var memory string
	cmd := &cobra.Command{
		Use:   "merge DIR",
		Short: "Merge the finished shards of a plan into the final split output",
		Long: `Merge checks that every shard of DIR/plan.json finished and wrote what the plan
says (otherwise it fails, listing the missing or damaged shards: run them
again), then writes the final files and DIR/manifest.json: the same names and
bytes as 'splitdata split' with the plan's options. DIR is replaced atomically
by the merged output (plan.json is kept, the shards' outputs removed).`,
		Example: `  splitdata merge splits && splitdata verify splits`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("merge takes one directory, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if _, err := step.check(false); err != nil {
				return err
			}
			if step.ifExists == ifExistsOverwrite {
				return usagef("merge takes --if-exists error or skip: to merge again, plan again")
			}
			budget, _, err := memoryBudget(memory)
			if err != nil {
				return err
			}
			dir := localPath(args[0])
			bucket := isBucket(dir)
			if !bucket {
				if err := checkMergeDir(dir); err != nil {
					return err
				}
			}
			m, err := withBar(log, quiet, func(p pipeline.Progress) (*pipeline.Manifest, error) {
				cfg := pipeline.MergeConfig{Dir: dir, Progress: p, MemoryLimit: budget}
				if bucket {
					return bucketMergeStep(cmd.Context(), &step, log, cfg)
				}
				var locs locations
				defer locs.release(context.WithoutCancel(cmd.Context()))
				cfg.OpenObject = locs.opener()
				return runStep(cmd.Context(), &step, log, dir, cfg, pipeline.Merge)
			})
			if err != nil {
				return err
			}
			if step.resultJSON != "" {
				if err := writeResult(step.resultJSON, manifestResult("merge", shownLocation(dir), m, step.skipped)); err != nil {
					return err
				}
			}
			if jsonOut {
				return printJSON(stdout, m)
			}
			if quiet {
				return nil
			}
			return printSummary(stdout, shownLocation(dir), m)
		},
	}
	cmd.Flags().StringVar(&memory, "memory", "", "memory budget of the whole process: a merge holds one row group at a time, and refuses one larger than half of it; less an eighth of it (at most 32MiB) for the process's baseline, also the Go runtime's soft limit unless GOMEMLIMIT is set (default 240MiB)")
	cmd.Flags().BoolVar(&jsonOut, "json", false, "print the manifest as JSON on stdout instead of the summary table")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors (and no progress bar)")
	step.addFlags(cmd.Flags())
	return cmd
}

// checkMergeDir says what the local DIR given to merge is when it cannot
// be a plan's directory: missing, a file, a finished output or a directory
// without a plan, in the words verify uses for a DIR that is not an
// output. A DIR holding a plan is left to merge.
func checkMergeDir(dir string) error {
	const next = "; merge takes the --out of 'splitdata plan INPUT... --out DIR --shards N'"
	st, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s: not a plan to merge: no such directory%s", dir, next)
	case err != nil:
		return nil // merge says why it cannot be read
	case !st.IsDir():
		return fmt.Errorf("%s: not a plan to merge: a file, not a directory%s", dir, next)
	}
	if _, err := os.Stat(filepath.Join(dir, pipeline.PlanName)); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if _, err := os.Stat(filepath.Join(dir, pipeline.ManifestName)); err == nil {
		return fmt.Errorf("%s: not a plan to merge: no %s, and its %s is a finished output (check it with splitdata verify %s)", dir, pipeline.PlanName, pipeline.ManifestName, dir)
	}
	return fmt.Errorf("%s: not a plan to merge: no %s in it%s", dir, pipeline.PlanName, next)
}

// withBar runs fn with its progress shown on stderr (see newProgress),
// unless quiet.
func withBar[T any](log *logger, quiet bool, fn func(pipeline.Progress) (T, error)) (T, error) {
	view := newProgress(log, quiet)
	if view == nil {
		return fn(nil)
	}
	v, err := fn(view)
	view.finish(err == nil)
	return v, err
}

// printJSON prints v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// memoryBudget parses the --memory of a command that is not a split job
// (run-shard, merge, verify, inspect): "" is the default (0, which the
// pipeline takes as pipeline.DefaultMemoryLimit). It sets the Go
// runtime's soft memory limit to the budget less its reserve for the
// process's baseline (pipeline.MemoryReserve), unless the user set one with
// GOMEMLIMIT, as split does (see setMemoryLimit), and returns the budget
// and the OnBudget that moves the limit to the budget a job settles on.
func memoryBudget(flag string) (int64, func(bytes int64), error) {
	var memory int64
	if flag != "" {
		n, err := humanize.ParseBytes(flag)
		if err != nil || n == 0 || n > math.MaxInt64 {
			return 0, nil, usagef("--memory %q: want a positive size such as 512MiB or 4GB", flag)
		}
		memory = int64(n)
	}
	return memory, setMemoryLimit(pipeline.SplitConfig{JobOptions: pipeline.JobOptions{MemoryLimit: memory}}), nil
}
