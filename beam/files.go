package splitbeam

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/splitter"
)

func init() {
	register.DoFn2x2[context.Context, int, int, error](&shardFn{})
	register.DoFn2x2[context.Context, int, string, error](&mergeFn{})
	register.Function2x1(addCounts)
}

// FilesConfig describes a split of files run as Beam transforms
// ([SplitFiles]).
type FilesConfig struct {
	// Split is the job, as for [pipeline.Split] and `splitdata split`:
	// inputs, output directory, seed, splits and output options. Inputs
	// and Out must be on a file system every worker mounts at the same
	// path (NFS, a cloud file store, a FUSE-mounted bucket); relative
	// paths are resolved against the launcher's working directory. The
	// job must be one `splitdata plan` takes: exact or approximate splits
	// in input order, Parquet output (no Shuffle, Group, Stratify or
	// Compat). Progress is not used. An empty Parquet.Compression is
	// the default codec, recorded by its name as the CLI does.
	Split pipeline.SplitConfig
	// Shards is the number of shards, at least 1 and at most
	// [pipeline.MaxShards]; 0 means 1.
	Shards int
	// Workers is the number of goroutines each shard uses, as for
	// `run-shard --workers`; 0 means the worker's CPUs.
	Workers int
}

// SplitFiles splits files as `splitdata split` does, in three steps: it
// plans the job on the launcher, now, from the inputs' footers
// ([pipeline.CreatePlan]: cfg.Split.Out/plan.json); the pipeline then runs
// each shard in a DoFn ([pipeline.RunShard]) and, once every shard is
// done, merges them ([pipeline.Merge]). The output files have the same
// names and bytes as `splitdata split` of the same inputs with the same
// options; the manifest too, except for its created time, and plan.json
// stays beside it. It returns a PCollection holding the manifest's path
// once the merge is done.
//
// A runner may retry any step: a shard rerun replaces its earlier output
// atomically with the same bytes, and a merge rerun after a committed
// merge of the same plan succeeds without writing. It panics on an
// invalid job or unreadable inputs, as Beam's transforms do; see
// [TrySplitFiles].
func SplitFiles(s beam.Scope, cfg FilesConfig) beam.PCollection {
	out, err := TrySplitFiles(s, cfg)
	if err != nil {
		panic(err)
	}
	return out
}

// TrySplitFiles is [SplitFiles] returning the planning's errors (usage
// errors wrapping [splitter.ErrUsage], bad inputs as
// [*sources.InputError], an existing output) instead of panicking.
func TrySplitFiles(s beam.Scope, cfg FilesConfig) (beam.PCollection, error) {
	switch {
	case cfg.Shards < 0 || cfg.Shards > pipeline.MaxShards:
		return beam.PCollection{}, fmt.Errorf("%w: splitbeam: %d shards: want 1 to %d", splitter.ErrUsage, cfg.Shards, pipeline.MaxShards)
	case cfg.Workers < 0 || cfg.Workers > pipeline.MaxWorkers:
		return beam.PCollection{}, fmt.Errorf("%w: splitbeam: %d workers: want 0 to %d", splitter.ErrUsage, cfg.Workers, pipeline.MaxWorkers)
	case cfg.Split.Seed == "":
		// A seed drawn here would be recorded in the plan, but a rerun of
		// the launcher would draw another: ask for one, as the docs do.
		return beam.PCollection{}, fmt.Errorf("%w: splitbeam: SplitFiles needs a seed", splitter.ErrUsage)
	}
	shards := max(cfg.Shards, 1)
	split := cfg.Split
	split.Progress = nil
	if split.Parquet.Compression == "" {
		// The codec is recorded in the manifest by name, as the CLI names
		// its default.
		split.Parquet.Compression = sinks.DefaultCompression
	}
	if _, err := pipeline.CreatePlan(context.Background(), split, shards); err != nil {
		return beam.PCollection{}, fmt.Errorf("splitbeam: plan: %w", err)
	}
	dir, err := filepath.Abs(split.Out)
	if err != nil {
		return beam.PCollection{}, err
	}
	planPath := filepath.Join(dir, pipeline.PlanName)
	_, data, err := pipeline.ReadPlan(planPath)
	if err != nil {
		return beam.PCollection{}, fmt.Errorf("splitbeam: %w", err)
	}
	sum := sha256.Sum256(data)
	planSum := hex.EncodeToString(sum[:])

	s = s.Scope("splitdata.SplitFiles")
	indices := make([]int, shards)
	for k := range indices {
		indices[k] = k
	}
	// The reshuffle lets the runner spread the shards over its workers
	// instead of running them in the bundle that created them.
	work := beam.Reshuffle(s, beam.CreateList(s, indices))
	done := beam.ParDo(s, &shardFn{Plan: planPath, PlanSHA256: planSum, Workers: cfg.Workers}, work)
	count := beam.Combine(s, addCounts, beam.ParDo(s, countShard, done))
	return beam.ParDo(s, &mergeFn{Dir: dir, PlanSHA256: planSum, Shards: shards}, count), nil
}

func init() { register.Function1x1(countShard) }

// countShard counts a finished shard.
func countShard(int) int { return 1 }

// addCounts adds up finished shards.
func addCounts(a, b int) int { return a + b }

// testHookShard, when set by a test, is called as a shard starts and ends
// (in the test's process: Prism runs the DoFns in it).
var testHookShard func(k int, start bool)

// shardFn runs the shards of a plan.
type shardFn struct {
	// Plan is the plan file's absolute path, PlanSHA256 the SHA-256 in hex
	// of the plan the launcher wrote.
	Plan       string `json:"plan"`
	PlanSHA256 string `json:"plan_sha256"`
	Workers    int    `json:"workers"`
}

// ProcessElement runs shard k and returns k once its output is committed,
// or at once when the job is already merged. A shard that ran another plan (the directory replaced by a new launch)
// is an error: its output is not what this pipeline's merge expects.
func (f *shardFn) ProcessElement(ctx context.Context, k int) (int, error) {
	if hook := testHookShard; hook != nil {
		hook(k, true)
		defer hook(k, false)
	}
	dir := filepath.Dir(f.Plan)
	if _, err := os.Stat(filepath.Join(dir, pipeline.ManifestName)); err == nil {
		// A late attempt (a zombie worker's): the merge has consumed
		// every shard and committed; running would litter the output.
		m := &mergeFn{Dir: dir, PlanSHA256: f.PlanSHA256}
		if merged, err := m.mergedBefore(); err != nil {
			return 0, fmt.Errorf("splitbeam: shard %d: %w", k, err)
		} else if merged {
			return k, nil
		}
	}
	done, err := pipeline.RunShard(ctx, pipeline.ShardConfig{Plan: f.Plan, Index: k, Workers: f.Workers})
	if err != nil {
		return 0, fmt.Errorf("splitbeam: shard %d: %w", k, err)
	}
	if done.PlanSHA256 != f.PlanSHA256 {
		return 0, fmt.Errorf("splitbeam: shard %d: %s is not the plan this pipeline made (sha256 %.12s, launched with %.12s)", k, f.Plan, done.PlanSHA256, f.PlanSHA256)
	}
	return k, nil
}

// mergeFn merges the shards once all are done.
type mergeFn struct {
	Dir        string `json:"dir"`
	PlanSHA256 string `json:"plan_sha256"`
	Shards     int    `json:"shards"`
}

// ProcessElement merges the job's shards, given how many finished, and
// returns the manifest's path. A retry of a merge that committed finds the
// manifest beside the same plan and succeeds.
func (f *mergeFn) ProcessElement(ctx context.Context, finished int) (string, error) {
	if finished != f.Shards {
		return "", fmt.Errorf("splitbeam: merge: %d of %d shards finished", finished, f.Shards)
	}
	manifest := filepath.Join(f.Dir, pipeline.ManifestName)
	_, err := pipeline.Merge(ctx, pipeline.MergeConfig{Dir: f.Dir})
	if errors.Is(err, pipeline.ErrOutputExists) {
		if merged, perr := f.mergedBefore(); perr != nil {
			return "", fmt.Errorf("splitbeam: merge: %w (%v)", err, perr)
		} else if merged {
			return manifest, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("splitbeam: merge: %w", err)
	}
	return manifest, nil
}

// mergedBefore reports whether the directory holds a committed merge of
// this pipeline's plan.
func (f *mergeFn) mergedBefore() (bool, error) {
	if _, err := os.Stat(filepath.Join(f.Dir, pipeline.ManifestName)); err != nil {
		return false, err
	}
	_, data, err := pipeline.ReadPlan(filepath.Join(f.Dir, pipeline.PlanName))
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(data)
	want, err := hex.DecodeString(f.PlanSHA256)
	if err != nil {
		return false, err
	}
	if !bytes.Equal(sum[:], want) {
		return false, fmt.Errorf("%s holds another plan's output", f.Dir)
	}
	return true, nil
}
