package scratch_test

import (
	"os"
	"testing"

	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/internal/scratch/scratchtest"
)

func TestLocal(t *testing.T) {
	dir := t.TempDir()
	scratchtest.Run(t, scratch.Local(dir), 1)
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("closed files left %d entries in the directory", len(left))
	}
}
