package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/storage"
)

// bucket is a bucket served in-process on loopback, as the command line
// reaches it: url(key) is the URL of a key, with the parameters the store
// needs (an S3 endpoint), set as a user would.
type bucket struct {
	name string
	url  func(key string) string
	// handler, when set, serves requests in place of the store (tests
	// wrap the store's handler to hold or count requests).
	handler *http.Handler
	inner   http.Handler
}

// isolateCloudEnv keeps the machine's cloud configuration out of a test.
func isolateCloudEnv(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test-secret-never-logged", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CA_BUNDLE": "",
		"AZURE_STORAGE_CONNECTION_STRING": "", "AZURE_STORAGE_ACCOUNT": "", "AZURE_STORAGE_KEY": "", "AZURE_STORAGE_SAS_TOKEN": "",
		"STORAGE_EMULATOR_HOST": "", "GOOGLE_APPLICATION_CREDENTIALS": "",
	} {
		t.Setenv(k, v)
	}
}

// serve starts an httptest server whose handler the bucket may swap.
func serve(t *testing.T, b *bucket) *httptest.Server {
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { b.inner.ServeHTTP(w, r) })
	b.handler = &h
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { (*b.handler).ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	return srv
}

func s3Bucket(t *testing.T) *bucket {
	isolateCloudEnv(t)
	be := s3mem.New()
	if err := be.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	b := &bucket{name: "s3", inner: gofakes3.New(be).Server()}
	srv := serve(t, b)
	b.url = func(key string) string {
		return "s3://bkt/" + key + "?endpoint=" + srv.URL + "&use_path_style=true&region=us-east-1"
	}
	return b
}

func gcsBucket(t *testing.T) *bucket {
	isolateCloudEnv(t)
	b := &bucket{name: "gcs"}
	srv := serve(t, b)
	fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, ExternalURL: srv.URL, Scheme: "http", Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Stop)
	b.inner = fake.HTTPHandler()
	fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "bkt"})
	// As gsutil and the client libraries are pointed at an emulator.
	t.Setenv("STORAGE_EMULATOR_HOST", strings.TrimPrefix(srv.URL, "http://"))
	b.url = func(key string) string { return "gs://bkt/" + key }
	return b
}

// open opens the bucket for the test's own checks.
func (b *bucket) open(t *testing.T) *storage.Store {
	loc, err := storage.Parse(b.url(""))
	if err != nil {
		t.Fatal(err)
	}
	s, err := storage.Open(t.Context(), loc, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// upload copies the local directory dir to the bucket under prefix.
func (b *bucket) upload(t *testing.T, dir, prefix string) {
	s := b.open(t)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		w := s.Create(t.Context(), prefix+"/"+filepath.ToSlash(rel))
		if _, err := w.Write(data); err != nil {
			return err
		}
		return w.Close()
	})
	if err != nil {
		t.Fatal(err)
	}
}

// objects returns the sha256 of every object under prefix/, by name
// below it, and the manifest's bytes.
func (b *bucket) objects(t *testing.T, prefix string) map[string]string {
	s := b.open(t)
	infos, err := s.List(t.Context(), prefix+"/")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, info := range infos {
		o := s.OpenInfo(t.Context(), info)
		data := make([]byte, info.Size)
		if _, err := o.ReadAt(data, 0); err != nil && err != io.EOF {
			t.Fatalf("read %s: %v", info.Key, err)
		}
		o.Close()
		out[strings.TrimPrefix(info.Key, prefix+"/")] = digest(data)
	}
	return out
}

// read returns the bytes of the object at key.
func (b *bucket) read(t *testing.T, key string) []byte {
	s := b.open(t)
	o, err := s.OpenObject(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	data := make([]byte, o.Size())
	if _, err := o.ReadAt(data, 0); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	return data
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// localFiles returns the sha256 of every file under dir, by slash name.
func localFiles(t *testing.T, dir string) map[string]string {
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out[filepath.ToSlash(rel)] = digest(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// runCLI runs the command line in-process and fails the test unless it
// exits with want; it returns stdout and stderr.
func runCLI(t *testing.T, ctx context.Context, want int, args ...string) (string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, args, &stdout, &stderr); code != want {
		t.Fatalf("splitdata %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), code, want, stdout.String(), stderr.String())
	}
	return stdout.String(), stderr.String()
}

// comparableManifest is a manifest without what a bucket run rightly
// changes: its creation time and how its inputs are named.
func comparableManifest(t *testing.T, data []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest: %v\n%s", err, data)
	}
	delete(m, "created")
	delete(m, "inputs")
	return m
}

// genInput writes the small dataset the bucket tests split: 20,000 rows
// in 2 files of row groups of 5,000.
func genInput(t *testing.T, dir string) {
	if _, err := gendata.Write(t.Context(), dir, gendata.Config{Rows: 20_000, Files: 2, RowGroupRows: 5_000, Seed: 3}); err != nil {
		t.Fatal(err)
	}
}

// bucketCases are the jobs run on both local paths and a bucket.
var bucketCases = []struct {
	name string
	args []string
}{
	{"split", []string{"split", "--ratios", "train=0.8,valid=0.1,test=0.1"}},
	{"shuffle", []string{"split", "--shuffle"}},
	{"stratify", []string{"split", "--stratify", "label"}},
	{"sample", []string{"sample", "--rows", "3000"}},
	{"kfold", []string{"kfold", "--k", "3"}},
}

// storeName names a bucket maker's store for subtests.
func storeName(mk func(*testing.T) *bucket) string {
	switch reflect.ValueOf(mk).Pointer() {
	case reflect.ValueOf(s3Bucket).Pointer():
		return "s3"
	case reflect.ValueOf(gcsBucket).Pointer():
		return "gcs"
	}
	return "azure"
}

// TestBucketJobsEqualLocal runs split (exact, --shuffle, --stratify),
// sample and kfold reading from and writing to each in-process object
// store, with 1 and 3 workers, and checks every output object's sha256
// and the manifest (apart from created and the inputs' names) against
// the same job on local files; then verify on the bucket output.
func TestBucketJobsEqualLocal(t *testing.T) {
	for _, mk := range []func(*testing.T) *bucket{s3Bucket, gcsBucket, azureBucket} {
		t.Run(storeName(mk), func(t *testing.T) {
			b := mk(t)
			work := t.TempDir()
			genInput(t, filepath.Join(work, "in"))
			b.upload(t, filepath.Join(work, "in"), "data/in")
			t.Run("shards", func(t *testing.T) { testBucketShards(t, b, work) })
			for _, c := range bucketCases {
				for _, workers := range []string{"1", "3"} {
					t.Run(c.name+"/workers="+workers, func(t *testing.T) {
						common := []string{"--seed", "7", "--workers", workers, "--rows-per-file", "4000", "--row-group-rows", "1000", "-q"}
						local := filepath.Join(work, c.name+"-"+workers)
						runCLI(t, t.Context(), exitOK, slices.Concat(c.args, []string{filepath.Join(work, "in"), "--out", local}, common)...)
						prefix := "out/" + c.name + "-" + workers
						runCLI(t, t.Context(), exitOK, slices.Concat(c.args, []string{b.url("data/in"), "--out", b.url(prefix)}, common)...)

						want, got := localFiles(t, local), b.objects(t, prefix)
						delete(want, "manifest.json")
						delete(got, "manifest.json")
						if !maps.Equal(got, want) {
							t.Errorf("bucket output differs from the local one:\n got %v\nwant %v", got, want)
						}
						wantM, err := os.ReadFile(filepath.Join(local, "manifest.json"))
						if err != nil {
							t.Fatal(err)
						}
						gotM := b.read(t, prefix+"/manifest.json")
						if g, w := comparableManifest(t, gotM), comparableManifest(t, wantM); !equalJSON(g, w) {
							t.Errorf("manifests differ:\n got %s\nwant %s", gotM, wantM)
						}
						checkManifestObjects(t, gotM, bareBucketURL(b, "data/in/"))
						// verify reads the output and the inputs from the bucket.
						stdout, _ := runCLI(t, t.Context(), exitOK, "verify", b.url(prefix), "--input", b.url("data/in"))
						if !strings.Contains(stdout, "every input row is in the split the algorithm assigns it") {
							t.Errorf("verify --input: %s", stdout)
						}
					})
				}
			}
		})
	}
}

// equalJSON compares decoded JSON values.
func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestBucketErrors checks the messages and exit codes of the mistakes a
// bucket run can meet.
func TestBucketErrors(t *testing.T) {
	b := s3Bucket(t)
	work := t.TempDir()
	genInput(t, filepath.Join(work, "in"))
	b.upload(t, filepath.Join(work, "in"), "in")
	in := filepath.Join(work, "in")
	runCLI(t, t.Context(), exitOK, "split", in, "--out", b.url("o"), "--seed", "1", "-q")
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"exists", []string{"split", in, "--out", b.url("o"), "--seed", "1"}, exitFailure,
			"splitdata: output exists: s3://bkt/o already exists and is not empty\nsplitdata: use --overwrite to replace it, or choose another --out\n"},
		{"missing input", []string{"split", b.url("nowhere"), "--out", b.url("p"), "--seed", "1"}, exitFailure,
			"splitdata: s3://bkt/nowhere: no such object, and no objects under it\n"},
		{"glob matches nothing", []string{"split", b.url("in/*.csv"), "--out", b.url("p"), "--seed", "1"}, exitFailure,
			"splitdata: s3://bkt/in/*.csv: the glob matches no object\n"},
		{"input inside output", []string{"split", b.url("in"), "--out", b.url(""), "--seed", "1", "--overwrite"}, exitFailure,
			"lies inside the output s3://bkt/; choose another --out"},
		{"unknown parameter", []string{"split", in, "--out", "s3://bkt/o?colour=red", "--seed", "1"}, exitUsage,
			`unknown parameter "colour"`},
		{"credentials in URL", []string{"split", "s3://key:secret@bkt/in", "--out", "o", "--seed", "1"}, exitUsage,
			"credentials do not go in the URL"},
		{"plan input inside output", []string{"plan", b.url("in"), "--out", b.url(""), "--seed", "1", "--shards", "2", "--overwrite"}, exitFailure,
			"lies inside the output s3://bkt/; choose another --out"},
		{"temp-dir inside output", []string{"split", in, "--out", b.url("t"), "--seed", "1", "--temp-dir", b.url("t/tmp")}, exitUsage,
			"--temp-dir s3://bkt/t/tmp lies inside the output s3://bkt/t; choose a prefix beside it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := runCLI(t, t.Context(), tt.code, tt.args...)
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr:\n%s\nwant it to hold:\n%s", stderr, tt.msg)
			}
			if strings.Contains(stderr, "secret") {
				t.Errorf("stderr shows a credential:\n%s", stderr)
			}
		})
	}
	// The failed runs left their outputs unlocked and empty.
	for _, p := range []string{"p", "t"} {
		if got := b.objects(t, p); len(got) != 0 {
			t.Errorf("failed run left objects under %s: %v", p, got)
		}
	}
	runCLI(t, t.Context(), exitOK, "split", in, "--out", b.url("o"), "--seed", "1", "--overwrite", "-q")
	if strings.Contains(fmt.Sprint(b.objects(t, ".o.splitdata")), "lock") {
		t.Error("the lock outlived the run")
	}
}

// TestBucketIfExistsSkip checks --if-exists skip on a bucket --out: the
// manifest's presence is the sign of a committed output, which is kept
// untouched when it is this job's (and then verified with
// --verify-existing) and named as different otherwise; a prefix without
// one runs the job.
func TestBucketIfExistsSkip(t *testing.T) {
	b := s3Bucket(t)
	work := t.TempDir()
	in := filepath.Join(work, "in")
	genInput(t, in)
	job := []string{"split", in, "--seed", "1", "--if-exists", "skip", "--rows-per-file", "4000"}
	runCLI(t, t.Context(), exitOK, slices.Concat(job, []string{"--out", b.url("o"), "-q"})...) // nothing there: runs
	local := filepath.Join(work, "ref")
	runCLI(t, t.Context(), exitOK, slices.Concat(job, []string{"--out", local, "-q"})...)
	first, manifest := b.objects(t, "o"), b.read(t, "o/manifest.json")
	want := localFiles(t, local)
	delete(want, "manifest.json")
	delete(first, "manifest.json")
	if !maps.Equal(first, want) {
		t.Fatalf("skip run on an empty prefix:\n got %v\nwant %v", first, want)
	}
	for _, tt := range []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"same job", nil, exitOK, "s3://bkt/o already holds this job's output"},
		{"same job, rehashed", []string{"--verify-existing"}, exitOK, "s3://bkt/o already holds this job's output"},
		{"other seed", []string{"--seed", "2"}, exitFailure, "existing output is not this job's: s3://bkt/o: seed 1, this run's is 2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, stderr := runCLI(t, t.Context(), tt.code, slices.Concat(job, []string{"--out", b.url("o")}, tt.args)...)
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr:\n%s\nwant it to hold %q", stderr, tt.msg)
			}
			if !bytes.Equal(b.read(t, "o/manifest.json"), manifest) {
				t.Error("the manifest was rewritten")
			}
		})
	}
	// A damaged file is found by --verify-existing, and the output is kept.
	w := b.open(t).Create(t.Context(), "o/train/part-00000.parquet")
	w.Write([]byte("PAR1 not really PAR1"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, stderr := runCLI(t, t.Context(), exitFailure, slices.Concat(job, []string{"--out", b.url("o"), "--verify-existing"})...)
	if !strings.Contains(stderr, "existing output is not this job's: s3://bkt/o") || !strings.Contains(stderr, "train/part-00000.parquet") {
		t.Errorf("skip over a damaged file:\n%s", stderr)
	}
	// Objects but no manifest: refused as an existing output.
	w = b.open(t).Create(t.Context(), "stray/x.txt")
	w.Write([]byte("x"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, stderr = runCLI(t, t.Context(), exitFailure, slices.Concat(job, []string{"--out", b.url("stray")})...)
	if !strings.Contains(stderr, "s3://bkt/stray already exists and is not empty") {
		t.Errorf("skip over a prefix without a manifest:\n%s", stderr)
	}
	// Every skip released its lock.
	runCLI(t, t.Context(), exitOK, "split", in, "--seed", "1", "--out", b.url("o"), "--overwrite", "-q")
}

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

// TestBucketExitCodes checks the exit status of store failures: an
// output locked by a live run (on another host) and a request still
// failing for a passing reason after its retries are transient (75), a
// refusal is a failure (1).
func TestBucketExitCodes(t *testing.T) {
	b := s3Bucket(t)
	work := t.TempDir()
	genInput(t, filepath.Join(work, "in"))
	s := b.open(t)
	w := s.Create(t.Context(), ".o.splitdata/lock")
	w.Write([]byte(`{"run":"20261206T000000Z-0","host":"another-host","pid":1,"started":"2026-12-06T00:00:00Z"}`))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	_, stderr := runCLI(t, t.Context(), exitTransient, "split", filepath.Join(work, "in"), "--out", b.url("o"), "--seed", "1")
	if !strings.Contains(stderr, "output is locked by another run: s3://bkt/.o.splitdata/lock: run 20261206T000000Z-0 on another-host (pid 1)") {
		t.Errorf("locked output:\n%s", stderr)
	}
	if got := b.objects(t, "o"); len(got) != 0 {
		t.Errorf("a refused run wrote %v", got)
	}

	for _, tt := range []struct {
		err  error
		code int
	}{
		{&storage.Error{Op: "read", URL: "s3://b/k", Status: http.StatusServiceUnavailable, Err: errors.New("slow down")}, exitTransient},
		{&storage.Error{Op: "read", URL: "s3://b/k", Status: http.StatusTooManyRequests, Err: errors.New("throttled")}, exitTransient},
		{fmt.Errorf("write: %w", &storage.Error{Op: "write", URL: "s3://b/k", Err: io.ErrUnexpectedEOF}), exitTransient},
		{&storage.Error{Op: "read", URL: "s3://b/k", Status: http.StatusForbidden, Err: storage.ErrPermission}, exitFailure},
		{&storage.Error{Op: "read", URL: "s3://b/k", Status: http.StatusNotFound, Err: storage.ErrNotFound}, exitFailure},
		{fmt.Errorf("%w: s3://b/o", storage.ErrLocked), exitTransient},
	} {
		if got := exitCode(t.Context(), tt.err); got != tt.code {
			t.Errorf("exit code of %v: %d, want %d", tt.err, got, tt.code)
		}
	}
}
