package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// holdStaging makes the bucket hold the uploads of the output prefix out
// (S3: multipart requests to out/; GCS: writes to its staging area)
// after the first pass of them have gone through: the returned channel
// is closed when one is held, and release lets it and the later ones go
// (it may be called more than once).
func holdStaging(b *bucket, out string, pass int32) (held <-chan struct{}, release func()) {
	h, r := make(chan struct{}), make(chan struct{})
	var n atomic.Int32
	var once, onceR sync.Once
	inner := b.inner
	*b.handler = http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		staging := strings.Contains(req.URL.Path, "/."+out+".splitdata/staging/") ||
			strings.Contains(req.URL.Path, "%2F."+out+".splitdata%2Fstaging%2F") ||
			strings.Contains(req.URL.RawQuery, "."+out+".splitdata%2Fstaging%2F") ||
			strings.Contains(req.URL.RawQuery, "."+out+".splitdata/staging/") ||
			strings.HasPrefix(req.URL.Path, "/bkt/"+out+"/") && (req.URL.Query().Has("uploadId") || req.URL.Query().Has("uploads"))
		if staging && req.Method != http.MethodGet && req.Method != http.MethodHead && n.Add(1) > pass {
			once.Do(func() { close(h) })
			select {
			case <-r:
			case <-req.Context().Done():
				return
			}
		}
		inner.ServeHTTP(w, req)
	})
	return h, func() { onceR.Do(func() { close(r) }) }
}

// TestBucketKilledDuringUpload kills `splitdata split` (SIGKILL) while it
// uploads its files to a bucket: the output prefix then holds no manifest
// and no part file. The next run takes over the dead run's lock, removes
// its staging objects and commits the bytes of an uninterrupted run; or
// `splitdata clean` removes them and the lock first.
func TestBucketKilledDuringUpload(t *testing.T) {
	b := s3Bucket(t)
	work := t.TempDir()
	genInput(t, filepath.Join(work, "in"))
	args := []string{"split", filepath.Join(work, "in"), "--seed", "5", "--rows-per-file", "2000", "--workers", "1", "-q"}
	runCLI(t, t.Context(), exitOK, slices.Concat(args, []string{"--out", filepath.Join(work, "ref")})...)
	want := localFiles(t, filepath.Join(work, "ref"))
	delete(want, "manifest.json")

	for _, clean := range []bool{false, true} {
		t.Run(fmt.Sprintf("clean=%v", clean), func(t *testing.T) {
			prefix := fmt.Sprintf("o%v", clean)
			open := killMidUpload(t, b, work, slices.Concat(args, []string{"--out", b.url(prefix)}), prefix)
			notes := []string{"took over the lock", fmt.Sprintf("aborting %d uploads", open)}
			if clean {
				_, stderr := runCLI(t, t.Context(), exitOK, "clean", b.url(prefix))
				for _, want := range notes {
					if !strings.Contains(stderr, want) {
						t.Errorf("clean's messages lack %q:\n%s", want, stderr)
					}
				}
				if left := b.objects(t, "."+prefix+".splitdata"); len(left) != 0 {
					t.Errorf("clean left %v in the hidden area", left)
				}
				notes = nil
			}
			_, stderr := runCLI(t, t.Context(), exitOK, slices.Concat(args, []string{"--out", b.url(prefix)})...)
			for _, want := range notes {
				if !strings.Contains(stderr, want) {
					t.Errorf("the next run's messages lack %q:\n%s", want, stderr)
				}
			}
			got := b.objects(t, prefix)
			delete(got, "manifest.json")
			if !maps.Equal(got, want) {
				t.Errorf("after the killed run, the next run's output differs from an uninterrupted one:\n got %v\nwant %v", got, want)
			}
			if left := b.objects(t, "."+prefix+".splitdata"); len(left) != 0 {
				t.Errorf("the next run left %v in the hidden area", left)
			}
			runCLI(t, t.Context(), exitOK, "verify", b.url(prefix), "-q")
		})
	}
}

// killMidUpload runs the command line args as a process writing to the
// bucket prefix out, kills it while it makes its fourth upload request,
// checks that out shows nothing, and returns how many uploads it left
// open (S3 uploads each file straight to its key, completed at commit).
func killMidUpload(t *testing.T, b *bucket, dir string, args []string, out string) int {
	held, release := holdStaging(b, out, 3)
	defer release()
	cmd := splitdataCmd(dir, args...)
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-held:
	case err := <-exited:
		t.Fatalf("the run ended before its fourth upload: %v\n%s", err, output.String())
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-exited
	release()
	*b.handler = b.inner

	if got := b.objects(t, out); len(got) != 0 {
		t.Fatalf("a killed run left objects in its output: %v", got)
	}
	left := b.objects(t, "."+out+".splitdata")
	open := openUploads(t, b, out)
	if open == 0 || left["lock"] == "" {
		t.Fatalf("the killed run left %v and %d open uploads, want its lock and open uploads (else this test tests nothing)", left, open)
	}
	return open
}

// openUploads counts the uploads open under the S3 bucket's prefix out,
// asking the server (ListMultipartUploads) as any S3 client would.
func openUploads(t *testing.T, b *bucket, out string) int {
	t.Helper()
	u, err := url.Parse(b.url(""))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u.Query().Get("endpoint") + "/bkt?uploads&prefix=" + url.QueryEscape(out+"/"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode == http.StatusNotFound && strings.Contains(string(body), "NoSuchUpload") {
		return 0 // gofakes3: no upload was ever started in the bucket
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("list uploads: %s: %s", resp.Status, body)
	}
	return strings.Count(string(body), "<UploadId>")
}

// TestBucketOverwriteKeepsOld checks that with --overwrite the old output
// stays complete and valid (it verifies, and no new file shows) until
// the new one is committed.
func TestBucketOverwriteKeepsOld(t *testing.T) {
	b := s3Bucket(t)
	work := t.TempDir()
	genInput(t, filepath.Join(work, "in"))
	in := filepath.Join(work, "in")
	runCLI(t, t.Context(), exitOK, "split", in, "--out", b.url("o"), "--seed", "1", "--rows-per-file", "2000", "-q")
	old := b.objects(t, "o")

	held, release := holdStaging(b, "o", 2)
	defer release()
	done := make(chan int, 1)
	var stdout, stderr bytes.Buffer
	go func() {
		done <- run(t.Context(), []string{"split", in, "--out", b.url("o"), "--seed", "2", "--rows-per-file", "3000", "--overwrite", "-q"}, &stdout, &stderr)
	}()
	select {
	case <-held:
	case code := <-done:
		t.Fatalf("the run ended (%d) before its third upload:\n%s", code, stderr.String())
	}
	// Mid-run: the prefix holds the old output, whole, and it verifies.
	if got := b.objects(t, "o"); !maps.Equal(got, old) {
		t.Errorf("during the overwrite the prefix changed:\n got %v\nwant %v", got, old)
	}
	s := b.open(t)
	if _, err := pipeline.VerifyWithConfig(t.Context(), pipeline.VerifyConfig{Dir: "s3://bkt/o", FS: s.FS(t.Context(), "o")}); err != nil {
		t.Errorf("the old output does not verify during the overwrite: %v", err)
	}
	release()
	if code := <-done; code != exitOK {
		t.Fatalf("overwrite: exit %d\n%s", code, stderr.String())
	}
	var m struct {
		Seed string `json:"seed"`
	}
	if err := json.Unmarshal(b.read(t, "o/manifest.json"), &m); err != nil || m.Seed != "2" {
		t.Errorf("after the overwrite the manifest has seed %q (%v), want 2", m.Seed, err)
	}
	// 16,000 train rows made 8 files of 2,000, and now 6 of 3,000.
	if _, ok := old["train/part-00007.parquet"]; !ok {
		t.Fatalf("the first run wrote %v, not 8 train files", old)
	}
	if _, ok := b.objects(t, "o")["train/part-00007.parquet"]; ok {
		t.Error("an old file outlived the overwrite")
	}
	runCLI(t, t.Context(), exitOK, "verify", b.url("o"), "-q")
}
