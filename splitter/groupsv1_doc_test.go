package splitter_test

import (
	"os"
	"strings"
	"testing"
)

// TestAlgorithmDocShowsGroupsReference checks that docs/algorithm.md shows
// testdata/groupsv1.py, the reference of section 19 the group vectors
// come from, verbatim in a python block.
func TestAlgorithmDocShowsGroupsReference(t *testing.T) {
	script, err := os.ReadFile("testdata/groupsv1.py")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/algorithm.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```python\n"+string(script)+"```\n") {
		t.Errorf("docs/algorithm.md does not show testdata/groupsv1.py verbatim in a python block; copy the script into it again")
	}
}
