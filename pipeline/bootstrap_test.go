package pipeline_test

import (
	"errors"
	"math/big"
	"path/filepath"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// TestSampleReplace checks a bootstrap sample end to end: the rows written
// are the sorted draws of docs/algorithm.md section 15 (numpy.sort of
// Generator(PCG64(seed)).integers(0, n, K)), each as often as drawn, with
// the same bytes for any workers and chunking, and verify accepts it.
func TestSampleReplace(t *testing.T) {
	const n = 3_000
	gen, err := prng.NewPCG64(big.NewInt(12))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int64{1, 2_000, n, 7_500} {
		want := splitter.Bootstrap(gen, n, k)
		var first string
		for i, layout := range []struct {
			files   int
			rg      int64
			workers int
		}{{1, n, 1}, {3, 250, 3}} {
			in := genInput(t, n, layout.files, layout.rg)
			out := filepath.Join(t.TempDir(), "out")
			m, err := pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{in}, Out: out, Seed: "12", Rows: k, Replace: true,
				JobOptions: pipeline.JobOptions{Workers: layout.workers, RowGroupRows: 1_000}})
			if err != nil {
				t.Fatalf("k=%d: %v", k, err)
			}
			if got := readIDs(t, out, m.Splits[0]); !slices.Equal(got, want) {
				t.Fatalf("k=%d: sample of %d rows differs from the %d sorted draws", k, len(got), len(want))
			}
			distinct := int64(len(slices.Compact(slices.Clone(want))))
			if m.Unassigned != n-distinct || m.Duplicates != k-distinct || !m.Options.Replace {
				t.Fatalf("k=%d: manifest unassigned %d, duplicates %d; want %d, %d", k, m.Unassigned, m.Duplicates, n-distinct, k-distinct)
			}
			if i == 0 {
				first = fingerprint(m)
			} else if fingerprint(m) != first {
				t.Fatalf("k=%d: layout %+v gives other bytes", k, layout)
			}
			if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{in}); err != nil {
				t.Fatalf("k=%d: verify: %v", k, err)
			}
		}
	}
	in := genInput(t, 100, 1, 100)
	_, err = pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{in}, Out: filepath.Join(t.TempDir(), "x"), Seed: "1", Rows: 101})
	if !errors.Is(err, pipeline.ErrUsage) {
		t.Errorf("101 of 100 rows without replacement: err = %v, want a usage error", err)
	}
	_, err = pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{in}, Out: filepath.Join(t.TempDir(), "y"), Seed: "1", Rows: 10, Replace: true, Stratify: "label"})
	if !errors.Is(err, pipeline.ErrUsage) {
		t.Errorf("--replace --stratify: err = %v, want a usage error", err)
	}
}
