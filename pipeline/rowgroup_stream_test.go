package pipeline_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// Streamed row groups (encoded as their rows come) write the bytes of
// row groups encoded whole: the golden outputs, and every job of the path
// comparison (columnar, row and mixed paths; splits, shuffles in memory
// and spilled, samples with repeats, k-fold fan-out) and of units cut
// inside row groups, all with every job streamed.
//
// The pages are held in temporary files only, in one block and the rest
// in files, and in blocks only (the path comparison, which takes longest,
// is left out there).
//
// Each test must have streamed a run, unless a -run or -skip filter left
// it none to run at all (runs are counted as they start, streamed or not).
func TestStreamedRowGroupsKeepBytes(t *testing.T) {
	streamed, restore := pipeline.SetStreams(true)
	defer restore()
	runs, restoreRuns := pipeline.CountRuns()
	defer restoreRuns()
	for _, spool := range []struct {
		name   string
		budget int64
	}{
		{"files", -1},
		{"one-block", 1 << 20},
		{"blocks", 1 << 30},
	} {
		t.Run(spool.name, func(t *testing.T) {
			defer pipeline.SetSpoolBudget(spool.budget)()
			for _, tc := range []struct {
				name string
				test func(*testing.T)
			}{
				{"golden", TestGoldenSplitBytes},
				{"paths", TestBatchPathMatchesRowPath},
				{"units", TestUnitsInsideRowGroups},
			} {
				if spool.name == "blocks" && tc.name == "paths" {
					continue // the row path holds no pages in blocks; one-block covers the columnar ones
				}
				before, ran := streamed(), runs()
				t.Run(tc.name, tc.test)
				if runs() > ran && streamed() == before {
					t.Fatalf("%s: %d runs, none streamed its row groups", tc.name, runs()-ran)
				}
			}
		})
	}
}

// A job whose output row groups do not fit --memory as decoded rows
// streams them, writing the bytes of a run with room to hold them; one
// whose streamed row groups do not fit either is refused at once, saying
// which --memory would do.
func TestStreamWhenRowGroupsDoNotFit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "in")
	if _, err := gendata.Write(t.Context(), dir, gendata.Config{Rows: 60000, RowGroupRows: 60000, Seed: 2, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	three, err := splitter.ParseRatios("train=0.7,valid=0.2,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	run := func(memory int64, rowPath bool) (*pipeline.Manifest, int, error) {
		defer pipeline.SetRowPath(rowPath)()
		n := 0
		restore := pipeline.OnStreams(func() { n++ })
		defer restore()
		m, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{dir}, Out: filepath.Join(t.TempDir(), "out"), Seed: "1", Splits: three,
			JobOptions: pipeline.JobOptions{MemoryLimit: memory, RowGroupRows: 60000, Workers: 2}})
		return m, n, err
	}
	for _, rowPath := range []bool{false, true} {
		want, streamed, err := run(1<<30, rowPath)
		if err != nil {
			t.Fatal(err)
		}
		if streamed != 0 {
			t.Fatalf("row path %v: a job with room for its row groups streamed them", rowPath)
		}
		got, streamed, err := run(60<<20, rowPath)
		if err != nil {
			t.Fatalf("row path %v: under 60 MiB: %v", rowPath, err)
		}
		if streamed != 1 {
			t.Fatalf("row path %v: under 60 MiB the row groups were not streamed", rowPath)
		}
		if fingerprint(got) != fingerprint(want) {
			t.Fatalf("row path %v: streamed:\n%s\nheld:\n%s", rowPath, fingerprint(got), fingerprint(want))
		}
		// The columnar path reads no finished row group back (its
		// columns are all the page writer's): its pages are what does
		// not fit.
		what := "row group of 60000 rows encoded"
		if !rowPath {
			what = "the pages of 5 row groups being encoded (7 columns"
		}
		_, _, err = run(20<<20, rowPath)
		if !errors.Is(err, pipeline.ErrTooLarge) || !strings.Contains(err.Error(), what) || !strings.Contains(err.Error(), "use --memory") {
			t.Fatalf("row path %v: under 20 MiB: err = %v, want ErrTooLarge naming %q and the --memory that would do", rowPath, err, what)
		}
	}
}
