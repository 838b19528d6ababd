package pipeline_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// corpusDir locates the Apache parquet-testing corpus kept beside the
// repository in ../shared.
func corpusDir(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "parquet-testing", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("parquet-testing corpus not found at %s: %v", dir, err)
	}
	return dir
}

// TestSplitBadData runs every malformed file of the corpus through split:
// each must give an error that names the file, and leave no output. The one
// file mainstream readers accept (dictionary indices of bit width 0) may
// also split completely.
func TestSplitBadData(t *testing.T) {
	dir := corpusDir(t, "bad_data")
	paths, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no files in %s: %v", dir, err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			m, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{path}, Out: out, Seed: "1", Workers: 2})
			if filepath.Base(path) == "ARROW-GH-43605.parquet" && err == nil {
				if m.Rows != 21186 {
					t.Fatalf("split %d rows, want 21186", m.Rows)
				}
				var written int64
				for _, s := range m.Splits {
					written += s.Rows
				}
				if written != m.Rows {
					t.Fatalf("wrote %d of %d rows", written, m.Rows)
				}
				return
			}
			if err == nil {
				t.Fatal("split succeeded on a malformed file")
			}
			var ie *sources.InputError
			if !errors.As(err, &ie) {
				t.Errorf("error is not an InputError: %v", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
			assertOnly(t, parent)
		})
	}
}
