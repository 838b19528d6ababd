package staging

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// entries lists the names in dir.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestBesideNames keeps the directories of an output whose name extends
// another's apart from it.
func TestBesideNames(t *testing.T) {
	parent := t.TempDir()
	for _, name := range []string{".a.tmp-12", ".a.tmp-3.old", ".a.tmp-x.tmp-5", ".a.old-7", ".a.old-7x", ".a.old-", ".ab.tmp-1"} {
		if err := os.Mkdir(filepath.Join(parent, name), 0o777); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := besideNames(parent, "a", stagingInfix, ""), []string{".a.tmp-12"}; !slices.Equal(got, want) {
		t.Errorf("staging %q, want %q", got, want)
	}
	var got []string
	for _, d := range AsideDirs(filepath.Join(parent, "a")) {
		got = append(got, filepath.Base(d))
	}
	if want := []string{".a.old-7", ".a.tmp-3.old"}; !slices.Equal(got, want) {
		t.Errorf("aside %q, want %q", got, want)
	}
}
