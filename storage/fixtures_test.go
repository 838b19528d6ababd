package storage_test

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fsouza/fake-gcs-server/fakestorage"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/splitdata/splitdata/storage"
)

// fixture is a bucket of one store, served in-process on loopback (Azure:
// by an Azurite process the test starts).
type fixture struct {
	name string
	// open opens the fixture's bucket with opts (its HTTPClient, when
	// set, wraps the fixture's transport).
	open func(t *testing.T, opts storage.Options) *storage.Store
	// put writes an object behind the Store's back (another writer).
	put func(t *testing.T, key string, data []byte)
}

// isolateEnv keeps the machine's cloud configuration out of the tests.
func isolateEnv(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_REGION": "", "AWS_DEFAULT_REGION": "", "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_CA_BUNDLE": "",
		"AZURE_STORAGE_CONNECTION_STRING": "", "AZURE_STORAGE_ACCOUNT": "", "AZURE_STORAGE_KEY": "", "AZURE_STORAGE_SAS_TOKEN": "",
		"STORAGE_EMULATOR_HOST": "",
	} {
		t.Setenv(k, v)
	}
}

func s3Fixture(t *testing.T) fixture {
	isolateEnv(t)
	be := s3mem.New()
	srv := httptest.NewServer(gofakes3.New(be).Server())
	t.Cleanup(srv.Close)
	if err := be.CreateBucket("bkt"); err != nil {
		t.Fatal(err)
	}
	loc, err := storage.Parse("s3://bkt/?endpoint=" + srv.URL + "&use_path_style=true&region=us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{name: "s3"}
	f.open = func(t *testing.T, opts storage.Options) *storage.Store {
		s, err := storage.Open(t.Context(), loc, opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	f.put = func(t *testing.T, key string, data []byte) {
		if _, err := be.PutObject("bkt", key, map[string]string{}, strings.NewReader(string(data)), int64(len(data)), nil); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func gcsFixture(t *testing.T) fixture {
	isolateEnv(t)
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	fake, err := fakestorage.NewServerWithOptions(fakestorage.Options{NoListener: true, ExternalURL: srv.URL,
		Scheme: "http", Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Stop)
	h = fake.HTTPHandler()
	fake.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "bkt"})
	loc, err := storage.Parse("gs://bkt/")
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{name: "gcs"}
	f.open = func(t *testing.T, opts storage.Options) *storage.Store {
		if opts.HTTPClient == nil {
			opts.HTTPClient = &http.Client{}
		}
		s, err := storage.Open(t.Context(), loc, storage.WithGCSEndpoint(opts, srv.URL+"/storage/v1/"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	f.put = func(t *testing.T, key string, data []byte) {
		fake.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "bkt", Name: key}, Content: data})
	}
	return f
}

// azuriteAccount is Azurite's documented development account.
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// azureFixture starts Azurite's blob service (azurite-blob on PATH, or
// through npx when node is installed) on a free loopback port; without
// it the test is skipped with a message.
func azureFixture(t *testing.T) fixture {
	isolateEnv(t)
	var cmd []string
	if p, err := exec.LookPath("azurite-blob"); err == nil {
		cmd = []string{p}
	} else if p, err := exec.LookPath("npx"); err == nil && os.Getenv("SPLITDATA_NPX_AZURITE") != "" {
		cmd = []string{p, "--yes", "--package=azurite", "azurite-blob"}
	} else {
		t.Skip("Azure tests need Azurite: npm install -g azurite (azurite-blob on PATH)")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	c := exec.Command(cmd[0], append(cmd[1:], "--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(port),
		"--silent", "--skipApiVersionCheck", "--inMemoryPersistence")...)
	var stderr strings.Builder
	c.Stderr = &stderr
	c.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := c.Start(); err != nil {
		t.Skipf("Azure tests need Azurite, which did not start: %v", err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = c.Wait(); close(exited) }()
	t.Cleanup(func() {
		syscall.Kill(-c.Process.Pid, syscall.SIGKILL)
		<-exited
	})
	deadline := time.Now().Add(2 * time.Minute)
	for {
		conn, err := net.Dial("tcp", addr)
		if err == nil {
			conn.Close()
			break
		}
		select {
		case <-exited:
			t.Fatalf("Azurite exited: %v: %s", waitErr, stderr.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("Azurite did not listen on %s within two minutes", addr)
		}
	}
	t.Setenv("AZURE_STORAGE_KEY", azuriteKey)
	loc, err := storage.Parse("az://bkt/?storage_account=" + azuriteAccount + "&domain=" + addr + "&protocol=http&localemu=true")
	if err != nil {
		t.Fatal(err)
	}
	// Create the container with a shared-key PUT through the Store's
	// own client: the package has no bucket creation, so do it here.
	if err := storage.CreateAzureContainer(t.Context(), loc); err != nil {
		t.Fatal(err)
	}
	f := fixture{name: "azure"}
	f.open = func(t *testing.T, opts storage.Options) *storage.Store {
		s, err := storage.Open(t.Context(), loc, opts)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	f.put = func(t *testing.T, key string, data []byte) {
		s := f.open(t, storage.Options{})
		w := s.Create(t.Context(), key)
		w.Write(data)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// eachStore runs fn against each store's fixture as a subtest.
func eachStore(t *testing.T, fn func(t *testing.T, f fixture)) {
	t.Run("s3", func(t *testing.T) { fn(t, s3Fixture(t)) })
	t.Run("gcs", func(t *testing.T) { fn(t, gcsFixture(t)) })
	t.Run("azure", func(t *testing.T) { fn(t, azureFixture(t)) })
}

// faults is an http.RoundTripper that fails a fraction of requests: a 503
// answered without sending the request, a request held back before it is
// sent, a connection dropped before the request is sent, or (for GETs)
// a response body cut short. Decisions come from a seeded generator, so
// a failing run can be repeated with its seed.
type faults struct {
	next                     http.RoundTripper
	mu                       sync.Mutex
	r                        *rand.Rand
	p503, pSlow, pDrop, pCut float64
	injected                 atomic.Int64
	only                     func(*http.Request) bool
}

func newFaults(seed uint64, next http.RoundTripper) *faults {
	if next == nil {
		next = http.DefaultTransport
	}
	return &faults{next: next, r: rand.New(rand.NewPCG(seed, 1)), p503: 0.15, pSlow: 0.05, pDrop: 0.1, pCut: 0.15}
}

func (f *faults) RoundTrip(req *http.Request) (*http.Response, error) {
	if f.only != nil && !f.only(req) {
		return f.next.RoundTrip(req)
	}
	f.mu.Lock()
	x := f.r.Float64()
	f.mu.Unlock()
	switch {
	case x < f.p503:
		f.injected.Add(1)
		drain(req)
		return &http.Response{StatusCode: http.StatusServiceUnavailable, Status: "503 Service Unavailable",
			Header: http.Header{"Content-Type": {"application/xml"}}, Request: req, ProtoMajor: 1, ProtoMinor: 1,
			Body: io.NopCloser(strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>injected</Message></Error>`))}, nil
	case x < f.p503+f.pSlow:
		f.injected.Add(1)
		time.Sleep(20 * time.Millisecond)
	case x < f.p503+f.pSlow+f.pDrop:
		f.injected.Add(1)
		drain(req)
		return nil, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	case x < f.p503+f.pSlow+f.pDrop+f.pCut && req.Method == http.MethodGet:
		resp, err := f.next.RoundTrip(req)
		if err != nil || resp.StatusCode/100 != 2 || resp.ContentLength < 2 {
			return resp, err
		}
		f.injected.Add(1)
		resp.Body = &cutBody{rc: resp.Body, left: resp.ContentLength / 2}
		return resp, nil
	}
	return f.next.RoundTrip(req)
}

func drain(req *http.Request) {
	if req.Body != nil {
		io.Copy(io.Discard, req.Body)
		req.Body.Close()
	}
}

// cutBody ends a response body early with a reset connection.
type cutBody struct {
	rc   io.ReadCloser
	left int64
}

func (c *cutBody) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, &net.OpError{Op: "read", Net: "tcp", Err: syscall.ECONNRESET}
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *cutBody) Close() error { return c.rc.Close() }

// statusTransport answers every request matching match with status.
type statusTransport struct {
	next   http.RoundTripper
	status int
	match  func(*http.Request) bool
}

func (s statusTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !s.match(req) {
		return s.next.RoundTrip(req)
	}
	drain(req)
	return &http.Response{StatusCode: s.status, Status: fmt.Sprintf("%d %s", s.status, http.StatusText(s.status)),
		Header: http.Header{"Content-Type": {"application/xml"}}, Request: req, ProtoMajor: 1, ProtoMinor: 1,
		Body: io.NopCloser(strings.NewReader(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`))}, nil
}

// readAll reads a whole object through a Store.
func readAll(t *testing.T, s *storage.Store, key string) []byte {
	t.Helper()
	o, err := s.OpenObject(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	b := make([]byte, o.Size())
	if n, err := o.ReadAt(b, 0); n != len(b) || (err != nil && !errors.Is(err, io.EOF)) {
		t.Fatalf("read %s: %d of %d bytes: %v", key, n, len(b), err)
	}
	return b
}

// keys lists the keys under prefix.
func keys(t *testing.T, s *storage.Store, prefix string) []string {
	t.Helper()
	objs, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

// pattern is n deterministic bytes.
func pattern(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 2))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}
