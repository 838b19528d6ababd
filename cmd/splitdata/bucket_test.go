package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/splitdata/splitdata/internal/gendata"
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
