//go:build unix

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/splitdata/splitdata/internal/gendata"
)

// TestReportCardTakesLock runs report --card on an output whose lock a
// live run holds: the card would rewrite README.md and the manifest under
// that run, so it fails at once (exit 75, transient) and changes nothing;
// once the lock is free it writes the card, and removes its lock file.
func TestReportCardTakesLock(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if _, err := gendata.Write(t.Context(), in, gendata.Config{Rows: 200, Files: 1, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	var stdout, stderr bytes.Buffer
	if code := run(t.Context(), []string{"split", in, "--out", out, "--seed", "1", "-q"}, &stdout, &stderr); code != 0 {
		t.Fatalf("split: exit %d: %s", code, stderr.String())
	}
	manifest, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	lockPath := filepath.Join(dir, ".out.lock")
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(dir, "report.html")
	stderr.Reset()
	code := run(t.Context(), []string{"report", out, "--card", "--out", page, "-q"}, &stdout, &stderr)
	if code != exitTransient || !strings.Contains(stderr.String(), "another splitdata run") {
		t.Fatalf("report --card on a locked output: exit %d, stderr %q; want 75 naming the other run", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "README.md")); !os.IsNotExist(err) {
		t.Fatalf("card written while locked: %v", err)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "manifest.json")); !bytes.Equal(got, manifest) {
		t.Fatal("manifest changed while locked")
	}

	// Without --card, report only reads the output: the lock does not
	// stop it.
	stderr.Reset()
	if code := run(t.Context(), []string{"report", out, "--out", page, "-q"}, &stdout, &stderr); code != 0 {
		t.Fatalf("report without --card on a locked output: exit %d: %s", code, stderr.String())
	}

	f.Close() // the other run ends
	stderr.Reset()
	if code := run(t.Context(), []string{"report", out, "--card", "--out", page, "-q"}, &stdout, &stderr); code != 0 {
		t.Fatalf("report --card: exit %d: %s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(out, "README.md")); err != nil {
		t.Fatalf("no card: %v", err)
	}
	if _, err := os.Stat(lockPath); !os.IsNotExist(err) {
		t.Fatalf("lock file left behind: %v", err)
	}
}
