//go:build unix

package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/splitdata/splitdata/pipeline"
)

// TestVerifyOpensOnlyRegularFilesInside replaces a part, a split directory
// or the manifest of a good output by something that is not a regular file
// inside it: verify reports it without reading it (a link to /dev/zero
// used to be hashed forever, a named pipe to block, a link to any file
// outside to be read).
func TestVerifyOpensOnlyRegularFilesInside(t *testing.T) {
	in := genInput(t, 200, 1, 50)
	part := filepath.Join("train", "part-00000.parquet")
	tests := []struct {
		name   string
		damage func(t *testing.T, out, aside string)
		want   string
	}{
		{"link to the same bytes outside", func(t *testing.T, out, aside string) {
			must(t, os.Symlink(aside, filepath.Join(out, part)))
		}, "train/part-00000.parquet: not a regular file (a symbolic link)"},
		{"link to a device", func(t *testing.T, out, _ string) {
			must(t, os.Symlink("/dev/zero", filepath.Join(out, part)))
		}, "train/part-00000.parquet: not a regular file (a symbolic link)"},
		{"named pipe", func(t *testing.T, out, _ string) {
			must(t, syscall.Mkfifo(filepath.Join(out, part), 0o600))
		}, "train/part-00000.parquet: not a regular file (a named pipe)"},
		{"split directory linked elsewhere", func(t *testing.T, out, aside string) {
			elsewhere := filepath.Join(t.TempDir(), "train")
			must(t, os.Mkdir(elsewhere, 0o777))
			must(t, os.Rename(aside, filepath.Join(elsewhere, "part-00000.parquet")))
			must(t, os.Remove(filepath.Join(out, "train")))
			must(t, os.Symlink(elsewhere, filepath.Join(out, "train")))
		}, "train/part-00000.parquet: train is not a directory inside the output (a symbolic link)"},
		{"manifest linked to a device", func(t *testing.T, out, aside string) {
			must(t, os.Rename(aside, filepath.Join(out, part)))
			must(t, os.Remove(filepath.Join(out, pipeline.ManifestName)))
			must(t, os.Symlink("/dev/zero", filepath.Join(out, pipeline.ManifestName)))
		}, "manifest.json: not a regular file (a symbolic link)"},
		{"manifest a named pipe", func(t *testing.T, out, aside string) {
			must(t, os.Rename(aside, filepath.Join(out, part)))
			must(t, os.Remove(filepath.Join(out, pipeline.ManifestName)))
			must(t, syscall.Mkfifo(filepath.Join(out, pipeline.ManifestName), 0o600))
		}, "manifest.json: not a regular file (a named pipe)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"})
			aside := filepath.Join(t.TempDir(), "part.parquet")
			must(t, os.Rename(filepath.Join(out, part), aside))
			tc.damage(t, out, aside)
			_, err := pipeline.Verify(t.Context(), out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Verify: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestVerifyStopsWhenCancelled hashes a part of a terabyte (a sparse file,
// the manifest edited to its size): cancelling the context stops it.
func TestVerifyStopsWhenCancelled(t *testing.T) {
	in := genInput(t, 200, 1, 50)
	out := filepath.Join(t.TempDir(), "out")
	runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"})
	const huge = 1 << 40
	must(t, os.Truncate(filepath.Join(out, "train", "part-00000.parquet"), huge))
	path := filepath.Join(out, pipeline.ManifestName)
	b, err := os.ReadFile(path)
	must(t, err)
	var m map[string]any
	must(t, json.Unmarshal(b, &m))
	file := m["splits"].([]any)[0].(map[string]any)["files"].([]any)[0].(map[string]any)
	file["bytes"] = int64(huge)
	b, err = json.Marshal(m)
	must(t, err)
	must(t, os.WriteFile(path, b, 0o666))

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	// Not a timing assertion: without the check of ctx while hashing, the
	// test hangs until its deadline.
	stop := time.AfterFunc(50*time.Millisecond, cancel)
	defer stop.Stop()
	if _, err := pipeline.Verify(ctx, out); !errors.Is(err, context.Canceled) {
		t.Fatalf("Verify: %v, want context.Canceled", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
