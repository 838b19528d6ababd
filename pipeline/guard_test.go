package pipeline

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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
	l.unlock()
	l2, err := lockOutput(out)
	if err != nil {
		t.Fatalf("lock after unlock: %v", err)
	}
	l2.unlock()
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
