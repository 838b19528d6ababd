package pipeline_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

func TestKFold(t *testing.T) {
	const n = 2000
	order := canonical(t, 6, 0, n)
	for _, k := range []int{2, 3, 7} {
		out := filepath.Join(t.TempDir(), "out")
		m, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{goldenInput}, Out: out, Seed: "6", K: k, JobOptions: pipeline.JobOptions{Workers: 2}})
		if err != nil {
			t.Fatal(err)
		}
		var rank int
		for j, s := range m.Splits {
			size := n / k
			if j < n%k {
				size++ // like scikit-learn's KFold
			}
			want := slices.Clone(order[rank : rank+size])
			slices.Sort(want)
			rank += size
			if s.Name != fmt.Sprintf("fold-%d", j) || !slices.Equal(readIDs(t, out, s), want) {
				t.Fatalf("k=%d fold %d (%s): not the %d-th range of canonical order", k, j, s.Name, j)
			}
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{goldenInput}); err != nil {
			t.Fatal(err)
		}
	}
	small := genInput(t, 5, 1, 5)
	if _, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{small}, Out: filepath.Join(t.TempDir(), "o"), Seed: "1", K: 6}); !errors.Is(err, pipeline.ErrUsage) {
		t.Errorf("6 folds of 5 rows: err = %v, want a usage error", err)
	}
	for _, k := range []int{0, 1, 256} {
		_, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{goldenInput}, Out: filepath.Join(t.TempDir(), "o"), Seed: "1", K: k})
		if !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("k=%d: err = %v, want a usage error", k, err)
		}
	}
}
