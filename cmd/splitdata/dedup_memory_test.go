//go:build linux && !race

package main

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
)

// Sizes of the --group-by-content memory test: the rows' group bytes take
// more than twice the half of --memory the count holds, so the count goes
// through temporary files, and the split itself runs on the row path.
const (
	dedupTestRows    = 1_000_000
	dedupTestMemory  = 64 << 20
	dedupTestWorkers = 2
)

// TestGroupByContentMemory runs `splitdata split --group-by-content` on
// gen rows plus a sample of them (planted duplicates) as a child process,
// and checks its peak RSS against --memory + 64 MiB (plus nonHeapRSS for
// this test binary), the manifest's counts, and that the output verifies
// against the inputs, every duplicate together.
func TestGroupByContentMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("splits 1.1M rows in a child process")
	}
	work := t.TempDir()
	in := filepath.Join(work, "in")
	if _, err := gendata.Write(t.Context(), in, gendata.Config{Rows: dedupTestRows, Files: 4, RowGroupRows: 50_000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	dup := filepath.Join(work, "dup")
	if _, err := pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{in}, Out: dup, Seed: "3", Fraction: 0.1}); err != nil {
		t.Fatal(err)
	}
	if decoded := decodedSize(t, in); decoded < 2*dedupTestMemory/2 {
		t.Fatalf("input holds %d MiB decoded, want at least twice the count's half of --memory", decoded>>20)
	}
	cmd, peakRSS := splitdataPeakCmd(t, work, "split", "in", "dup", "--out", "out", "--seed", "42", "--group-by-content",
		"--memory", "64MiB", "--row-group-rows", "16384", "--workers", "2", "--temp-dir", work, "-q")
	cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool {
		return strings.HasPrefix(kv, "GOMEMLIMIT=") || strings.HasPrefix(kv, "GOGC=")
	})
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("splitdata split: %v\n%s", err, out)
	}
	peak := peakRSS()
	bound := int64(dedupTestMemory + 64<<20 + nonHeapRSS)
	t.Logf("peak RSS %d MiB with --memory %d MiB (bound %d MiB)", peak>>20, dedupTestMemory>>20, bound>>20)
	if peak > bound {
		t.Errorf("peak RSS %d MiB, want at most --memory + 64 MiB (+ %d MiB for the test binary) = %d MiB", peak>>20, nonHeapRSS>>20, bound>>20)
	}
	out := filepath.Join(work, "out")
	m, err := pipeline.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	want := pipeline.ContentStats{Groups: dedupTestRows, DuplicateGroups: dedupTestRows / 10, RowsWithDuplicate: dedupTestRows / 5}
	if m.Content == nil || *m.Content != want {
		t.Fatalf("manifest counts %+v, want %+v", m.Content, want)
	}
	if _, err := pipeline.VerifyWithConfig(t.Context(), pipeline.VerifyConfig{Dir: out, Inputs: []string{in, dup}, MemoryLimit: dedupTestMemory}); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(work, "splitdata-content-*")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}
