package pipeline_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

func TestSample(t *testing.T) {
	const n = 2000
	order := canonical(t, 4, 0, n)
	for _, tc := range []struct {
		name     string
		rows     int64
		fraction float64
		want     int
	}{
		{"rows", 123, 0, 123},
		{"fraction", 0, 0.1, 200},
		{"fraction rounds up", 0, 0.0001, 1},
		{"all", 0, 1, n},
		{"all by count", n, 0, n},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var want string
			for _, workers := range []int{1, 3} {
				out := filepath.Join(t.TempDir(), "out")
				m, err := pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{goldenInput}, Out: out, Seed: "4",
					Rows: tc.rows, Fraction: tc.fraction, JobOptions: pipeline.JobOptions{Workers: workers, RowsPerFile: 150}})
				if err != nil {
					t.Fatal(err)
				}
				got := readIDs(t, out, m.Splits[0])
				// The first K rows of canonical order, written in input order.
				first := slices.Clone(order[:tc.want])
				slices.Sort(first)
				if !slices.Equal(got, first) {
					t.Fatalf("workers %d: sample is not the first %d rows of canonical order", workers, tc.want)
				}
				if m.Unassigned != int64(n-tc.want) || m.Command != "sample" {
					t.Fatalf("manifest: %d unassigned, command %q", m.Unassigned, m.Command)
				}
				if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{goldenInput}); err != nil {
					t.Fatal(err)
				}
				if f := fingerprint(m); want == "" {
					want = f
				} else if f != want {
					t.Errorf("workers %d: bytes differ", workers)
				}
			}
		})
	}
	for _, bad := range []pipeline.SampleConfig{
		{Rows: n + 1}, {}, {Rows: 5, Fraction: 0.5}, {Fraction: 1.5}, {Fraction: -0.1}, {Rows: -3},
	} {
		bad.Inputs, bad.Out, bad.Seed = []string{goldenInput}, filepath.Join(t.TempDir(), "out"), "1"
		if _, err := pipeline.Sample(t.Context(), bad); !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%+v: err = %v, want a usage error", bad, err)
		}
	}
}
