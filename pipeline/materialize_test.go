package pipeline_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// TestKFoldMaterialize checks kfold --materialize against plain kfold:
// fold-j/test holds fold j's rows and fold-j/train every other row, both in
// input order; the same bytes for any workers; verify accepts it.
func TestKFoldMaterialize(t *testing.T) {
	in := genInput(t, 2_345, 3, 300)
	plain := filepath.Join(t.TempDir(), "plain")
	pm, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: plain, Seed: "8", K: 3})
	if err != nil {
		t.Fatal(err)
	}
	var first string
	for _, workers := range []int{1, 3} {
		out := filepath.Join(t.TempDir(), "mat")
		m, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "8", K: 3, Materialize: true,
			JobOptions: pipeline.JobOptions{Workers: workers, RowGroupRows: 500}})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Splits) != 6 || m.Splits[0].Name != "fold-0/train" || m.Splits[1].Name != "fold-0/test" {
			t.Fatalf("outputs %v", m.Splits)
		}
		for j, fold := range pm.Splits {
			test := readIDs(t, out, m.Splits[2*j+1])
			if want := readIDs(t, plain, fold); !slices.Equal(test, want) {
				t.Fatalf("fold %d test differs from plain kfold's fold", j)
			}
			var want []int64
			for g, other := range pm.Splits {
				if g != j {
					want = append(want, readIDs(t, plain, other)...)
				}
			}
			slices.Sort(want) // input order: ids are global row indices
			if train := readIDs(t, out, m.Splits[2*j]); !slices.Equal(train, want) {
				t.Fatalf("fold %d train holds %d rows, want the %d rows of the other folds in input order", j, len(train), len(want))
			}
		}
		if first == "" {
			first = fingerprint(m)
		} else if fingerprint(m) != first {
			t.Fatal("workers 1 and 3 give different bytes")
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{in}); err != nil {
			t.Fatal(err)
		}
	}
}
