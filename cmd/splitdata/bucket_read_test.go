package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// TestBucketReportCard checks --report and --card with a bucket --out:
// report.html and README.md are committed with the output, listed in its
// manifest, and hold what the same job writes locally (the output named
// by its URL instead of its path); every other file has the local bytes.
func TestBucketReportCard(t *testing.T) {
	for _, mk := range []func(*testing.T) *bucket{s3Bucket, gcsBucket} {
		t.Run(storeName(mk), func(t *testing.T) {
			b := mk(t)
			work := t.TempDir()
			in := filepath.Join(work, "in")
			genInput(t, in)
			b.upload(t, in, "in")
			for _, c := range []struct {
				name string
				args []string
			}{
				{"split", []string{"split", "--stratify", "label", "--report", "--card"}},
				{"kfold", []string{"kfold", "--k", "3", "--report", "--card"}},
				{"sample", []string{"sample", "--rows", "3000", "--report"}},
			} {
				t.Run(c.name, func(t *testing.T) {
					common := []string{"--seed", "4", "--rows-per-file", "4000", "-q"}
					local := filepath.Join(work, "ref-"+c.name)
					runCLI(t, t.Context(), exitOK, slices.Concat(c.args, []string{in, "--out", local}, common)...)
					prefix := "rep-" + c.name
					runCLI(t, t.Context(), exitOK, slices.Concat(c.args, []string{b.url("in"), "--out", b.url(prefix), "--temp-dir", t.TempDir()}, common)...)
					want, got := localFiles(t, local), b.objects(t, prefix)
					extras := []string{"report.html"}
					if slices.Contains(c.args, "--card") {
						extras = append(extras, "README.md")
					}
					url := strings.SplitN(b.url(prefix), "?", 2)[0]
					for _, name := range extras {
						if _, ok := got[name]; !ok {
							t.Fatalf("no %s in the bucket output: %v", name, got)
						}
						l, err := os.ReadFile(filepath.Join(local, name))
						if err != nil {
							t.Fatal(err)
						}
						g := b.read(t, prefix+"/"+name)
						// Inputs and output are named by URL here, by path there.
						lt := strings.ReplaceAll(strings.ReplaceAll(string(l), local, "OUT"), in, "IN")
						gt := strings.ReplaceAll(strings.ReplaceAll(string(g), url, "OUT"), strings.SplitN(b.url("in"), "?", 2)[0], "IN")
						if lt != gt {
							t.Errorf("%s differs from the local run's beyond the names of inputs and output", name)
						}
						if strings.Contains(string(g), "endpoint") || strings.Contains(string(g), "secret") {
							t.Errorf("%s holds the URL's parameters or a credential", name)
						}
						delete(want, name)
						delete(got, name)
					}
					delete(want, "manifest.json")
					delete(got, "manifest.json")
					if !maps.Equal(got, want) {
						t.Errorf("bucket output differs from the local one:\n got %v\nwant %v", got, want)
					}
					var m pipeline.Manifest
					if err := json.Unmarshal(b.read(t, prefix+"/manifest.json"), &m); err != nil {
						t.Fatal(err)
					}
					var listed []string
					for _, e := range m.Extras {
						listed = append(listed, e.Path)
					}
					if slices.Sort(listed); !slices.Equal(listed, slices.Sorted(slices.Values(extras))) {
						t.Errorf("manifest extras %v, want %v", listed, extras)
					}
					runCLI(t, t.Context(), exitOK, "verify", b.url(prefix), "-q")
				})
			}
		})
	}
}

// TestBucketVerifyInspect checks that verify finds a damaged or stray
// object of a bucket output, and that inspect reads bucket objects.
func TestBucketVerifyInspect(t *testing.T) {
	b := s3Bucket(t)
	work := t.TempDir()
	genInput(t, filepath.Join(work, "in"))
	b.upload(t, filepath.Join(work, "in"), "in")
	runCLI(t, t.Context(), exitOK, "split", b.url("in"), "--out", b.url("o"), "--seed", "1", "-q")
	// Bucket inputs to a local output (file:// URL), checked against
	// the local inputs: the same rows in the same splits.
	runCLI(t, t.Context(), exitOK, "split", b.url("in"), "--out", "file://"+filepath.ToSlash(filepath.Join(work, "local")), "--seed", "1", "-q")
	runCLI(t, t.Context(), exitOK, "verify", filepath.Join(work, "local"), "--input", filepath.Join(work, "in"), "-q")
	if want, got := localFiles(t, filepath.Join(work, "local")), b.objects(t, "o"); len(want) != len(got) {
		t.Errorf("bucket to local wrote %d files, bucket to bucket %d", len(want), len(got))
	}
	stdout, _ := runCLI(t, t.Context(), exitOK, "inspect", b.url("in/*.parquet"), filepath.Join(work, "in"))
	for _, want := range []string{"s3://bkt/in/part-00000.parquet: parquet, 10000 rows", "in/part-00001.parquet: parquet, 10000 rows"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "endpoint") {
		t.Errorf("inspect shows the URL's parameters:\n%s", stdout)
	}
	s := b.open(t)
	for _, key := range []string{"o/train/part-00000.parquet", "o/test/stray.parquet"} {
		w := s.Create(t.Context(), key)
		w.Write([]byte("not what the manifest says"))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	_, stderr := runCLI(t, t.Context(), exitFailure, "verify", b.url("o"))
	for _, want := range []string{"train/part-00000.parquet: 26 bytes, manifest says", "test/stray.parquet: not in the manifest"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("verify output lacks %q:\n%s", want, stderr)
		}
	}
}
