package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestCheckInputsOutsideFollowsLinks compares inputs and output by where
// they lead: an input reached through a symbolic link to the output (or an
// output reached through one to the input's directory) is inside it.
func TestCheckInputsOutsideFollowsLinks(t *testing.T) {
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "data", "sub"), 0o777))
	must(os.WriteFile(filepath.Join(root, "data", "x.parquet"), nil, 0o666))
	must(os.WriteFile(filepath.Join(root, "data", "sub", "y.parquet"), nil, 0o666))
	must(os.Symlink("data", filepath.Join(root, "alias")))
	must(os.Symlink(filepath.Join(root, "data", "x.parquet"), filepath.Join(root, "link.parquet")))
	must(os.Symlink("nowhere", filepath.Join(root, "dangling")))
	p := func(rel string) string { return filepath.Join(root, rel) }
	tests := []struct {
		name   string
		input  string
		out    string
		inside bool
	}{
		{"same text", p("data/x.parquet"), p("data"), true},
		{"input through a link", p("alias/x.parquet"), p("data"), true},
		{"output through a link", p("data/x.parquet"), p("alias"), true},
		{"file link into the output", p("link.parquet"), p("data"), true},
		{"deeper", p("alias/sub/y.parquet"), p("data/sub"), true},
		{"output is the input", p("alias/x.parquet"), p("data/x.parquet"), true},
		{"dot dot", p("alias/../data/x.parquet"), p("data"), true},
		{"beside", p("alias/x.parquet"), p("out"), false},
		{"new output below a link", p("alias/x.parquet"), p("alias/new/out"), false},
		{"sibling subdirectory", p("alias/x.parquet"), p("data/sub"), false},
		{"dangling link as output", p("data/x.parquet"), p("dangling"), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkInputsOutside([]string{tc.input}, tc.out)
			if got := errors.Is(err, ErrOutputHoldsInput); got != tc.inside {
				t.Errorf("checkInputsOutside(%s, %s) = %v, want inside: %v", tc.input, tc.out, err, tc.inside)
			}
		})
	}
}

func TestResolvePath(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(root, "data"), 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("data", filepath.Join(root, "alias")); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ in, want string }{
		{"data", "data"},
		{"alias", "data"},
		{"alias/a/b", "data/a/b"},
		{"alias/../x", "x"},
		{"missing/alias", "missing/alias"},
	}
	for _, tc := range tests {
		got, err := resolvePath(filepath.Join(root, tc.in))
		if want := filepath.Join(root, tc.want); err != nil || got != want {
			t.Errorf("resolvePath(%s) = %q, %v, want %q", tc.in, got, err, want)
		}
	}
}

// TestResolveInputsSymlinkedDirectory reads a directory input reached
// through a symbolic link (WalkDir does not follow one at its root), even
// one whose target is hidden, and names its files through the link.
func TestResolveInputsSymlinkedDirectory(t *testing.T) {
	root := t.TempDir()
	for _, dir := range []string{"data", ".hidden"} {
		if err := os.Mkdir(filepath.Join(root, dir), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, dir, "x.csv"), []byte("a\n1\n"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	for link, target := range map[string]string{"alias": "data", "alias2": ".hidden"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
		got, err := ResolveInputs([]string{filepath.Join(root, link)}, "")
		if want := filepath.Join(root, link, "x.csv"); err != nil || len(got) != 1 || got[0] != want {
			t.Errorf("ResolveInputs(%s) = %q, %v, want [%s]", link, got, err, want)
		}
	}
}
