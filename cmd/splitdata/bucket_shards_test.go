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

	"github.com/splitdata/splitdata/pipeline"
)

// testBucketShards runs the scale-out flow on a bucket: plan --out on
// the bucket, three run-shard tasks writing their shards there, merge;
// the merged output equals a split on local files, and verifies.
func testBucketShards(t *testing.T, b *bucket, work string) {
	in := filepath.Join(work, "in")
	opts := []string{"--seed", "11", "--ratios", "train=0.7,valid=0.1,test=0.2", "--rows-per-file", "4000", "--row-group-rows", "1000"}
	local := filepath.Join(work, "shards-ref")
	runCLI(t, t.Context(), exitOK, slices.Concat([]string{"split", in, "--out", local, "-q"}, opts)...)

	stdout, _ := runCLI(t, t.Context(), exitOK, slices.Concat([]string{"plan", in, "--out", b.url("job"), "--shards", "3"}, opts)...)
	if !strings.Contains(stdout, "run-shard --plan "+strings.SplitN(b.url("job/plan.json"), "?", 2)[0]) {
		t.Errorf("plan's next step names another plan:\n%s", stdout)
	}
	for _, k := range []string{"2", "0", "1"} {
		runCLI(t, t.Context(), exitOK, "run-shard", "--plan", b.url("job/plan.json"), "--shard-index", k, "--workers", k, "-q")
	}
	runCLI(t, t.Context(), exitOK, "run-shard", "--plan", b.url("job/plan.json"), "--shard-index", "1", "-q") // a retried task
	runCLI(t, t.Context(), exitOK, "merge", b.url("job"), "-q", "--if-exists", "skip")                        // not merged yet: merges

	want, got := localFiles(t, local), b.objects(t, "job")
	if _, ok := got["plan.json"]; !ok {
		t.Error("the merged output lost plan.json")
	}
	for _, m := range []map[string]string{want, got} {
		delete(m, "manifest.json")
		delete(m, "plan.json")
	}
	if !maps.Equal(got, want) {
		t.Errorf("merged bucket output differs from the local split:\n got %v\nwant %v", got, want)
	}
	wantM, err := os.ReadFile(filepath.Join(local, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	gotM := b.read(t, "job/manifest.json")
	if g, w := comparableManifest(t, gotM), comparableManifest(t, wantM); !equalJSON(g, w) {
		t.Errorf("manifests differ:\n got %s\nwant %s", gotM, wantM)
	}
	runCLI(t, t.Context(), exitOK, "verify", b.url("job"), "--input", in, "-q")
	// A merged job is not merged again.
	_, stderr := runCLI(t, t.Context(), exitFailure, "merge", b.url("job"))
	if !strings.Contains(stderr, "://bkt/job is already merged") {
		t.Errorf("merge of a merged job:\n%s", stderr)
	}
	// A retried merge step skips the merged job, and names a damaged one.
	manifest := b.read(t, "job/manifest.json")
	for _, extra := range [][]string{nil, {"--verify-existing"}} {
		_, stderr = runCLI(t, t.Context(), exitOK, slices.Concat([]string{"merge", b.url("job"), "--if-exists", "skip"}, extra)...)
		if !strings.Contains(stderr, "://bkt/job already holds this job's output") {
			t.Errorf("merge --if-exists skip %v of a merged job:\n%s", extra, stderr)
		}
	}
	if !bytes.Equal(b.read(t, "job/manifest.json"), manifest) {
		t.Error("merge --if-exists skip rewrote the manifest")
	}
	s := b.open(t)
	w := s.Create(t.Context(), "job/test/part-00000.parquet")
	w.Write([]byte("PAR1 damaged PAR1"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, stderr = runCLI(t, t.Context(), exitFailure, "merge", b.url("job"), "--if-exists", "skip", "--verify-existing")
	if !strings.Contains(stderr, "existing output is not this job's") || !strings.Contains(stderr, "test/part-00000.parquet") {
		t.Errorf("merge --if-exists skip --verify-existing of a damaged job:\n%s", stderr)
	}
	t.Run("bucket inputs", func(t *testing.T) { testBucketInputShards(t, b, work, opts, local) })
}

// testBucketInputShards runs the scale-out flow on bucket INPUTs: the
// plan records them by URL and version, and the tasks read them from the
// bucket; with the plan on the bucket, then on local disk. The merged
// output equals the local split ref. An input replaced after the plan
// fails the shard that reads it, naming the object.
func testBucketInputShards(t *testing.T, b *bucket, work string, opts []string, ref string) {
	want := localFiles(t, ref)
	delete(want, "manifest.json")
	for _, where := range []string{"bucket", "local"} {
		t.Run("plan on "+where, func(t *testing.T) {
			dir, planPath, files := b.url("job-"+where), b.url("job-"+where+"/plan.json"), func() map[string]string { return b.objects(t, "job-"+where) }
			if where == "local" {
				d := filepath.Join(work, "job-bucket-inputs")
				dir, planPath, files = d, filepath.Join(d, "plan.json"), func() map[string]string { return localFiles(t, d) }
			}
			runCLI(t, t.Context(), exitOK, slices.Concat([]string{"plan", b.url("data/in"), "--out", dir, "--shards", "3", "-q"}, opts)...)
			var p pipeline.Plan
			var planBytes []byte
			if where == "local" {
				planBytes, _ = os.ReadFile(planPath)
			} else {
				planBytes = b.read(t, "job-bucket/plan.json")
			}
			if err := json.Unmarshal(planBytes, &p); err != nil {
				t.Fatal(err)
			}
			for _, in := range p.Inputs {
				if !strings.HasPrefix(in.Path, b.url("data/in/")[:5]) || strings.Contains(in.Path, "?") || in.Location == "" || in.Version == "" {
					t.Errorf("plan input %+v: want a bare URL as path, a location and a version", in)
				}
			}
			if bytes.Contains(planBytes, []byte("test-secret-never-logged")) {
				t.Errorf("the plan holds a credential:\n%s", planBytes)
			}
			for _, k := range []string{"1", "0", "2"} {
				runCLI(t, t.Context(), exitOK, "run-shard", "--plan", planPath, "--shard-index", k, "-q")
			}
			runCLI(t, t.Context(), exitOK, "merge", dir, "-q")
			// The merged manifest records the inputs as a split's does.
			manifest, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
			if where == "bucket" {
				manifest, err = b.read(t, "job-bucket/manifest.json"), nil
			}
			if err != nil {
				t.Fatal(err)
			}
			checkManifestObjects(t, manifest, bareBucketURL(b, "data/in/"))
			got := files()
			for _, n := range []string{"manifest.json", "plan.json"} {
				delete(got, n)
			}
			if !maps.Equal(got, want) {
				t.Errorf("merged output of bucket inputs differs from the local split:\n got %v\nwant %v", got, want)
			}
		})
	}
	t.Run("input replaced", func(t *testing.T) {
		b.upload(t, filepath.Join(work, "in"), "data/in2")
		runCLI(t, t.Context(), exitOK, slices.Concat([]string{"plan", b.url("data/in2"), "--out", b.url("job-changed"), "--shards", "2", "-q"}, opts)...)
		// The same bytes written again: a new version (ETag or generation
		// may equal on some stores, so the bytes change too).
		s := b.open(t)
		infos, err := s.List(t.Context(), "data/in2/")
		if err != nil || len(infos) == 0 {
			t.Fatal(infos, err)
		}
		data := b.read(t, infos[0].Key)
		w := s.Create(t.Context(), infos[0].Key)
		w.Write(append(data[:len(data):len(data)], 0))
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, stderr := runCLI(t, t.Context(), exitFailure, "run-shard", "--plan", b.url("job-changed/plan.json"), "--shard-index", "0")
		t.Log(stderr)
		if !strings.Contains(stderr, "://bkt/"+infos[0].Key+": input changed") || !strings.Contains(stderr, "plan again") {
			t.Errorf("run-shard on a replaced input:\n%s", stderr)
		}
		if got := b.objects(t, "job-changed/.shards"); len(got) != 0 {
			t.Errorf("a refused shard left %v", got)
		}
	})
}
