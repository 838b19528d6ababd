package main

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
	"github.com/splitdata/splitdata/storage"
)

// tempDirCases are jobs whose temporary files a small ShuffleMemory sends
// to the temporary directory: a spilling shuffle, a row table of class ids
// (stratify), row tables and group files (stratify with group), a row
// table of group keys (group, ratio by rows), a row table of order keys
// (order by), and the runs of a content count.
var tempDirCases = []struct {
	name   string
	cfg    pipeline.SplitConfig
	memory int64 // ShuffleMemory; 0 is 16 KiB
}{
	{"shuffle", pipeline.SplitConfig{Shuffle: true}, 512 << 10},
	{"stratify", pipeline.SplitConfig{Stratify: "label"}, 0},
	{"stratify-group", pipeline.SplitConfig{Stratify: "label", Group: "user_id"}, 0},
	{"group-rows", pipeline.SplitConfig{Group: "user_id", RatioBy: "rows"}, 0},
	{"order-by", pipeline.SplitConfig{OrderBy: "ts"}, 0},
	{"content", pipeline.SplitConfig{GroupByContent: true, ContentColumns: "label,user_id"}, 0},
}

// TestBucketTempDir runs each job with its temporary files in a local
// directory and in a bucket (the run's storage.Scratch), with 1 and 3
// workers, and checks that the outputs are the same bytes (and the
// manifests the same but for their time), that the bucket was written to
// and read from, and that nothing is left under its prefix.
func TestBucketTempDir(t *testing.T) {
	for _, mk := range []func(*testing.T) *bucket{s3Bucket, gcsBucket, azureBucket} {
		t.Run(storeName(mk), func(t *testing.T) {
			b := mk(t)
			work := t.TempDir()
			in := filepath.Join(work, "in")
			genInput(t, in)
			for _, c := range tempDirCases {
				for _, workers := range []int{1, 3} {
					t.Run(fmt.Sprintf("%s/workers=%d", c.name, workers), func(t *testing.T) {
						run := func(out string, opts pipeline.JobOptions) {
							t.Helper()
							cfg := c.cfg
							cfg.Inputs, cfg.Out, cfg.Seed = []string{in}, out, "5"
							cfg.Splits = []splitter.Split{{Name: "train", Ratio: 0.7}, {Name: "test", Ratio: 0.3}}
							cfg.RowsPerFile, cfg.RowGroupRows = 4000, 1000
							opts.Workers, opts.ShuffleMemory = workers, cmp.Or(c.memory, 16<<10)
							cfg.JobOptions = opts
							if _, err := pipeline.Split(t.Context(), cfg); err != nil {
								t.Fatalf("%s: %v", out, err)
							}
						}
						local := filepath.Join(work, c.name+"-local", fmt.Sprint(workers))
						run(local, pipeline.JobOptions{TempDir: t.TempDir()})

						s := b.open(t)
						d, err := s.NewScratch(t.Context(), "tmp", storage.ScratchOptions{Memory: 1 << 20})
						if err != nil {
							t.Fatal(err)
						}
						t.Cleanup(func() { d.Remove(t.Context()) })
						bucketed := filepath.Join(work, c.name+"-bucket", fmt.Sprint(workers))
						run(bucketed, pipeline.JobOptions{TempStore: d})
						if st := s.Stats(); st.Put.Load() < 2 || st.Get.Load() < 1 {
							t.Errorf("%d PUTs and %d GETs: the temporary files did not go to the bucket", st.Put.Load(), st.Get.Load())
						}
						if err := d.Remove(t.Context()); err != nil {
							t.Fatal(err)
						}
						if left := b.objects(t, "tmp"); len(left) != 0 {
							t.Errorf("left in the bucket: %v", slices.Sorted(maps.Keys(left)))
						}
						sameOutput(t, bucketed, local)
					})
				}
			}
		})
	}
}

// sameOutput fails unless the output directories got and want hold the
// same files with the same bytes, and the same manifest but for its time.
func sameOutput(t *testing.T, got, want string) {
	t.Helper()
	g, w := localFiles(t, got), localFiles(t, want)
	delete(g, "manifest.json")
	delete(w, "manifest.json")
	if !maps.Equal(g, w) {
		t.Errorf("%s differs from %s:\n got %v\nwant %v", got, want, g, w)
	}
	gm, err := os.ReadFile(filepath.Join(got, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	wm, err := os.ReadFile(filepath.Join(want, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !equalJSON(comparableManifest(t, gm), comparableManifest(t, wm)) {
		t.Errorf("manifests differ:\n got %s\nwant %s", gm, wm)
	}
}

// TestBucketTempDirCLI runs split --temp-dir on a bucket prefix from the
// command line: the output is the local run's, a killed run's temporary
// objects there (its process gone from this host) are removed first, and
// the run removes its own; clean --temp-dir removes a killed run's too.
func TestBucketTempDirCLI(t *testing.T) {
	b := s3Bucket(t)
	work := t.TempDir()
	in := filepath.Join(work, "in")
	genInput(t, in)
	s := b.open(t)
	host, _ := os.Hostname()
	killed := func(run string) {
		t.Helper()
		lock, _ := json.Marshal(map[string]any{"run": run, "host": host, "pid": 1<<30 + 7, "started": "2026-12-06T00:00:00Z"})
		for key, data := range map[string][]byte{
			"tmp/splitdata-tmp-" + run + ".lock":                                lock,
			"tmp/splitdata-tmp-" + run + "/000001-split000-part000.rows/000000": make([]byte, 1000),
		} {
			w := s.Create(t.Context(), key)
			w.Write(data)
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	killed("dead1")
	args := []string{"split", in, "--shuffle", "--seed", "3", "--rows-per-file", "4000", "-q"}
	runCLI(t, t.Context(), exitOK, slices.Concat(args, []string{"--out", filepath.Join(work, "local")})...)
	_, stderr := runCLI(t, t.Context(), exitOK, slices.Concat(args, []string{"--out", filepath.Join(work, "bucket"), "--temp-dir", b.url("tmp")})...)
	sameOutput(t, filepath.Join(work, "bucket"), filepath.Join(work, "local"))
	if left := b.objects(t, "tmp"); len(left) != 0 {
		t.Errorf("left in the --temp-dir: %v", slices.Sorted(maps.Keys(left)))
	}
	if strings.Contains(stderr, "test-secret") || strings.Contains(stderr, "endpoint=") {
		t.Errorf("stderr shows a credential or the URL's parameters:\n%s", stderr)
	}

	killed("dead2")
	stdout, _ := runCLI(t, t.Context(), exitOK, "clean", "--temp-dir", b.url("tmp"))
	if want := "cleaned s3://bkt/tmp: no temporary files of a killed run remain in it\n"; stdout != want {
		t.Errorf("clean --temp-dir printed %q, want %q", stdout, want)
	}
	if left := b.objects(t, "tmp"); len(left) != 0 {
		t.Errorf("clean --temp-dir left %v", slices.Sorted(maps.Keys(left)))
	}

	// The --temp-dir may not lie inside a bucket --out: the commit would
	// remove a live run's files.
	_, stderr = runCLI(t, t.Context(), exitUsage, "split", in, "--out", b.url("o"), "--temp-dir", b.url("o/tmp"), "--seed", "1")
	if !strings.Contains(stderr, "--temp-dir s3://bkt/o/tmp lies inside the output s3://bkt/o") {
		t.Errorf("temp-dir inside the output:\n%s", stderr)
	}
}
