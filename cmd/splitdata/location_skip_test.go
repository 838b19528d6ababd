package main

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/internal/gendata"
)

// TestBucketInputIfExistsSkip checks --if-exists skip with bucket INPUTs,
// to a local and to a bucket --out, on each in-process store: the first
// run writes the output and its manifest records each object's URL,
// location and version; a rerun with the same objects exits 0 and leaves
// the output as it was; an object added, replaced or removed under the
// input prefix makes the rerun fail (exit 1) naming it, the output still
// untouched; and verify accepts the manifest.
func TestBucketInputIfExistsSkip(t *testing.T) {
	for _, mk := range []func(*testing.T) *bucket{s3Bucket, gcsBucket} {
		t.Run(storeName(mk), func(t *testing.T) {
			b := mk(t)
			work := t.TempDir()
			genInput(t, filepath.Join(work, "in"))
			b.upload(t, filepath.Join(work, "in"), "data/in")
			// Other data, for an object replaced by another.
			other := filepath.Join(work, "other")
			if _, err := gendata.Write(t.Context(), other, gendata.Config{Rows: 8_000, Files: 2, RowGroupRows: 4_000, Seed: 9}); err != nil {
				t.Fatal(err)
			}
			for _, outKind := range []string{"local", "bucket"} {
				t.Run(outKind+" out", func(t *testing.T) {
					out, shown := filepath.Join(work, "o-"+outKind), filepath.Join(work, "o-"+outKind)
					snapshot := func() map[string]string { return localFiles(t, out) }
					if outKind == "bucket" {
						out, shown = b.url("o"), bareBucketURL(b, "o")
						snapshot = func() map[string]string { return b.objects(t, "o") }
					}
					in := bareBucketURL(b, "data/in/")
					job := []string{"split", b.url("data/in"), "--out", out, "--seed", "1", "--if-exists", "skip", "--rows-per-file", "4000"}
					runCLI(t, t.Context(), exitOK, slices.Concat(job, []string{"-q"})...) // nothing there: runs
					first := snapshot()
					if len(first) < 2 {
						t.Fatalf("the first run wrote %v", first)
					}
					var manifest []byte
					if outKind == "bucket" {
						manifest = b.read(t, "o/manifest.json")
					} else {
						var err error
						if manifest, err = os.ReadFile(filepath.Join(out, "manifest.json")); err != nil {
							t.Fatal(err)
						}
					}
					checkManifestObjects(t, manifest, in)

					upload := func(src, key string) {
						data, err := os.ReadFile(src)
						if err != nil {
							t.Fatal(err)
						}
						w := b.open(t).Create(t.Context(), key)
						if _, err := w.Write(data); err != nil {
							t.Fatal(err)
						}
						if err := w.Close(); err != nil {
							t.Fatal(err)
						}
					}
					remove := func(key string) {
						if err := b.open(t).Remove(t.Context(), key); err != nil {
							t.Fatal(err)
						}
					}
					for _, step := range []struct {
						name   string
						change func()
						args   []string
						code   int
						msg    []string
					}{
						{"same objects", nil, nil, exitOK, []string{shown + " already holds this job's output"}},
						{"same objects, rehashed", nil, []string{"--verify-existing"}, exitOK, []string{shown + " already holds this job's output"}},
						{"object added", func() { upload(filepath.Join(other, "part-00000.parquet"), "data/in/part-00002.parquet") }, nil, exitFailure,
							[]string{"existing output is not this job's: " + shown + ": ", "2 inputs, this run has 3; input " + in + "part-00002.parquet is new (the output was not made from it)"}},
						{"added object removed again", func() { remove("data/in/part-00002.parquet") }, nil, exitOK, []string{shown + " already holds this job's output"}},
						{"object replaced", func() { upload(filepath.Join(other, "part-00001.parquet"), "data/in/part-00001.parquet") }, nil, exitFailure,
							[]string{"existing output is not this job's: " + shown + ": ", "input " + in + "part-00001.parquet changed: version "}},
						{"object removed", func() { remove("data/in/part-00001.parquet") }, nil, exitFailure,
							[]string{"2 inputs, this run has 1; input " + in + "part-00001.parquet is gone (the output was made from it)"}},
					} {
						if step.change != nil {
							step.change()
						}
						_, stderr := runCLI(t, t.Context(), step.code, slices.Concat(job, step.args)...)
						for _, m := range step.msg {
							if !strings.Contains(stderr, m) {
								t.Errorf("%s: stderr:\n%s\nwant it to hold %q", step.name, stderr, m)
							}
						}
						if strings.Contains(stderr, "127.0.0.1") || strings.Contains(stderr, "endpoint") {
							t.Errorf("%s: stderr shows URL parameters:\n%s", step.name, stderr)
						}
						if got := snapshot(); !maps.Equal(got, first) {
							t.Errorf("%s: the output changed:\n got %v\nwant %v", step.name, got, first)
						}
					}
					// verify reads the manifest with its new fields.
					runCLI(t, t.Context(), exitOK, "verify", out)
					// Put the input back for the other --out; the output's
					// lock (bucket) was released by every run.
					upload(filepath.Join(work, "in", "part-00001.parquet"), "data/in/part-00001.parquet")
					runCLI(t, t.Context(), exitOK, "split", b.url("data/in"), "--out", out, "--seed", "1", "--overwrite", "--rows-per-file", "4000", "-q")
				})
			}
		})
	}
}

// checkManifestObjects checks that a manifest names each of its 2 bucket
// inputs by its URL under in (no parameters), records where it was opened
// (the URL with the store's parameters) and a version, and holds no
// credential.
func checkManifestObjects(t *testing.T, manifest []byte, in string) {
	t.Helper()
	var m struct {
		Inputs []struct {
			Path     string `json:"path"`
			Location string `json:"location"`
			Version  string `json:"version"`
		} `json:"inputs"`
	}
	if err := json.Unmarshal(manifest, &m); err != nil {
		t.Fatal(err)
	}
	if len(m.Inputs) != 2 {
		t.Fatalf("manifest names %d inputs, want 2: %s", len(m.Inputs), manifest)
	}
	for _, i := range m.Inputs {
		if !strings.HasPrefix(i.Path, in) || strings.Contains(i.Path, "?") {
			t.Errorf("manifest input %q, want a URL under %s without parameters", i.Path, in)
		}
		if loc, _, _ := strings.Cut(i.Location, "?"); loc != i.Path || i.Version == "" {
			t.Errorf("manifest input %q: location %q, version %q; want its URL (with the store's parameters) and a version", i.Path, i.Location, i.Version)
		}
	}
	if bytes.Contains(manifest, []byte("test-secret-never-logged")) {
		t.Errorf("manifest holds a credential:\n%s", manifest)
	}
}

// bareBucketURL is the URL of key in b without parameters, as messages
// and manifests name it.
func bareBucketURL(b *bucket, key string) string {
	u, _, _ := strings.Cut(b.url(key), "?")
	return u
}

// TestBucketInputIfExistsSkipJobs checks that every job of the split
// engine (sample, kfold, shuffle, and split with --stratify, whose check
// builds its options otherwise) recognises its own output made from
// bucket INPUTs, and still names another seed.
func TestBucketInputIfExistsSkipJobs(t *testing.T) {
	b := s3Bucket(t)
	work := t.TempDir()
	genInput(t, filepath.Join(work, "in"))
	b.upload(t, filepath.Join(work, "in"), "data/in")
	for _, c := range [][]string{
		{"sample", "--rows", "3000"},
		{"kfold", "--k", "3"},
		{"shuffle"},
		{"split", "--stratify", "label"},
	} {
		t.Run(c[0], func(t *testing.T) {
			out := filepath.Join(work, strings.Join(c, "-"))
			job := slices.Concat(c, []string{b.url("data/in"), "--out", out, "--if-exists", "skip"})
			runCLI(t, t.Context(), exitOK, slices.Concat(job, []string{"--seed", "5", "-q"})...)
			first := localFiles(t, out)
			_, stderr := runCLI(t, t.Context(), exitOK, slices.Concat(job, []string{"--seed", "5"})...)
			if !strings.Contains(stderr, out+" already holds this job's output") {
				t.Errorf("rerun:\n%s", stderr)
			}
			_, stderr = runCLI(t, t.Context(), exitFailure, slices.Concat(job, []string{"--seed", "6"})...)
			if !strings.Contains(stderr, "seed 5, this run's is 6") || strings.Contains(stderr, "input") {
				t.Errorf("rerun with another seed:\n%s", stderr)
			}
			if got := localFiles(t, out); !maps.Equal(got, first) {
				t.Errorf("the output changed:\n got %v\nwant %v", got, first)
			}
		})
	}
}
