package pipeline_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// A grouped job places its rows from the group keys a first pass keeps in a
// table, so its main pass takes the columnar path; it writes the bytes the
// row path writes, for any workers and chunking of the input, with the
// table in memory or in a temporary file; with --stratify too.
func TestGroupedJobsTakeColumnarPath(t *testing.T) {
	const n = 4_000
	three := mustRatios(t, "train=0.7,valid=0.2,test=0.1")
	layouts := []struct {
		files   int
		rg      int64
		workers int
	}{{1, n, 1}, {3, 400, 2}, {5, 77, 3}}
	inputs := make([]string, len(layouts))
	for i, l := range layouts {
		inputs[i] = genInput(t, n, l.files, l.rg)
	}
	// 8 KiB of shuffle memory holds no table of 4,000 keys: it goes to a
	// file.
	const small = 8 << 10
	jobs := []struct {
		name string
		run  func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error)
	}{
		{"split-group", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "21", Splits: three, Group: "user_id", JobOptions: o})
		}},
		{"split-group-ratio-by-rows", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "22", Splits: three, Group: "user_id", RatioBy: pipeline.RatioByRows, JobOptions: o})
		}},
		{"split-group-ratio-by-rows-table-file", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			o.ShuffleMemory = small
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "22", Splits: three, Group: "user_id", RatioBy: pipeline.RatioByRows, JobOptions: o})
		}},
		{"split-group-two-columns", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "23", Splits: three, Group: "user_id,label", JobOptions: o})
		}},
		{"split-group-by-content", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "24", Splits: three, GroupByContent: true, ContentColumns: "label,x2", JobOptions: o})
		}},
		{"split-group-table-file", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			o.ShuffleMemory = small
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "21", Splits: three, Group: "user_id", JobOptions: o})
		}},
		{"split-group-shuffle-spill", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			o.ShuffleMemory = 256 << 10
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "25", Splits: three, Group: "user_id", Shuffle: true, JobOptions: o})
		}},
		{"split-stratify-group", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "28", Splits: three, Stratify: "label", Group: "user_id", RatioBy: pipeline.RatioByRows, JobOptions: o})
		}},
		{"kfold-group-materialize", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "26", K: 3, Group: "user_id", Materialize: true, JobOptions: o})
		}},
		{"sample-group", func(t *testing.T, in, out string, o pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{in}, Out: out, Seed: "27", Fraction: 0.3, Group: "user_id", JobOptions: o})
		}},
	}
	for _, job := range jobs {
		t.Run(job.name, func(t *testing.T) {
			var want string
			for i, l := range layouts {
				for _, rowPath := range []bool{false, true} {
					what := fmt.Sprintf("layout %+v, row path %v", l, rowPath)
					var columnar []bool
					o := pipeline.JobOptions{RowsPerFile: 1000, RowGroupRows: 300, Workers: l.workers,
						OnPath: func(c bool) { columnar = append(columnar, c) }}
					restore := pipeline.SetRowPath(rowPath)
					m, err := job.run(t, inputs[i], filepath.Join(t.TempDir(), "out"), o)
					restore()
					if err != nil {
						t.Fatalf("%s: %v", what, err)
					}
					if len(columnar) != 1 || columnar[0] == rowPath {
						t.Fatalf("%s: columnar path %v, want [%v]", what, columnar, !rowPath)
					}
					got := fingerprint(m)
					if want == "" {
						want = got
					} else if got != want {
						t.Fatalf("%s wrote:\n%s\nthe first layout, columnar, wrote:\n%s", what, got, want)
					}
				}
			}
		})
	}
}
