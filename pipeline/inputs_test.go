package pipeline_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// TestResolveInputsMissing checks that a missing input is bad input (an
// *sources.InputError that is fs.ErrNotExist, exit status 1), not a usage
// error, and that its message is plain.
func TestResolveInputsMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.parquet"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, input, want string
		inputErr          bool
	}{
		{"missing file", filepath.Join(dir, "nowhere.parquet"), filepath.Join(dir, "nowhere.parquet") + ": no such file or directory", true},
		{"glob matching nothing", filepath.Join(dir, "*.csv"), filepath.Join(dir, "*.csv") + ": the glob matches nothing", true},
		{"directory without inputs", filepath.Join(dir, "empty"), "no input files", false},
	}
	if err := os.Mkdir(filepath.Join(dir, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pipeline.ResolveInputs([]string{tt.input}, "")
			if err == nil {
				t.Fatal("no error")
			}
			var ie *sources.InputError
			if got := errors.As(err, &ie); got != tt.inputErr {
				t.Errorf("error %q: InputError %v, want %v", err, got, tt.inputErr)
			}
			if tt.inputErr && !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("error %q is not fs.ErrNotExist", err)
			}
			if tt.inputErr && err.Error() != tt.want {
				t.Errorf("error %q, want %q", err, tt.want)
			}
			if !tt.inputErr && !errors.Is(err, pipeline.ErrNoInput) {
				t.Errorf("error %q is not ErrNoInput", err)
			}
		})
	}
}
