package pipeline_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// runSharded plans cfg with shards shards, runs every shard (in reverse
// order, to show order does not matter) and merges.
func runSharded(t *testing.T, cfg pipeline.SplitConfig, shards int) *pipeline.Manifest {
	t.Helper()
	if _, err := pipeline.CreatePlan(t.Context(), cfg, shards); err != nil {
		t.Fatalf("CreatePlan: %v", err)
	}
	plan := filepath.Join(cfg.Out, pipeline.PlanName)
	for k := shards - 1; k >= 0; k-- {
		if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan, Index: k, Workers: 1 + k%3}); err != nil {
			t.Fatalf("RunShard(%d): %v", k, err)
		}
	}
	m, err := pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: cfg.Out})
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	return m
}

// TestShardedSameBytesAsSplit checks the scale-out promise: plan, shards
// and merge give the files a single Split gives, byte for byte, for any
// shard count, across exact and approximate splits, file and row-group
// cuts that fall anywhere, a split smaller than a row group and rows in no
// split, more shards than units.
func TestShardedSameBytesAsSplit(t *testing.T) {
	in := genInput(t, 23_456, 3, 1_000)
	cases := []struct {
		name   string
		splits []splitter.Split
		approx bool
		opts   pipeline.JobOptions
	}{
		{"80/20", nil, false, pipeline.JobOptions{RowsPerFile: 5_000, RowGroupRows: 1_500}},
		{"three approx", []splitter.Split{{Name: "a", Ratio: 0.7}, {Name: "b", Ratio: 0.2}, {Name: "c", Ratio: 0.1}}, true, pipeline.JobOptions{RowsPerFile: 4_000, RowGroupRows: 700}},
		{"tiny and unassigned", []splitter.Split{{Name: "big", Rows: 20_000}, {Name: "tiny", Rows: 37}}, false, pipeline.JobOptions{RowGroupRows: 3_000}},
		{"index only", nil, false, pipeline.JobOptions{RowGroupRows: 2_000}},
		{"row index column", nil, false, pipeline.JobOptions{RowIndexColumn: "rid", RowsPerFile: 9_000}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := pipeline.SplitConfig{Inputs: []string{in}, Seed: "42", Splits: tc.splits, Approx: tc.approx, JobOptions: tc.opts}
			cfg.IndexOnly = tc.name == "index only"
			cfg.Out = filepath.Join(t.TempDir(), "single")
			want := runSplit(t, cfg)
			for _, shards := range []int{1, 2, 3, 7, 40} {
				cfg.Out = filepath.Join(t.TempDir(), fmt.Sprintf("sharded-%d", shards))
				got := runSharded(t, cfg, shards)
				if fingerprint(got) != fingerprint(want) {
					t.Fatalf("%d shards:\n%s\nwant (split):\n%s", shards, fingerprint(got), fingerprint(want))
				}
				if _, err := pipeline.Verify(t.Context(), cfg.Out); err != nil {
					t.Fatalf("%d shards: Verify: %v", shards, err)
				}
				if _, err := os.Stat(filepath.Join(cfg.Out, ".shards")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%d shards: shard outputs left after the merge (%v)", shards, err)
				}
				got.Created = want.Created
				a, _ := json.Marshal(got)
				b, _ := json.Marshal(want)
				if string(a) != string(b) {
					t.Errorf("%d shards: manifest differs from split's beyond its time:\n%s\n%s", shards, a, b)
				}
			}
		})
	}
}

func TestMergeNamesMissingAndDamagedShards(t *testing.T) {
	in := genInput(t, 5_000, 2, 500)
	out := filepath.Join(t.TempDir(), "job")
	cfg := pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1", JobOptions: pipeline.JobOptions{RowGroupRows: 400}}
	if _, err := pipeline.CreatePlan(t.Context(), cfg, 4); err != nil {
		t.Fatal(err)
	}
	plan := filepath.Join(out, pipeline.PlanName)
	for _, k := range []int{0, 2, 3} {
		if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan, Index: k}); err != nil {
			t.Fatal(err)
		}
	}
	// Damage a row group of shard 2.
	groups, _ := filepath.Glob(filepath.Join(out, ".shards", "shard-00002", "train", "rg-*.parquet"))
	if len(groups) == 0 {
		t.Fatal("shard 2 wrote no train row groups")
	}
	if err := os.WriteFile(groups[0], []byte("PAR1 damaged"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: out})
	if !errors.Is(err, pipeline.ErrShards) || !strings.Contains(err.Error(), "shard 1: not finished") {
		t.Fatalf("err = %v, want ErrShards naming shard 1", err)
	}
	if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan, Index: 1}); err != nil {
		t.Fatal(err)
	}
	_, err = pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: out})
	if !errors.Is(err, pipeline.ErrShards) || !strings.Contains(err.Error(), "run that shard again") {
		t.Fatalf("err = %v, want ErrShards naming the damaged group", err)
	}
	if _, err := os.Stat(filepath.Join(out, pipeline.ManifestName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a failed merge left a manifest (%v)", err)
	}
	// Running a shard again is safe and repairs it.
	if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan, Index: 2}); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: out}); err != nil {
		t.Fatal(err)
	}
}

func TestShardRefusals(t *testing.T) {
	in := genInput(t, 1_000, 1, 500)
	dir := t.TempDir()
	for name, cfg := range map[string]pipeline.SplitConfig{
		"shuffle": {Shuffle: true},
		"group":   {Group: "user_id"},
	} {
		cfg.Inputs, cfg.Out, cfg.Seed = []string{in}, filepath.Join(dir, name), "1"
		if _, err := pipeline.CreatePlan(t.Context(), cfg, 2); !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%s: err = %v, want a usage error", name, err)
		}
	}
	out := filepath.Join(dir, "ok")
	if _, err := pipeline.CreatePlan(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"}, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: filepath.Join(out, pipeline.PlanName), Index: 2}); !errors.Is(err, pipeline.ErrUsage) {
		t.Errorf("shard 2 of 2: err = %v, want a usage error", err)
	}
	if _, err := pipeline.CreatePlan(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"}, 2); !errors.Is(err, pipeline.ErrOutputExists) {
		t.Errorf("plan over an existing plan: err = %v, want ErrOutputExists", err)
	}
}
