//go:build unix

package staging

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
)

// spillPrefix is the prefix the pipeline's spilling shuffle uses.
const spillPrefix = "splitdata-spill-"

// TestSweepLockedDirs removes the spill directories whose lock no live run
// holds, and only those: not one whose lock is held, not one without a
// lock file (an older splitdata's, perhaps running), not another prefix's.
func TestSweepLockedDirs(t *testing.T) {
	tmp := t.TempDir()
	mk := func(names ...string) {
		for _, name := range names {
			p := filepath.Join(tmp, name)
			var err error
			if filepath.Ext(name) == ".lock" {
				err = os.WriteFile(p, nil, 0o600)
			} else {
				err = os.MkdirAll(filepath.Join(p, "sub"), 0o700)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	mk("splitdata-spill-1", "splitdata-spill-1.lock", // killed run
		"splitdata-spill-2", "splitdata-spill-2.lock", // live run
		"splitdata-spill-3",      // no lock file
		"splitdata-spill-4.lock", // killed while removing
		"other-5", "other-5.lock")
	live, err := os.OpenFile(filepath.Join(tmp, "splitdata-spill-2.lock"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()
	if err := syscall.Flock(int(live.Fd()), syscall.LOCK_EX); err != nil {
		t.Fatal(err)
	}
	d, err := NewLockedDir(tmp, spillPrefix)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"other-5", "other-5.lock", "splitdata-spill-2", "splitdata-spill-2.lock", "splitdata-spill-3",
		filepath.Base(d.Path), filepath.Base(d.Path) + ".lock"}
	slices.Sort(want)
	if got := entries(t, tmp); !slices.Equal(got, want) {
		t.Errorf("after the sweep %q, want %q", got, want)
	}
	// A second sweep, while d is alive, keeps it.
	sweepLockedDirs(tmp, spillPrefix)
	if _, err := os.Stat(d.Path); err != nil {
		t.Errorf("a sweep removed a live directory: %v", err)
	}
	if err := d.Remove(); err != nil {
		t.Fatal(err)
	}
	want = []string{"other-5", "other-5.lock", "splitdata-spill-2", "splitdata-spill-2.lock", "splitdata-spill-3"}
	if got := entries(t, tmp); !slices.Equal(got, want) {
		t.Errorf("after remove %q, want %q", got, want)
	}
}
