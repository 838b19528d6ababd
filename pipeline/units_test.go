package pipeline_test

import (
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// Units inside row groups change how rows are read, never an output byte
// (issue 22, must show 3): the same rows written with about 1, 10 and
// 1,000 pages per column chunk, and in one row group per file or in many
// small ones, split (on both paths, stratified and grouped) and shuffled
// (in memory and spilled) by 1, 2, 3 and 8 workers, with row groups read
// whole or cut into units that start and end inside pages, give the same
// files as a run reading whole row groups.
func TestUnitsInsideRowGroups(t *testing.T) {
	const rows = 3000
	three, err := splitter.ParseRatios("train=0.7,valid=0.2,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	type input struct {
		name      string
		rowGroups int64 // rows per row group
		pages     int   // about this many pages per chunk of 1,000 rows
		units     int   // row groups of the two files: units when read whole
	}
	// Page sizes for about 1, 10 and 1,000 pages per chunk of the widest
	// column (text, ~40 bytes a row) of a 1,000-row row group.
	layouts := []input{
		{"1 page", 1000, 1, 4},
		{"10 pages", 1000, 10, 4},
		{"1000 pages", 1000, 1000, 4},
		{"one row group a file", 1500, 10, 2},
		{"row groups of 100 rows", 100, 10, 30},
	}
	inputs := map[string]string{}
	for _, in := range layouts {
		dir := filepath.Join(t.TempDir(), fmt.Sprint("rg-", in.rowGroups, "-pages-", in.pages))
		_, err := gendata.Write(t.Context(), dir, gendata.Config{
			Rows: rows, Files: 2, RowGroupRows: in.rowGroups, Seed: 9, Workers: 1,
			PageBufferSize: 1000 * 48 / in.pages,
		})
		if err != nil {
			t.Fatal(err)
		}
		inputs[in.name] = dir
	}
	opts := pipeline.JobOptions{RowsPerFile: 1300, RowGroupRows: 350}
	jobs := []struct {
		name string
		run  func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error)
	}{
		{"split", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "3", Splits: three, JobOptions: o})
		}},
		{"split-stratify", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "4", Splits: three, Stratify: "label", JobOptions: o})
		}},
		{"split-group", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "6", Splits: three, Group: "user_id", JobOptions: o})
		}},
		{"shuffle-in-memory", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{in}, Out: out, Seed: "5", JobOptions: o})
		}},
		{"shuffle-spill", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			o.ShuffleMemory = 128 << 10
			return pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{in}, Out: out, Seed: "5", JobOptions: o})
		}},
	}
	for _, job := range jobs {
		t.Run(job.name, func(t *testing.T) {
			var want string
			paths := []string{"columnar"}
			if job.name == "split" {
				paths = append(paths, "rows") // the row path reads ranges too
			}
			for _, path := range paths {
				for _, in := range layouts {
					for _, budget := range []int64{0, 6 << 10} {
						for _, workers := range []int{1, 2, 3, 8} {
							if budget == 0 && workers > 1 {
								continue // whole row groups: the baseline
							}
							name := fmt.Sprintf("%s path, %s, unit budget %d, %d workers", path, in.name, budget, workers)
							restore := pipeline.SetRowPath(path == "rows")
							restoreBudget := pipeline.SetUnitBudget(budget)
							o := opts
							o.Workers = workers
							units := 0
							restoreUnits := pipeline.OnUnits(func(n int) { units = n })
							m, err := job.run(t, inputs[in.name], filepath.Join(t.TempDir(), "out"), o)
							restoreUnits()
							restoreBudget()
							restore()
							if err != nil {
								t.Fatalf("%s: %v", name, err)
							}
							// Cut: more units than row groups.
							if budget > 0 && units <= in.units || budget == 0 && units != in.units {
								t.Fatalf("%s: %d units", name, units)
							}
							got := fingerprint(m)
							if want == "" {
								want = got
								continue
							}
							if got != want {
								t.Fatalf("%s: files differ from the first run's\ngot:\n%s\nwant:\n%s", name, got, want)
							}
						}
					}
				}
			}
		})
	}
}

// MemoryLimit sizes the units: a row group above a unit's share of it is
// read in parts, one within it whole; and a limit that cannot hold the
// output row groups is refused before anything is written.
func TestMemoryLimitSizesUnits(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "in")
	if _, err := gendata.Write(t.Context(), dir, gendata.Config{Rows: 60000, RowGroupRows: 60000, Seed: 2, Workers: 1}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		memory    int64
		rowGroups int64
		minUnits  int // at least
		maxUnits  int // at most
		tooLarge  bool
	}{
		{"default", 0, 1000, 1, 1, false},
		{"small", 40 << 20, 1000, 3, 60000, false},
		{"too small for the row groups", 16 << 20, 60000, 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			units := 0
			restore := pipeline.OnUnits(func(n int) { units = n })
			defer restore()
			var budget int64
			out := filepath.Join(t.TempDir(), "out")
			_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{dir}, Out: out, Seed: "1",
				JobOptions: pipeline.JobOptions{MemoryLimit: tc.memory, RowGroupRows: tc.rowGroups, Workers: 2,
					OnBudget: func(n int64) { budget = n }}})
			if tc.tooLarge {
				if !errors.Is(err, pipeline.ErrTooLarge) || !strings.Contains(err.Error(), "use --memory") {
					t.Fatalf("err = %v, want ErrTooLarge saying which --memory would do", err)
				}
				if _, err := os.Stat(out); !errors.Is(err, fs.ErrNotExist) {
					t.Fatalf("output exists after a refused job: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if units < tc.minUnits || units > tc.maxUnits {
				t.Fatalf("%d units, want [%d, %d]", units, tc.minUnits, tc.maxUnits)
			}
			if want := cmp.Or(tc.memory, pipeline.DefaultMemoryLimit); budget != want {
				t.Fatalf("OnBudget got %d, want %d", budget, want)
			}
		})
	}
}
