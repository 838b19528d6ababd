package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/internal/staging"
)

// genRows writes rows generated rows as one Parquet file in a new
// directory and returns the directory.
func genRows(t *testing.T, rows int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "in")
	if _, err := gendata.Write(t.Context(), dir, gendata.Config{Rows: rows, Files: 1, RowGroupRows: 50, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// captureNotices collects the pipeline's notices until the test ends.
func captureNotices(t *testing.T) *[]string {
	var got []string
	old := Notice
	Notice = func(msg string) { got = append(got, msg) }
	t.Cleanup(func() { Notice = old })
	return &got
}

// killAt makes the next commits stop at step as if killed there.
func killAt(t *testing.T, step string) {
	staging.TestHookCommit = func(s string) bool { return s == step }
	t.Cleanup(func() { staging.TestHookCommit = nil })
}

// outputSeed is the seed of the complete output in dir, after checking it
// against its manifest.
func outputSeed(t *testing.T, dir string) string {
	t.Helper()
	if _, err := Verify(t.Context(), dir); err != nil {
		t.Fatalf("%s is not a complete output: %v", dir, err)
	}
	m, err := ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m.Seed
}

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestReplaceKilledAtEachStep replaces an output (seed 1 by seed 2) and
// kills the run at each step of the replacement, with the atomic exchange
// and with two renames. Whatever the step, the old or the new output is
// complete under its name or restored by the next run, which cleans up
// everything else; no step loses both.
func TestReplaceKilledAtEachStep(t *testing.T) {
	in := genRows(t, 200)
	tests := []struct {
		exchange bool
		step     string
		want     string // seed of the output the next run finds
		restored bool   // whether the next run restores it
	}{
		{false, "aside", "1", true},
		{false, "replaced", "2", false},
		{true, "exchanged", "2", false},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("exchange=%v/%s", tc.exchange, tc.step), func(t *testing.T) {
			if tc.exchange {
				if err := staging.Exchange(t.TempDir(), t.TempDir()); errors.Is(err, staging.ErrNoExchange) {
					t.Skip("no atomic exchange on this system")
				}
			}
			defer func(v bool) { staging.UseExchange = v }(staging.UseExchange)
			staging.UseExchange = tc.exchange
			notes := captureNotices(t)
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			if _, err := Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"}); err != nil {
				t.Fatal(err)
			}
			killAt(t, tc.step)
			_, err := Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "2", JobOptions: JobOptions{Overwrite: true}})
			if !errors.Is(err, staging.ErrKilled) {
				t.Fatalf("err = %v, want the simulated kill", err)
			}
			staging.TestHookCommit = nil
			if _, err := os.Stat(out); err == nil {
				// Whatever is under the name must be complete.
				outputSeed(t, out)
			} else if tc.step != "aside" {
				t.Fatalf("killed after %s: %s missing", tc.step, out)
			}

			// The next run, even one refused for an existing output,
			// restores or keeps what it finds and removes the leftovers.
			_, err = Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "3"})
			if !errors.Is(err, ErrOutputExists) {
				t.Fatalf("next run: err = %v, want ErrOutputExists", err)
			}
			if got := outputSeed(t, out); got != tc.want {
				t.Errorf("after the next run %s holds the output of seed %s, want %s", out, got, tc.want)
			}
			if got := entries(t, parent); !slices.Equal(got, []string{"out"}) {
				t.Errorf("left beside the output: %q", got)
			}
			restored := slices.ContainsFunc(*notes, func(s string) bool { return strings.HasPrefix(s, "restored "+out+" from .out.old-") })
			if restored != tc.restored {
				t.Errorf("notices %q, want a restore notice: %v", *notes, tc.restored)
			}
			if _, err := Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "4", JobOptions: JobOptions{Overwrite: true}}); err != nil {
				t.Fatal(err)
			}
			if got := outputSeed(t, out); got != "4" {
				t.Errorf("seed %s after a replacement, want 4", got)
			}
		})
	}
}

// TestReplaceKilledWhileRemovingTheOld kills a replacement halfway through
// removing the old output: the new one is in place, and the next run
// removes the rest of the old one.
func TestReplaceKilledWhileRemovingTheOld(t *testing.T) {
	defer func(v bool) { staging.UseExchange = v }(staging.UseExchange)
	staging.UseExchange = false
	in := genRows(t, 200)
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if _, err := Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"}); err != nil {
		t.Fatal(err)
	}
	staging.TestHookCommit = func(step string) bool {
		if step != "replaced" {
			return false
		}
		aside := staging.AsideDirs(out)
		if len(aside) != 1 {
			t.Fatalf("aside directories %q, want one", aside)
		}
		// The old output's manifest and one split are gone already.
		_ = os.Remove(filepath.Join(aside[0], ManifestName))
		_ = os.RemoveAll(filepath.Join(aside[0], "train"))
		return true
	}
	t.Cleanup(func() { staging.TestHookCommit = nil })
	if _, err := Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "2", JobOptions: JobOptions{Overwrite: true}}); !errors.Is(err, staging.ErrKilled) {
		t.Fatalf("err = %v, want the simulated kill", err)
	}
	staging.TestHookCommit = nil
	if _, err := Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: filepath.Join(parent, "other"), Seed: "2"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "2"}); !errors.Is(err, ErrOutputExists) {
		t.Fatalf("err = %v, want ErrOutputExists", err)
	}
	if got := outputSeed(t, out); got != "2" {
		t.Errorf("seed %s, want 2", got)
	}
	if got := entries(t, parent); !slices.Equal(got, []string{"other", "out"}) {
		t.Errorf("left beside the output: %q", got)
	}
}

// TestMergeKilledBetweenRenames kills a merge after it set the job's
// directory (plan and every shard's output) aside: the next merge restores
// it and merges.
func TestMergeKilledBetweenRenames(t *testing.T) {
	defer func(v bool) { staging.UseExchange = v }(staging.UseExchange)
	staging.UseExchange = false
	captureNotices(t)
	in := genRows(t, 400)
	dir := filepath.Join(t.TempDir(), "job")
	if _, err := CreatePlan(t.Context(), SplitConfig{Inputs: []string{in}, Out: dir, Seed: "5"}, 3); err != nil {
		t.Fatal(err)
	}
	for k := range 3 {
		if _, err := RunShard(t.Context(), ShardConfig{Plan: filepath.Join(dir, PlanName), Index: k}); err != nil {
			t.Fatal(err)
		}
	}
	killAt(t, "aside")
	if _, err := Merge(t.Context(), MergeConfig{Dir: dir}); !errors.Is(err, staging.ErrKilled) {
		t.Fatalf("err = %v, want the simulated kill", err)
	}
	staging.TestHookCommit = nil
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("killed between the renames, %s exists: %v", dir, err)
	}
	if _, err := Merge(t.Context(), MergeConfig{Dir: dir}); err != nil {
		t.Fatalf("merge after the kill: %v", err)
	}
	if got := outputSeed(t, dir); got != "5" {
		t.Errorf("seed %s, want 5", got)
	}
}

// TestRecoverAsideKeepsBothWhenUnsure sets an old output aside beside a
// directory that is not a complete output: nothing is removed and the run
// is refused; with two old outputs aside and none in place, the same.
func TestRecoverAsideKeepsBothWhenUnsure(t *testing.T) {
	in := genRows(t, 100)
	parent := t.TempDir()
	out := filepath.Join(parent, "out")
	if _, err := Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"}); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(out, filepath.Join(parent, ".out.old-1")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(out, "notes"), 0o777); err != nil {
		t.Fatal(err)
	}
	_, err := Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "2", JobOptions: JobOptions{Overwrite: true}})
	if err == nil || !strings.Contains(err.Error(), "holds an earlier output set aside") {
		t.Fatalf("err = %v, want a refusal naming the aside output", err)
	}
	if got := entries(t, parent); !slices.Equal(got, []string{".out.old-1", "out"}) {
		t.Errorf("%s holds %q", parent, got)
	}
	if err := os.RemoveAll(out); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(parent, ".out.tmp-2.old"), 0o777); err != nil {
		t.Fatal(err)
	}
	_, err = Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "2", JobOptions: JobOptions{Overwrite: true}})
	if err == nil || !strings.Contains(err.Error(), "several earlier outputs") {
		t.Fatalf("err = %v, want a refusal naming both aside outputs", err)
	}
	if got := entries(t, parent); !slices.Equal(got, []string{".out.old-1", ".out.tmp-2.old"}) {
		t.Errorf("%s holds %q", parent, got)
	}
}
