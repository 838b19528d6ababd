package splitter_test

import (
	"os"
	"strings"
	"testing"
)

// TestAlgorithmDocShowsReferences checks that docs/algorithm.md shows each
// reference script of testdata verbatim in a python block: the scripts the
// vectors come from are the scripts users are told to run.
func TestAlgorithmDocShowsReferences(t *testing.T) {
	doc, err := os.ReadFile("../docs/algorithm.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ script, sections string }{
		{"splitv1.py", "2 to 7: reproducing a split"},
		{"stratifyv1.py", "12 to 15: stratified sizes and assignment, row-balanced groups, bootstrap"},
		{"stratgroupv1.py", "17: stratified groups"},
		{"orderv1.py", "18: time order"},
		{"groupsv1.py", "19: composite and content groups"},
	} {
		t.Run(tc.script, func(t *testing.T) {
			script, err := os.ReadFile("testdata/" + tc.script)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(doc), "```python\n"+string(script)+"```\n") {
				t.Errorf("docs/algorithm.md does not show testdata/%s (sections %s) verbatim in a python block; copy the script into it again",
					tc.script, tc.sections)
			}
		})
	}
}
