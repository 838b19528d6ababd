package pipeline_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// goldenManifest returns the manifest bytes of a small real split.
func goldenManifest(t testing.TB) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	if _, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{goldenInput}, Out: out, Seed: "3"}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(out, pipeline.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseManifest(t *testing.T) {
	good := string(goldenManifest(t))
	if _, err := pipeline.ParseManifest([]byte(good)); err != nil {
		t.Fatalf("a real manifest does not parse: %v", err)
	}
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"escaping path", `"path": "train/part-00000.parquet"`, `"path": "../../etc/passwd"`, "is not train/part-NNNNN.parquet"},
		{"path in another split", `"path": "train/part-00000.parquet"`, `"path": "test/part-00000.parquet"`, "is not train/part-NNNNN.parquet"},
		{"split name with slash", `"name": "train"`, `"name": "a/b"`, "not a single path element"},
		{"dot-dot split", `"name": "train"`, `"name": ".."`, "not a single path element"},
		{"bad hash", `"sha256": "`, `"sha256": "XYZ`, "64 lowercase hex digits"},
		{"negative rows", `"rows": 2000`, `"rows": -1`, "out of range"},
		{"other tool", `"tool": "splitdata"`, `"tool": "other"`, `tool "other"`},
		{"future algorithm", `"algorithm": 1`, `"algorithm": 99`, "algorithm version 99"},
		{"unknown field", `"tool": "splitdata"`, `"tool": "splitdata", "extra": 1`, "unknown field"},
		{"trailing data", "}\n", "} {}\n", "after the JSON object"},
		{"input version without a location", `"ends_sha256": "`, `"version": "\"etag\"", "ends_sha256": "`, "a version without a location"},
		{"object input with a modification time", `"ends_sha256": "`, `"location": "s3://bkt/in.parquet", "ends_sha256": "`, "an object (with a location) has no modification time"},
		{"not JSON", good, "{", "unexpected EOF"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("manifest has no %q", tc.old)
			}
			b := strings.Replace(good, tc.old, tc.new, 1)
			if strings.HasPrefix(tc.old, `"name"`) { // the split list, not the options
				i := strings.LastIndex(good, tc.old)
				b = good[:i] + tc.new + good[i+len(tc.old):]
			}
			if tc.name == "trailing data" {
				b = good[:strings.LastIndex(good, "}\n")] + tc.new
			}
			_, err := pipeline.ParseManifest([]byte(b))
			if !errors.Is(err, pipeline.ErrBadManifest) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ErrBadManifest saying %q", err, tc.want)
			}
		})
	}
}

// FuzzParseManifest: no input makes ParseManifest panic, and an accepted
// manifest only names files inside their split directories.
func FuzzParseManifest(f *testing.F) {
	f.Add(goldenManifest(f))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"tool":"splitdata","algorithm":1,"splits":[{"name":"a","files":[{"path":"a/part-00000.parquet","sha256":"00"}]}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := pipeline.ParseManifest(b)
		if err != nil {
			if !errors.Is(err, pipeline.ErrBadManifest) {
				t.Fatalf("error does not wrap ErrBadManifest: %v", err)
			}
			return
		}
		for _, s := range m.Splits {
			for _, file := range s.Files {
				if !filepath.IsLocal(file.Path) || !strings.HasPrefix(file.Path, s.Name+"/") {
					t.Fatalf("accepted file path %q of split %q", file.Path, s.Name)
				}
			}
		}
	})
}
