//go:build unix

package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/splitdata/splitdata/internal/gendata"
)

// TestExitTransientOnLiveLock runs a split into an output whose lock a
// live run holds: exit 75, with error_class transient, nothing written.
func TestExitTransientOnLiveLock(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if _, err := gendata.Write(t.Context(), in, gendata.Config{Rows: 100, Files: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	f, err := os.OpenFile(filepath.Join(dir, ".out.lock"), os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"split", in, "--out", out, "--seed", "1", "--log-format", "json"}, &stdout, &stderr)
	if code != exitTransient || !strings.Contains(stderr.String(), `"error_class":"transient"`) {
		t.Fatalf("exit %d, stderr %s; want 75, class transient", code, stderr.String())
	}
	if _, err := os.Stat(out); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("output written while locked: %v", err)
	}
}
