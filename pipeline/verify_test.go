package pipeline_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

func TestVerify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, out string)
		want   string // "" for a clean output
	}{
		{"clean", func(*testing.T, string) {}, ""},
		{"flipped byte", func(t *testing.T, out string) {
			p := filepath.Join(out, "train", "part-00000.parquet")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 1
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "train/part-00000.parquet: sha256"},
		{"missing file", func(t *testing.T, out string) {
			if err := os.Remove(filepath.Join(out, "test", "part-00000.parquet")); err != nil {
				t.Fatal(err)
			}
		}, "test/part-00000.parquet: open"},
		{"stray file", func(t *testing.T, out string) {
			if err := os.WriteFile(filepath.Join(out, "test", "part-00009.parquet"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "test/part-00009.parquet: not in the manifest"},
		{"truncated file", func(t *testing.T, out string) {
			if err := os.Truncate(filepath.Join(out, "train", "part-00001.parquet"), 100); err != nil {
				t.Fatal(err)
			}
		}, "train/part-00001.parquet: 100 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			runSplit(t, pipeline.SplitConfig{Inputs: []string{goldenInput}, Out: out, Seed: "5", RowsPerFile: 1000})
			tc.damage(t, out)
			r, err := pipeline.Verify(t.Context(), out)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("clean output: %v", err)
				}
				if r.Rows != 2000 || r.Files != 3 {
					t.Errorf("report = %+v, want 2000 rows in 3 files", r)
				}
				return
			}
			if !errors.Is(err, pipeline.ErrVerify) {
				t.Fatalf("err = %v, want ErrVerify", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}
