//go:build unix

package scratch_test

import (
	"os"
	"testing"

	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/internal/scratch/scratchtest"
)

// TestLocked: a locked directory is removed with its lock, and a killed
// run's (a directory whose lock nobody holds) by the next one.
func TestLocked(t *testing.T) {
	parent := t.TempDir()
	if err := os.Mkdir(parent+"/splitdata-x-7", 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(parent+"/splitdata-x-7.lock", nil, 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := scratch.NewLocked(parent, "splitdata-x-")
	if err != nil {
		t.Fatal(err)
	}
	scratchtest.Run(t, d, 2)
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(parent); len(left) != 0 {
		t.Errorf("left in the parent: %v", left)
	}
}
