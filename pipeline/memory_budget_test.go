package pipeline_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
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
// check gives the same verdict. 1.5 MiB is about the least that leaves the
// boundary search its least tuning beside the file's read buffers; 64 KiB
// is refused, naming a --memory that would do.
func TestVerifyUsesBudget(t *testing.T) {
	const rows = 200_000 // 800 KB of class ids, more than half the heap budget
	in := genInput(t, rows, 2, 25_000)
	three, err := splitter.ParseRatios("train=0.7,valid=0.2,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "8", Splits: three, Stratify: "label"})
	_, err = pipeline.VerifyWithConfig(t.Context(), pipeline.VerifyConfig{Dir: out, Inputs: []string{in}, MemoryLimit: 64 << 10})
	if !errors.Is(err, pipeline.ErrTooLarge) || !strings.Contains(err.Error(), "use --memory") {
		t.Errorf("VerifyWithConfig under 64 KiB: err %v, want ErrTooLarge naming a --memory", err)
	}
	for _, memory := range []int64{0, 1536 << 10} {
		t.Run(fmt.Sprint(memory), func(t *testing.T) {
			r, err := pipeline.VerifyWithConfig(t.Context(), pipeline.VerifyConfig{Dir: out, Inputs: []string{in}, MemoryLimit: memory})
			if err != nil {
				t.Fatalf("VerifyWithConfig: %v (%v)", err, r.Problems)
			}
			if !r.RowsChecked || r.Rows != rows {
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

// A unit that cannot be cut (an Arrow record batch on the row path) and
// takes more than half of --memory decoded is refused before any work,
// naming the file and the record batch; under a budget that holds it the
// same job runs. On the columnar path (any output format since Arrow, CSV
// and JSON Lines encode batches) the same record batch, uncompressed, is
// cut into units read from the bytes of their rows
// (sources.Arrow.ReadsRanges): it runs under the small budget, to the
// bytes it gives read whole.
func TestUnitOverBudgetRefused(t *testing.T) {
	in := genInput(t, 200_000, 1, 200_000)
	arrowDir := filepath.Join(t.TempDir(), "arrow")
	opts := pipeline.JobOptions{RowGroupRows: 200_000, Format: "arrow", MemoryLimit: 1 << 30}
	if _, err := pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{in}, Out: arrowDir, Seed: "1", JobOptions: opts}); err != nil {
		t.Fatal(err)
	}
	batch := filepath.Join(arrowDir, "part-00000.arrow")
	split := func(format string, memory int64, rowPath bool) (string, error) {
		defer pipeline.SetRowPath(rowPath)()
		out := filepath.Join(t.TempDir(), "out")
		o := pipeline.JobOptions{RowGroupRows: 1000, MemoryLimit: memory, Format: format}
		_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{batch}, Out: out, Seed: "2", JobOptions: o})
		return out, err
	}
	_, err := split("arrow", 40<<20, true)
	if !errors.Is(err, pipeline.ErrTooLarge) || !strings.Contains(err.Error(), "part-00000.arrow: record batch 0") || !strings.Contains(err.Error(), "use --memory") {
		t.Fatalf("err = %v, want ErrTooLarge naming the file and record batch 0", err)
	}
	for _, format := range []string{"arrow", "parquet"} {
		whole, err := split(format, 256<<20, true)
		if err != nil {
			t.Fatalf("%s, row path, under 256 MiB: %v", format, err)
		}
		cut, err := split(format, 40<<20, false)
		if err != nil {
			t.Fatalf("%s, columnar path, under 40 MiB: %v", format, err)
		}
		for _, name := range []string{"train/part-00000.", "test/part-00000."} {
			name += format
			a, errA := os.ReadFile(filepath.Join(whole, name))
			b, errB := os.ReadFile(filepath.Join(cut, name))
			if errA != nil || errB != nil || !bytes.Equal(a, b) {
				t.Fatalf("%s: the record batch cut into units wrote other bytes (%v, %v)", name, errA, errB)
			}
		}
	}
}

// The boundary search of --stratify, --order-by and --ratio-by rows takes
// half of what the per-row state leaves of the heap budget, and a refusal
// of its budget names a --memory under which it gets what it needs.
func TestSearchMemory(t *testing.T) {
	for _, tc := range []struct {
		memory, held, want int64
	}{
		{0, 40 << 20, 0}, // no budget, no bound
		{240 << 20, 40 << 20, (pipeline.HeapBudget(240<<20) - 40<<20) / 2}, // the default
		{128 << 20, 0, pipeline.HeapBudget(128<<20) / 2},                   // the state in a file
		{64 << 20, 64 << 20, 1},                                            // nothing left
	} {
		if got := pipeline.SearchMemory(tc.memory, tc.held); got != tc.want {
			t.Errorf("SearchMemory(%d, %d) = %d, want %d", tc.memory, tc.held, got, tc.want)
		}
	}
	const held, classes, targets = 40 << 20, 1000, 2000
	err := pipeline.SearchError(fmt.Errorf("search: %w", splitter.ErrTooLarge), 48<<20, held, classes, targets)
	var mib int64
	if !errors.Is(err, pipeline.ErrTooLarge) || !errors.Is(err, splitter.ErrTooLarge) {
		t.Fatalf("err %v, want pipeline.ErrTooLarge and splitter.ErrTooLarge", err)
	}
	if _, serr := fmt.Sscanf(err.Error()[strings.Index(err.Error(), "use --memory"):], "use --memory %d MiB", &mib); serr != nil {
		t.Fatalf("err %v: no --memory to use: %v", err, serr)
	}
	if got := pipeline.SearchMemory(mib<<20, held); got < splitter.MinSearchMemory(classes, targets) {
		t.Errorf("--memory %d MiB leaves the search %d bytes, less than the %d it needs", mib, got, splitter.MinSearchMemory(classes, targets))
	}
	if other := errors.New("read failed"); pipeline.SearchError(other, 48<<20, held, classes, targets) != other {
		t.Errorf("SearchError changed an error that is not a refusal of the budget")
	}
}
