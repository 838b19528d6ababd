package splitbeam

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// bigJob is the data of the SplitFiles tests: 1M rows of `splitdata gen`
// in 6 files, split once by the CLI.
var bigJob struct {
	once     sync.Once
	dir      string // holds data/ and cli/; TestMain removes it
	ready    bool   // both were made
	failures string
}

// The options of the big job, for the CLI and for SplitFiles.
const (
	bigSeed   = "42"
	bigRatios = "train=0.8,valid=0.1,test=0.1"
)

// bigInputs generates the big job's inputs and the CLI's split of them,
// once per test binary, and returns the directory holding data/ and cli/.
func bigInputs(t *testing.T) string {
	t.Helper()
	bigJob.once.Do(func() {
		dir, err := os.MkdirTemp("", "splitbeam-big-")
		if err != nil {
			bigJob.failures = err.Error()
			return
		}
		bigJob.dir = dir
		run(t, "gen", "--rows", "1000000", "--files", "6", "--seed", "1", "--out", filepath.Join(dir, "data"), "-q")
		run(t, "split", filepath.Join(dir, "data"), "--out", filepath.Join(dir, "cli"), "--seed", bigSeed, "--ratios", bigRatios, "-q")
		bigJob.ready = true
	})
	if bigJob.failures != "" {
		t.Fatal(bigJob.failures)
	}
	if !bigJob.ready {
		t.Fatal("the big job's inputs were not made (an earlier test failed making them)")
	}
	return bigJob.dir
}

// bigConfig is the big job as SplitFiles takes it, written to out.
func bigConfig(t *testing.T, dir, out string, shards int) FilesConfig {
	t.Helper()
	splits, err := splitter.ParseRatios(bigRatios)
	if err != nil {
		t.Fatal(err)
	}
	return FilesConfig{
		Split:   pipeline.SplitConfig{Inputs: []string{filepath.Join(dir, "data")}, Out: out, Seed: bigSeed, Splits: splits},
		Shards:  shards,
		Workers: 1,
	}
}

// treeSums returns the SHA-256 of every regular file under dir, by
// slash-separated relative path.
func treeSums(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	sums := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		sums[filepath.ToSlash(rel)] = sha256.Sum256(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// manifestWithoutCreated is a manifest's JSON less its created time.
func manifestWithoutCreated(t *testing.T, path string) map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if _, ok := m["created"]; !ok {
		t.Fatalf("%s has no created time", path)
	}
	delete(m, "created")
	return m
}

// checkSameAsCLI fails the test unless out holds the CLI's files with the
// same bytes (and plan.json), and a manifest equal to the CLI's but for its
// created time.
func checkSameAsCLI(t *testing.T, cli, out string) {
	t.Helper()
	want, got := treeSums(t, cli), treeSums(t, out)
	if _, ok := got[pipeline.PlanName]; !ok {
		t.Errorf("%s has no %s", out, pipeline.PlanName)
	}
	delete(got, pipeline.PlanName)
	delete(want, pipeline.ManifestName)
	if _, ok := got[pipeline.ManifestName]; !ok {
		t.Fatalf("%s has no manifest: not merged", out)
	}
	delete(got, pipeline.ManifestName)
	var names []string
	for name := range want {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if g, ok := got[name]; !ok {
			t.Errorf("%s missing", name)
		} else if w := want[name]; g != w {
			t.Errorf("%s: sha256 %x, the CLI's %x", name, g[:6], w[:6])
		}
		delete(got, name)
	}
	for name := range got {
		t.Errorf("%s: not in the CLI's output", name)
	}
	if len(names) < 3 {
		t.Errorf("the CLI wrote %d files, want at least one per split", len(names))
	}
	wm := manifestWithoutCreated(t, filepath.Join(cli, pipeline.ManifestName))
	gm := manifestWithoutCreated(t, filepath.Join(out, pipeline.ManifestName))
	wj, _ := json.MarshalIndent(wm, "", " ")
	gj, _ := json.MarshalIndent(gm, "", " ")
	if !bytes.Equal(wj, gj) {
		t.Errorf("manifest differs from the CLI's (created aside):\n%s\nthe CLI's:\n%s", gj, wj)
	}
}

// TestSplitFilesMatchesCLI runs SplitFiles on Prism, 1M rows in 6 files
// as 4 shards, and compares every output byte with `splitdata split`.
func TestSplitFilesMatchesCLI(t *testing.T) {
	dir := bigInputs(t)
	out := filepath.Join(t.TempDir(), "beam")
	p, s := beam.NewPipelineWithRoot()
	manifest, err := TrySplitFiles(s, bigConfig(t, dir, out, 4))
	if err != nil {
		t.Fatal(err)
	}
	checkPlan(t, out, 4)
	var mu sync.Mutex
	running, most := 0, 0
	testHookShard = func(k int, start bool) {
		mu.Lock()
		defer mu.Unlock()
		if start {
			running++
			most = max(most, running)
		} else {
			running--
		}
	}
	defer func() { testHookShard = nil }()
	ptest.RunAndValidate(t, p)
	_ = manifest
	t.Logf("at most %d shards ran at once on %s", most, ptest.DefaultRunner())
	checkSameAsCLI(t, filepath.Join(dir, "cli"), out)
}

// checkPlan checks that the launcher planned shards shards in out.
func checkPlan(t *testing.T, out string, shards int) {
	t.Helper()
	plan, _, err := pipeline.ReadPlan(filepath.Join(out, pipeline.PlanName))
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Shards) != shards {
		t.Fatalf("plan of %d shards, want %d", len(plan.Shards), shards)
	}
	if plan.Rows != 1000000 || len(plan.Inputs) != 6 {
		t.Fatalf("plan of %d rows in %d inputs, want 1000000 in 6", plan.Rows, len(plan.Inputs))
	}
}

// TestShardRetries runs every shard's DoFn, shard 2 three times (a first
// run and two retries), checks that a retry leaves the same bytes, then
// merges twice (the second as a retry of a committed merge) and compares
// with the CLI.
func TestShardRetries(t *testing.T) {
	dir := bigInputs(t)
	out := filepath.Join(t.TempDir(), "beam")
	_, s := beam.NewPipelineWithRoot()
	if _, err := TrySplitFiles(s, bigConfig(t, dir, out, 4)); err != nil {
		t.Fatal(err)
	}
	plan := filepath.Join(out, pipeline.PlanName)
	_, data, err := pipeline.ReadPlan(plan)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	shard := &shardFn{Plan: plan, PlanSHA256: fmt.Sprintf("%x", sum), Workers: 1}
	ctx := context.Background()
	shardDir := filepath.Join(out, ".shards", "shard-00002")
	var first map[string][32]byte
	for attempt := range 3 {
		if k, err := shard.ProcessElement(ctx, 2); err != nil || k != 2 {
			t.Fatalf("attempt %d: shard 2 returned %d, %v", attempt, k, err)
		}
		sums := treeSums(t, shardDir)
		if len(sums) < 2 {
			t.Fatalf("attempt %d: shard 2 wrote %d files", attempt, len(sums))
		}
		if attempt == 0 {
			first = sums
			continue
		}
		if fmt.Sprint(sums) != fmt.Sprint(first) {
			t.Fatalf("attempt %d: shard 2's files differ from the first run's:\n%v\n%v", attempt, sums, first)
		}
	}
	merge := &mergeFn{Dir: out, PlanSHA256: shard.PlanSHA256, Shards: 4}
	if _, err := merge.ProcessElement(ctx, 4); err == nil {
		t.Fatal("merge of a job with shards 0, 1 and 3 not run: no error")
	} else if !errors.Is(err, pipeline.ErrShards) {
		t.Fatalf("merge with shards missing: %v, want ErrShards", err)
	}
	for _, k := range []int{0, 1, 3} {
		if _, err := shard.ProcessElement(ctx, k); err != nil {
			t.Fatalf("shard %d: %v", k, err)
		}
	}
	var manifests []map[string]any
	for attempt := range 2 {
		path, err := merge.ProcessElement(ctx, 4)
		if err != nil {
			t.Fatalf("merge attempt %d: %v", attempt, err)
		}
		manifests = append(manifests, manifestWithoutCreated(t, path))
		checkSameAsCLI(t, filepath.Join(dir, "cli"), out)
	}
	if fmt.Sprint(manifests[0]) != fmt.Sprint(manifests[1]) {
		t.Fatal("the merge's retry changed the manifest")
	}
	// A shard attempt after the merge (a zombie worker's) writes nothing.
	if k, err := shard.ProcessElement(ctx, 1); err != nil || k != 1 {
		t.Fatalf("shard 1 after the merge returned %d, %v", k, err)
	}
	if _, err := os.Stat(filepath.Join(out, ".shards")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a shard run after the merge left .shards (%v)", err)
	}
	checkSameAsCLI(t, filepath.Join(dir, "cli"), out)

	// A shard of another plan (a new launch on the same directory) is
	// refused by the old pipeline's DoFns.
	stale := &shardFn{Plan: plan, PlanSHA256: fmt.Sprintf("%x", sha256.Sum256([]byte("another plan"))), Workers: 1}
	if _, err := stale.ProcessElement(ctx, 0); err == nil {
		t.Fatal("a shard of another plan: no error")
	}
	if _, err := (&mergeFn{Dir: out, PlanSHA256: stale.PlanSHA256, Shards: 4}).ProcessElement(ctx, 4); err == nil {
		t.Fatal("a merge retry over another plan's output: no error")
	}
}

func TestSplitFilesRefuses(t *testing.T) {
	dir := t.TempDir()
	run(t, "gen", "--rows", "1000", "--out", filepath.Join(dir, "data"), "-q")
	splits := []splitter.Split{{Name: "a", Ratio: 0.5}, {Name: "b", Ratio: 0.5}}
	good := pipeline.SplitConfig{Inputs: []string{filepath.Join(dir, "data")}, Seed: "1", Splits: splits}
	tests := []struct {
		name   string
		change func(c *FilesConfig)
	}{
		{"no seed", func(c *FilesConfig) { c.Split.Seed = "" }},
		{"negative shards", func(c *FilesConfig) { c.Shards = -1 }},
		{"too many shards", func(c *FilesConfig) { c.Shards = pipeline.MaxShards + 1 }},
		{"too many workers", func(c *FilesConfig) { c.Workers = pipeline.MaxWorkers + 1 }},
		{"shuffle", func(c *FilesConfig) { c.Split.Shuffle = true }},
		{"group", func(c *FilesConfig) { c.Split.Group = "user_id" }},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := FilesConfig{Split: good, Shards: 2}
			cfg.Split.Out = filepath.Join(dir, fmt.Sprint("out", i))
			tt.change(&cfg)
			_, s := beam.NewPipelineWithRoot()
			if _, err := TrySplitFiles(s, cfg); !errors.Is(err, splitter.ErrUsage) {
				t.Fatalf("error %v, want one wrapping ErrUsage", err)
			}
			if _, err := os.Stat(cfg.Split.Out); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("a refused job left %s (%v)", cfg.Split.Out, err)
			}
		})
	}
}
