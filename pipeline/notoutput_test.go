package pipeline_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// TestNotOutput: verify and ReadManifest on a directory with no manifest
// give one message naming the directory, that it is not an output, and
// what is there instead, as an error wrapping ErrNotOutput.
func TestNotOutput(t *testing.T) {
	root := t.TempDir()
	mkdir := func(name string) string {
		dir := filepath.Join(root, name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	file := filepath.Join(root, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	planned := mkdir("planned")
	if err := os.WriteFile(filepath.Join(planned, pipeline.PlanName), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, dir, want string
		notExist        bool
	}{
		{"no directory", filepath.Join(root, "nosuch"), "not a splitdata output: no such directory", true},
		{"a directory of something else", mkdir("data"), "not a splitdata output: no manifest.json in it", true},
		{"a file", file, "not a splitdata output: a file, not a directory", false},
		{"a plan not merged", planned, "not a splitdata output: no manifest.json, and its plan.json is a sharded plan not merged yet: run its shards, then splitdata merge " + planned, true},
	} {
		_, verr := pipeline.VerifyWithConfig(t.Context(), pipeline.VerifyConfig{Dir: tc.dir})
		_, rerr := pipeline.ReadManifest(tc.dir)
		for what, err := range map[string]error{"verify": verr, "ReadManifest": rerr} {
			switch {
			case !errors.Is(err, pipeline.ErrNotOutput):
				t.Errorf("%s, %s: err = %v, want ErrNotOutput", tc.name, what, err)
			case err.Error() != tc.dir+": "+tc.want:
				t.Errorf("%s, %s: err = %q, want %q after the directory", tc.name, what, err, tc.want)
			case errors.Is(err, fs.ErrNotExist) != tc.notExist:
				t.Errorf("%s, %s: errors.Is(err, fs.ErrNotExist) = %v, want %v", tc.name, what, !tc.notExist, tc.notExist)
			}
		}
	}
}
