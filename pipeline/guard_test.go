package pipeline

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

func TestLockOutputExcludesSecondHolder(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	l, err := lockOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lockOutput(out); !errors.Is(err, ErrLocked) {
		t.Fatalf("second lock: err = %v, want ErrLocked", err)
	}
	// A split on a locked output fails at once and writes nothing.
	_, err = Split(t.Context(), SplitConfig{Inputs: []string{filepath.Join("testdata", "golden", "input")}, Out: out, Seed: "1"})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("split on a locked output: err = %v, want ErrLocked", err)
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("split on a locked output created %s", out)
	}
	l.Unlock()
	l2, err := lockOutput(out)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l2.Unlock()
	entries, err := os.ReadDir(filepath.Dir(out))
	if err != nil || len(entries) != 0 {
		t.Fatalf("lock file left behind: %v %v", entries, err)
	}
}

func TestSplitDetectsInputChangedDuringRun(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.parquet")
	b, err := os.ReadFile(filepath.Join("testdata", "golden", "input", "part-00000.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(in, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func() error
		want   string
	}{
		{"appended", func() error {
			f, err := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = f.Write([]byte("more"))
			return err
		}, "size"},
		{"touched", func() error {
			st, err := os.Stat(in)
			if err != nil {
				return err
			}
			return os.Chtimes(in, st.ModTime(), st.ModTime().Add(time.Second))
		}, "modified at"},
		{"replaced", func() error {
			tmp := in + ".new"
			if err := os.WriteFile(tmp, b, 0o644); err != nil {
				return err
			}
			return os.Rename(tmp, in)
		}, "replaced by another file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(in, b, 0o644); err != nil {
				t.Fatal(err)
			}
			testHookEngineDone = func() {
				if err := tc.change(); err != nil {
					t.Error(err)
				}
			}
			defer func() { testHookEngineDone = nil }()
			out := filepath.Join(t.TempDir(), "out")
			_, err := Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"})
			if !errors.Is(err, sources.ErrChanged) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), in) {
				t.Fatalf("err = %v, want ErrChanged naming %s and saying %q", err, in, tc.want)
			}
			if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("changed input still produced %s", out)
			}
		})
	}
}

// TestSplitDiskFull writes to a 2 MiB tmpfs: the run fails with the
// system's error, removes its temporary files and writes no manifest. It
// needs root to mount the tmpfs and is skipped otherwise.
func TestSplitDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", mnt).Run() })
	out := filepath.Join(mnt, "out")
	// 100,000 rows written uncompressed need far more than 2 MiB.
	big := filepath.Join(t.TempDir(), "big")
	if _, err := gendata.Write(t.Context(), big, gendata.Config{Rows: 100_000, Files: 2, RowGroupRows: 10_000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	_, err := Split(t.Context(), SplitConfig{Inputs: []string{big}, Out: out, Seed: "1", JobOptions: JobOptions{Parquet: sinks.ParquetOptions{Compression: "none"}}})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
	if !strings.Contains(err.Error(), "no space left on device") {
		t.Errorf("error %q does not say the disk is full", err)
	}
	entries, err := os.ReadDir(mnt)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("left behind on the full disk: %v", names)
	}
}

func TestSplitOutputIsReadableByOthers(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Split(t.Context(), SplitConfig{Inputs: []string{filepath.Join("testdata", "golden", "input")}, Out: out, Seed: "1"}); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm()&0o055 != 0o055 {
		t.Errorf("output directory mode %v: group and others cannot list it", st.Mode().Perm())
	}
}

// TestShuffleSpillDiskFull spills to a 1 MiB tmpfs: the run fails with the
// system's error, leaves nothing in the temporary directory and writes no
// output. It needs root to mount the tmpfs and is skipped otherwise.
func TestShuffleSpillDiskFull(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	tmp := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", tmp).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("umount", tmp).Run() })
	in := filepath.Join(t.TempDir(), "in")
	if _, err := gendata.Write(t.Context(), in, gendata.Config{Rows: 100_000, Files: 2, RowGroupRows: 10_000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	_, err := Shuffle(t.Context(), ShuffleConfig{Inputs: []string{in}, Out: out, Seed: "1", JobOptions: JobOptions{ShuffleMemory: 4 << 20, TempDir: tmp}})
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("err = %v, want ENOSPC", err)
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("temporary files left on the full disk: %d entries", len(entries))
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed shuffle left %s", out)
	}
}
