package pipeline_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// run-shard sizes its work from its budget as split does: under a budget
// its held row groups do not fit it streams them (the same bytes as a
// split), reports the budget, and refuses one too small for either way.
func TestRunShardUsesBudget(t *testing.T) {
	in := genInput(t, 120_000, 2, 60_000) // a row group per shard
	cfg := pipeline.SplitConfig{Inputs: []string{in}, Seed: "4", JobOptions: pipeline.JobOptions{RowGroupRows: 60_000}}
	cfg.Out = filepath.Join(t.TempDir(), "single")
	want := runSplit(t, cfg)

	cfg.Out = filepath.Join(t.TempDir(), "sharded")
	if _, err := pipeline.CreatePlan(t.Context(), cfg, 2); err != nil {
		t.Fatal(err)
	}
	plan := filepath.Join(cfg.Out, pipeline.PlanName)
	_, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan, Index: 0, MemoryLimit: 4 << 20})
	if !errors.Is(err, pipeline.ErrTooLarge) || !strings.Contains(err.Error(), "use --memory") {
		t.Fatalf("RunShard under 4 MiB: err = %v, want ErrTooLarge saying which --memory would do", err)
	}
	// Too little to hold the output row groups (with the reserve of the
	// process's baseline), enough to stream them.
	const budgetMem = 60 << 20
	streamed := 0
	restore := pipeline.OnStreams(func() { streamed++ })
	defer restore()
	for k := range 2 {
		var budget int64
		_, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan, Index: k, Workers: 2, MemoryLimit: budgetMem,
			OnBudget: func(n int64) { budget = n }})
		if err != nil {
			t.Fatalf("RunShard(%d) under %d MiB: %v", k, budgetMem>>20, err)
		}
		if budget != budgetMem {
			t.Fatalf("RunShard(%d): OnBudget got %d, want %d", k, budget, budgetMem)
		}
	}
	if streamed != 2 {
		t.Fatalf("%d of 2 shards streamed their row groups under %d MiB", streamed, budgetMem>>20)
	}
	got, err := pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: cfg.Out})
	if err != nil {
		t.Fatal(err)
	}
	if fingerprint(got) != fingerprint(want) {
		t.Fatalf("sharded under %d MiB:\n%s\nsplit:\n%s", budgetMem>>20, fingerprint(got), fingerprint(want))
	}
}

// merge holds one shard row group at a time: one larger than half its
// budget is refused before it is read, naming its file.
func TestMergeRefusesRowGroupOverBudget(t *testing.T) {
	in := genInput(t, 20_000, 1, 20_000)
	cfg := pipeline.SplitConfig{Inputs: []string{in}, Seed: "4", Out: filepath.Join(t.TempDir(), "sharded")}
	if _, err := pipeline.CreatePlan(t.Context(), cfg, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: filepath.Join(cfg.Out, pipeline.PlanName)}); err != nil {
		t.Fatal(err)
	}
	_, err := pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: cfg.Out, MemoryLimit: 64 << 10})
	if !errors.Is(err, pipeline.ErrTooLarge) || !strings.Contains(err.Error(), ".parquet") || !strings.Contains(err.Error(), "use --memory") {
		t.Fatalf("Merge under 64 KiB: err = %v, want ErrTooLarge naming the row group file", err)
	}
	if _, err := pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: cfg.Out, MemoryLimit: 64 << 20}); err != nil {
		t.Fatalf("Merge under 64 MiB: %v", err)
	}
}

// verify --input keeps a stratified output's per-row state within half
// its budget: under a small budget it goes to a temporary file, and the
// check gives the same verdict.
func TestVerifyUsesBudget(t *testing.T) {
	in := genInput(t, 30_000, 2, 5_000)
	three, err := splitter.ParseRatios("train=0.7,valid=0.2,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "8", Splits: three, Stratify: "label"})
	for _, memory := range []int64{0, 64 << 10} {
		t.Run(fmt.Sprint(memory), func(t *testing.T) {
			r, err := pipeline.VerifyWithConfig(t.Context(), pipeline.VerifyConfig{Dir: out, Inputs: []string{in}, MemoryLimit: memory})
			if err != nil {
				t.Fatalf("VerifyWithConfig: %v (%v)", err, r.Problems)
			}
			if !r.RowsChecked || r.Rows != 30_000 {
				t.Fatalf("report %+v, want every row checked", r)
			}
		})
	}
	if _, err := pipeline.VerifyWithConfig(t.Context(), pipeline.VerifyConfig{Dir: out, MemoryLimit: -1}); !errors.Is(err, pipeline.ErrUsage) {
		t.Fatalf("a negative budget: err = %v, want ErrUsage", err)
	}
}

// inspect refuses a footer larger than half its budget, naming the file.
func TestInspectUsesBudget(t *testing.T) {
	in := genInput(t, 10_000, 1, 100)
	if _, err := pipeline.InspectWithMemory(t.Context(), []string{in}, sources.Options{}, 0); err != nil {
		t.Fatal(err)
	}
	_, err := pipeline.InspectWithMemory(t.Context(), []string{in}, sources.Options{}, 8<<10)
	if !errors.Is(err, pipeline.ErrTooLarge) || !strings.Contains(err.Error(), ".parquet") || !strings.Contains(err.Error(), "footer") {
		t.Fatalf("InspectWithMemory under 8 KiB: err = %v, want ErrTooLarge naming the file and its footer", err)
	}
}

// A unit that cannot be cut (an Arrow record batch is read whole) and
// takes more than half of --memory decoded is refused before any work,
// naming the file and the record batch; under a budget that holds it the
// same job runs.
func TestUnitOverBudgetRefused(t *testing.T) {
	in := genInput(t, 200_000, 1, 200_000)
	arrowDir := filepath.Join(t.TempDir(), "arrow")
	opts := pipeline.JobOptions{RowGroupRows: 200_000, Format: "arrow", MemoryLimit: 1 << 30}
	if _, err := pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{in}, Out: arrowDir, Seed: "1", JobOptions: opts}); err != nil {
		t.Fatal(err)
	}
	batch := filepath.Join(arrowDir, "part-00000.arrow")
	small := pipeline.JobOptions{RowGroupRows: 1000, MemoryLimit: 40 << 20}
	_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{batch}, Out: filepath.Join(t.TempDir(), "out"), Seed: "2", JobOptions: small})
	if !errors.Is(err, pipeline.ErrTooLarge) || !strings.Contains(err.Error(), "part-00000.arrow: record batch 0") || !strings.Contains(err.Error(), "use --memory") {
		t.Fatalf("err = %v, want ErrTooLarge naming the file and record batch 0", err)
	}
	small.MemoryLimit = 256 << 20
	if _, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{batch}, Out: filepath.Join(t.TempDir(), "out"), Seed: "2", JobOptions: small}); err != nil {
		t.Fatalf("under 256 MiB: %v", err)
	}
}
