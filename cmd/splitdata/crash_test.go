package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
)

// splitdataCmd runs this test binary as the splitdata command.
func splitdataCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SPLITDATA_TEST_MAIN=1")
	return cmd
}

// TestSplitKilledAnywhere kills `splitdata split` with SIGKILL at 24 points
// spread over a run. After each kill the output directory either does not
// exist or is complete (it verifies against its manifest and holds the
// bytes of an uninterrupted run): never a manifest over incomplete output.
// Running the command again then gives the uninterrupted run's bytes.
func TestSplitKilledAnywhere(t *testing.T) {
	if testing.Short() {
		t.Skip("kills 24 runs")
	}
	work := t.TempDir()
	if _, err := gendata.Write(t.Context(), filepath.Join(work, "in"), gendata.Config{Rows: 400_000, Files: 3, RowGroupRows: 20_000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	args := []string{"split", "in", "--seed", "7", "--ratios", "train=0.8,valid=0.1,test=0.1", "--rows-per-file", "100000", "-q"}

	start := time.Now()
	ref := splitdataCmd(work, append(args, "--out", "ref")...)
	if out, err := ref.CombinedOutput(); err != nil {
		t.Fatalf("uninterrupted run: %v\n%s", err, out)
	}
	full := time.Since(start)
	want := fingerprintDir(t, filepath.Join(work, "ref"))

	const points = 24
	var complete int
	for k := range points {
		out := filepath.Join(work, "out")
		cmd := splitdataCmd(work, append(args, "--out", "out", "--overwrite")...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Kill points from the start of the process to just past the end of
		// a typical run; where exactly each lands does not matter, only
		// that they are spread over the phases of a run.
		time.Sleep(full * time.Duration(k) / (points - 4))
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if _, err := os.Stat(out); errors.Is(err, os.ErrNotExist) {
			continue
		}
		if _, err := os.Stat(filepath.Join(out, pipeline.ManifestName)); err != nil {
			t.Fatalf("kill point %d: %s exists without a manifest: %v", k, out, err)
		}
		if _, err := pipeline.Verify(t.Context(), out); err != nil {
			t.Fatalf("kill point %d: %s has a manifest but does not verify: %v", k, out, err)
		}
		if got := fingerprintDir(t, out); got != want {
			t.Fatalf("kill point %d: complete output differs from the uninterrupted run", k)
		}
		complete++
		if err := os.RemoveAll(out); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%d of %d killed runs had completed", complete, points)

	again := splitdataCmd(work, append(args, "--out", "out")...)
	if out, err := again.CombinedOutput(); err != nil {
		t.Fatalf("run after the kills: %v\n%s", err, out)
	}
	if got := fingerprintDir(t, filepath.Join(work, "out")); got != want {
		t.Fatal("run after the kills differs from the uninterrupted run")
	}
	// The rerun cleared the killed runs' temporary directories.
	entries, err := os.ReadDir(work)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if name := e.Name(); name != "in" && name != "ref" && name != "out" && name != ".out.lock" {
			t.Errorf("left behind: %s", name)
		}
	}
}

// fingerprintDir is the bytes of every data file of an output, in manifest
// order.
func fingerprintDir(t *testing.T, dir string) string {
	t.Helper()
	m, err := pipeline.ReadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	for _, s := range m.Splits {
		for _, f := range s.Files {
			b.WriteString(f.Path + " " + f.SHA256 + "\n")
		}
	}
	return b.String()
}
