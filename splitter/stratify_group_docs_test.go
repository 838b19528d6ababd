package splitter_test

import (
	"os"
	"strings"
	"testing"
)

// TestAlgorithmDocShowsStratGroupReference checks that docs/algorithm.md
// section 17 shows testdata/stratgroupv1.py, the script the stratified
// group vectors come from, verbatim in a python block.
func TestAlgorithmDocShowsStratGroupReference(t *testing.T) {
	script, err := os.ReadFile("testdata/stratgroupv1.py")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../docs/algorithm.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(doc), "```python\n"+string(script)+"```\n") {
		t.Errorf("docs/algorithm.md does not show testdata/stratgroupv1.py verbatim in a python block; copy the script into it again")
	}
}
