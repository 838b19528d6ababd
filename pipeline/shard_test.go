package pipeline_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
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
	for _, tc := range []struct {
		name   string
		cfg    pipeline.SplitConfig
		shards int
	}{
		{"shuffle", pipeline.SplitConfig{Shuffle: true}, 2},
		{"group", pipeline.SplitConfig{Group: "user_id"}, 2},
		{"no shards", pipeline.SplitConfig{}, 0},
		// More than run-shard takes: refused before a plan is written.
		{"more shards than a plan may have", pipeline.SplitConfig{}, pipeline.MaxShards + 1},
	} {
		cfg := tc.cfg
		cfg.Inputs, cfg.Out, cfg.Seed = []string{in}, filepath.Join(dir, tc.name), "1"
		if _, err := pipeline.CreatePlan(t.Context(), cfg, tc.shards); !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%s: err = %v, want a usage error", tc.name, err)
		}
		if _, err := os.Stat(filepath.Join(cfg.Out, pipeline.PlanName)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: a plan was written (%v)", tc.name, err)
		}
	}
	// The most shards a plan may have: planned, and run-shard takes the last.
	most := filepath.Join(dir, "most")
	if _, err := pipeline.CreatePlan(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: most, Seed: "1"}, pipeline.MaxShards); err != nil {
		t.Fatalf("%d shards: %v", pipeline.MaxShards, err)
	}
	if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: filepath.Join(most, pipeline.PlanName), Index: pipeline.MaxShards - 1}); err != nil {
		t.Errorf("shard %d of %d: %v", pipeline.MaxShards-1, pipeline.MaxShards, err)
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

// writePlan writes p as the plan of a job directory and returns the
// plan's path.
func writePlan(t *testing.T, dir string, p *pipeline.Plan) string {
	t.Helper()
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, pipeline.PlanName)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// realPlan plans a small job and returns its plan, for tests to reshape.
func realPlan(t *testing.T) *pipeline.Plan {
	t.Helper()
	in := genInput(t, 2_000, 2, 500)
	out := filepath.Join(t.TempDir(), "real")
	p, err := pipeline.CreatePlan(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "5"}, 2)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHostilePlanNumbers feeds run-shard and merge plans whose numbers,
// each plausible alone, would make them allocate or loop without bound
// (issue 23, case 9): ParsePlan must refuse each against the plan's own
// totals or a documented cap, before anything is sized from it.
func TestHostilePlanNumbers(t *testing.T) {
	const huge = int64(1_000_000_000_000)
	cases := []struct {
		name   string
		mutate func(p *pipeline.Plan)
		want   string
	}{
		{"one-row files in 1e12-row groups of 1e12 rows", func(p *pipeline.Plan) {
			p.Options.RowsPerFile, p.Options.RowGroupRows = 1, huge
			p.Units = p.Units[:1]
			p.Units[0].Rows, p.Units[0].Counts = huge, []int64{huge, 0}
			p.Inputs = p.Inputs[:1]
			p.Inputs[0].Rows, p.Rows, p.Unassigned, p.Shards = huge, huge, 0, []int{0, 1}
		}, "output row groups"},
		{"files of more row groups than Parquet allows", func(p *pipeline.Plan) {
			p.Options.RowsPerFile, p.Options.RowGroupRows = 1<<30, 1
		}, "at most 32767"},
		{"a million shards", func(p *pipeline.Plan) {
			p.Shards = make([]int, 1<<20)
		}, "1048576 shards"},
		{"unit rows that overflow", func(p *pipeline.Plan) {
			p.Units[1].Rows = 1<<63 - 1
		}, "unit 1"},
		{"counts that overflow", func(p *pipeline.Plan) {
			p.Units[0].Counts = []int64{1<<63 - 1, 1<<63 - 1}
		}, "counts add up to more"},
		{"an input's rows unlike its units'", func(p *pipeline.Plan) {
			p.Inputs[0].Rows += 1_000
		}, "its units"},
		{"a negative row group", func(p *pipeline.Plan) {
			p.Units[0].RowGroup = -1
		}, "row group -1"},
		{"no inputs", func(p *pipeline.Plan) {
			p.Inputs, p.Units, p.Rows, p.Unassigned, p.Shards = nil, nil, 0, 0, []int{0}
		}, "no inputs"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := realPlan(t)
			tc.mutate(p)
			dir := filepath.Join(t.TempDir(), "job")
			path := writePlan(t, dir, p)
			data, _ := os.ReadFile(path)
			if _, err := pipeline.ParsePlan(data); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("ParsePlan: err = %v, want one saying %q", err, tc.want)
			}
			if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: path, Index: 0}); err == nil || !strings.Contains(err.Error(), "invalid plan") {
				t.Errorf("RunShard: err = %v, want an invalid plan", err)
			}
			if _, err := pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: dir}); err == nil || !strings.Contains(err.Error(), "invalid plan") {
				t.Errorf("Merge: err = %v, want an invalid plan", err)
			}
		})
	}
}

// TestReadPlanRefusesHugeFile: a plan file over MaxPlanBytes is refused
// from its size, not read.
func TestReadPlanRefusesHugeFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), pipeline.PlanName)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(pipeline.MaxPlanBytes + 1); err != nil { // sparse
		t.Fatal(err)
	}
	f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, err = pipeline.ReadPlan(path)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "more than the") {
		t.Fatalf("err = %v, want a refusal of the file's size", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("refusing a %d-byte plan allocated %d bytes", pipeline.MaxPlanBytes+1, got)
	}
}

// TestMergeWorkIsLinearInShards: the merge matches row groups to shards
// in one pass, so a plan of many shards and many units costs memory in
// proportion to their sum. It used to lay out every split anew for each
// shard: 10,000 shards of 10,000 units allocated 1.6 GB (and a million
// shards ran for minutes).
func TestMergeWorkIsLinearInShards(t *testing.T) {
	const units, shards = 10_000, 10_000
	p := realPlan(t)
	p.Options.Approx, p.Boundaries = true, nil
	p.Inputs = p.Inputs[:1]
	p.Units = p.Units[:0]
	for u := range units {
		p.Units = append(p.Units, pipeline.PlanUnit{Input: 0, RowGroup: u, Start: int64(u) * 10, Rows: 10, Counts: []int64{8, 2}})
	}
	p.Inputs[0].Rows, p.Rows, p.Unassigned = units*10, units*10, 0
	p.Shards = make([]int, shards)
	for k := range p.Shards {
		p.Shards[k] = k * units / shards
	}
	dir := filepath.Join(t.TempDir(), "job")
	writePlan(t, dir, p)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: dir})
	runtime.ReadMemStats(&after)
	if !errors.Is(err, pipeline.ErrShards) || !strings.Contains(err.Error(), fmt.Sprintf("%d of %d shards", shards, shards)) {
		t.Fatalf("err = %.200v, want every shard named unfinished", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
		t.Errorf("merge of %d shards over %d units allocated %d MiB, want under 64 MiB", shards, units, got>>20)
	}
}

// TestWorkersCap: --workers above MaxWorkers is a usage error before any
// worker starts (issue 23, case 9: 1e8 workers on 1,000 rows grew past
// 7 GB).
func TestWorkersCap(t *testing.T) {
	cfg := pipeline.SplitConfig{Inputs: []string{"x"}, Out: "y", JobOptions: pipeline.JobOptions{Workers: 100_000_000}}
	if err := cfg.Validate(); !errors.Is(err, pipeline.ErrUsage) || !strings.Contains(err.Error(), "at most 256") {
		t.Fatalf("Validate: err = %v, want a usage error naming the cap", err)
	}
	cfg.Workers = pipeline.MaxWorkers
	if err := cfg.Validate(); err != nil {
		t.Errorf("Validate with %d workers: %v", cfg.Workers, err)
	}
	p := realPlan(t)
	path := writePlan(t, filepath.Join(t.TempDir(), "job"), p)
	if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: path, Workers: 100_000_000}); !errors.Is(err, pipeline.ErrUsage) {
		t.Errorf("RunShard: err = %v, want a usage error", err)
	}
}

// TestRowGroupLimitUpFront: options that make more row groups per file
// than a Parquet file holds fail validation at once, naming the limit and
// the fix, instead of after writing 32,767 row groups (issue 23, case 13).
func TestRowGroupLimitUpFront(t *testing.T) {
	cases := []struct {
		rowsPerFile, rowGroupRows int64
		format                    string
		want                      string // "" means valid
	}{
		{0, 1, "", "raise --row-group-rows to at least 33 or lower --rows-per-file to at most 32767"},
		{0, 33, "", ""},
		{0, 32, "", "at least 33"},
		{32_767, 1, "", ""},
		{32_768, 1, "", "at most 32767"},
		{1 << 40, 1 << 20, "", "at most 34358689792"},
		{0, 1, "csv", ""}, // no row groups in CSV
	}
	for _, tc := range cases {
		cfg := pipeline.SplitConfig{Inputs: []string{"x"}, Out: "y",
			JobOptions: pipeline.JobOptions{RowsPerFile: tc.rowsPerFile, RowGroupRows: tc.rowGroupRows, Format: tc.format}}
		err := cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("rows per file %d, row group rows %d: %v", tc.rowsPerFile, tc.rowGroupRows, err)
		case tc.want != "" && (!errors.Is(err, pipeline.ErrUsage) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("rows per file %d, row group rows %d: err = %v, want a usage error saying %q", tc.rowsPerFile, tc.rowGroupRows, err, tc.want)
		}
	}
}

// writeCSV writes rows rows of "id,v" to path, ids from first, every v
// the letter v: files of the same rows and size differ only in v.
func writeCSV(t *testing.T, path string, first, rows int, v byte) {
	t.Helper()
	var b strings.Builder
	b.WriteString("id,v\n")
	for i := range rows {
		fmt.Fprintf(&b, "%07d,%c\n", first+i, v)
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestShardRefusesChangedInput: an input replaced between two shards by a
// file of the same size and rows used to give a merged output of both
// versions, and merge and verify exited 0 (issue 23, case 3). The plan
// records each input's modification time and the hash of its ends, and
// run-shard and merge refuse an input that differs, naming it and what
// changed.
func TestShardRefusesChangedInput(t *testing.T) {
	cases := []struct {
		name   string
		change func(t *testing.T, path string, first int) // rewrites the input at path
		want   string
	}{
		{"same size and rows, mtime kept", func(t *testing.T, path string, first int) {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			writeCSV(t, path, first, 10_000, 'z')
			if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
				t.Fatal(err)
			}
		}, "other contents"},
		{"touched", func(t *testing.T, path string, _ int) {
			later := time.Now().Add(time.Hour)
			if err := os.Chtimes(path, later, later); err != nil {
				t.Fatal(err)
			}
		}, "modified at"},
		{"grown", func(t *testing.T, path string, first int) {
			writeCSV(t, path, first, 10_001, 'a')
		}, "10001 rows, the plan saw 10000"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
			writeCSV(t, a, 0, 10_000, 'a')
			writeCSV(t, b, 10_000, 10_000, 'a')
			out := filepath.Join(dir, "job")
			p, err := pipeline.CreatePlan(t.Context(), pipeline.SplitConfig{Inputs: []string{a, b}, Out: out, Seed: "9", JobOptions: pipeline.JobOptions{RowGroupRows: 1_000}}, 2)
			if err != nil {
				t.Fatal(err)
			}
			if p.Shards[1] == 0 || p.Units[p.Shards[1]].Input != 1 {
				t.Fatalf("shard 1 should start in b.csv: units %+v, shards %v", p.Units, p.Shards)
			}
			plan := filepath.Join(out, pipeline.PlanName)
			if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan, Index: 0}); err != nil {
				t.Fatal(err)
			}
			tc.change(t, b, 10_000)
			_, err = pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan, Index: 1})
			if !errors.Is(err, sources.ErrChanged) || !strings.Contains(err.Error(), b) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("shard 1 after b.csv changed: err = %v, want ErrChanged naming %s and saying %q", err, b, tc.want)
			}
			if _, err := pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: out}); !errors.Is(err, pipeline.ErrShards) {
				t.Fatalf("merge without shard 1: err = %v, want ErrShards", err)
			}
			// The first input's schema and metadata go into every footer:
			// the merge checks it too.
			tc.change(t, a, 0)
			writeCSV(t, b, 10_000, 10_000, 'a') // b back, but not its mtime
			if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan, Index: 1}); !errors.Is(err, sources.ErrChanged) {
				t.Fatalf("shard 1 after a.csv changed: err = %v, want ErrChanged", err)
			}
		})
	}
}

// TestMergeRefusesChangedFirstInput: the merge reads the first input's
// schema and metadata for every footer, so it refuses that input changed
// after the shards ran.
func TestMergeRefusesChangedFirstInput(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.csv")
	writeCSV(t, a, 0, 3_000, 'a')
	out := filepath.Join(dir, "job")
	if _, err := pipeline.CreatePlan(t.Context(), pipeline.SplitConfig{Inputs: []string{a}, Out: out, Seed: "9"}, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: filepath.Join(out, pipeline.PlanName), Index: 0}); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(a)
	writeCSV(t, a, 0, 3_000, 'q')
	if err := os.Chtimes(a, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
	_, err := pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: out})
	if !errors.Is(err, sources.ErrChanged) || !strings.Contains(err.Error(), a) || !strings.Contains(err.Error(), "other contents") {
		t.Fatalf("err = %v, want ErrChanged naming %s", err, a)
	}
	if _, err := os.Stat(filepath.Join(out, pipeline.ManifestName)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a refused merge left a manifest (%v)", err)
	}
}
