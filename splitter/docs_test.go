package splitter_test

import (
	"os"
	"strings"
	"testing"
)

// TestAlgorithmDocShowsReference checks that docs/algorithm.md shows the
// NumPy reference testdata/splitv1.py verbatim, as the Python block of its
// section on reproducing a split: the script the vectors come from is the
// script users are told to run.
func TestAlgorithmDocShowsReference(t *testing.T) {
	script, err := os.ReadFile("testdata/splitv1.py")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/algorithm.md")
	if err != nil {
		t.Fatal(err)
	}
	block := "```python\n" + string(script) + "```\n"
	if !strings.Contains(string(doc), block) {
		t.Errorf("docs/algorithm.md does not show testdata/splitv1.py verbatim in a python block; copy the script into it again")
	}
}
