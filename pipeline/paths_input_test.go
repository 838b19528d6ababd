package pipeline

import (
	"os"
	"path/filepath"
	"testing"
)

// TestResolveInput checks that resolving inputs through their resolved
// directories gives what resolving each whole path gives, links included.
func TestResolveInput(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "real")
	if err := os.MkdirAll(filepath.Join(real, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"a.parquet", "b.parquet", "sub/c.parquet"} {
		if err := os.WriteFile(filepath.Join(real, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		"linkdir":           real,
		"real/link.parquet": filepath.Join(real, "sub", "c.parquet"),
	}
	for link, target := range links {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Skipf("no symbolic links here: %v", err)
		}
	}
	t.Chdir(root)
	dirs := map[string]string{}
	for _, p := range []string{
		filepath.Join(real, "a.parquet"),
		filepath.Join(real, "b.parquet"),
		filepath.Join(real, "sub", "c.parquet"),
		filepath.Join(root, "linkdir", "a.parquet"),
		filepath.Join(root, "linkdir", "sub", "c.parquet"),
		filepath.Join(real, "link.parquet"),
		"real/a.parquet",
		"linkdir/b.parquet",
		"real/missing.parquet",
	} {
		want, werr := resolvePath(p)
		got, err := resolveInput(p, dirs)
		if got != want || (err == nil) != (werr == nil) {
			t.Errorf("%s: resolved to %q (error %v), want %q (error %v)", p, got, err, want, werr)
		}
	}
}
