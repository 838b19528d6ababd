//go:build unix

package pipeline

import (
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/splitdata/splitdata/internal/scratch"
)

// TestShuffleRemovesKilledRunsSpill: a spilling shuffle removes what a
// killed one left in the same --temp-dir, and leaves nothing itself.
func TestShuffleRemovesKilledRunsSpill(t *testing.T) {
	in := genRows(t, 2000)
	tmp := t.TempDir()
	if err := os.MkdirAll(filepath.Join(tmp, "splitdata-spill-77"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "splitdata-spill-77", "split000-part000.rows"), make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tmp, "splitdata-spill-77.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Shuffle(t.Context(), ShuffleConfig{Inputs: []string{in}, Out: out, Seed: "1", JobOptions: JobOptions{ShuffleMemory: 16 << 10, TempDir: tmp}}); err != nil {
		t.Fatal(err)
	}
	if got := entries(t, tmp); len(got) != 0 {
		t.Errorf("left in the temporary directory: %q", got)
	}
}

// TestRowTableFileHasNoName: a row table in a file keeps no name in the
// temporary directory while it is open, so a killed run leaves nothing.
func TestRowTableFileHasNoName(t *testing.T) {
	tmp := t.TempDir()
	tab, err := newRowTable[uint32](1000, 0, scratch.Local(tmp))
	if err != nil {
		t.Fatal(err)
	}
	defer tab.close()
	if tab.file == nil {
		t.Fatal("the table is in memory")
	}
	if got := entries(t, tmp); len(got) != 0 {
		t.Errorf("an open row table leaves %q in the temporary directory", got)
	}
	if err := tab.write(998, []uint32{7, 8}); err != nil {
		t.Fatal(err)
	}
	if got, err := tab.read(998, 2, nil); err != nil || !slices.Equal(got, []uint32{7, 8}) {
		t.Errorf("read %v, %v", got, err)
	}
}

// TestOutputRespectsUmask: the output directory, its manifest and a plan
// get the permissions the umask gives new files, not fixed ones.
func TestOutputRespectsUmask(t *testing.T) {
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)
	in := genRows(t, 100)
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"}); err != nil {
		t.Fatal(err)
	}
	job := filepath.Join(t.TempDir(), "job")
	if _, err := CreatePlan(t.Context(), SplitConfig{Inputs: []string{in}, Out: job, Seed: "1"}, 2); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{
		out: 0o750, filepath.Join(out, ManifestName): 0o640,
		job: 0o750, filepath.Join(job, PlanName): 0o640,
	} {
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %v, want %v under umask 027", filepath.Base(path), got, want)
		}
	}
}
