package storage_test

import (
	"encoding/base64"
	"encoding/binary"
	"hash/crc32"
	"net/http"
	"sync"
	"testing"

	"github.com/splitdata/splitdata/storage"
)

func TestLoopbackBody(t *testing.T) {
	for _, tc := range []struct {
		endpoint string
		want     bool
	}{
		{"http://127.0.0.1:9000", true},
		{"http://localhost:9000", true},
		{"http://[::1]:9000", true},
		{"https://127.0.0.1:9000", false},
		{"http://10.0.0.5:9000", false},
		{"http://minio.internal:9000", false},
		{"", false},
	} {
		if got := storage.LoopbackBody(tc.endpoint); got != tc.want {
			t.Errorf("LoopbackBody(%q) = %v; want %v", tc.endpoint, got, tc.want)
		}
	}
}

// recorder keeps the headers of the requests with a body.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	got  []http.Header
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Method == http.MethodPut {
		r.mu.Lock()
		r.got = append(r.got, req.Header.Clone())
		r.mu.Unlock()
	}
	return r.next.RoundTrip(req)
}

// TestUnsignedOnLoopback checks that parts and small objects sent to an
// S3 server on loopback over HTTP carry an unsigned payload and the CRC32
// of their bytes, not a SHA-256 of them.
func TestUnsignedOnLoopback(t *testing.T) {
	f := s3Fixture(t)
	rec := &recorder{next: http.DefaultTransport}
	s := f.open(t, storage.Options{HTTPClient: &http.Client{Transport: rec}, PartSize: 5 << 20})
	data := pattern(7, 5<<20+1)
	w := s.Create(t.Context(), "big")
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, b := range [][]byte{data[:5<<20], data[5<<20:]} {
		want = append(want, base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b))))
	}
	if len(rec.got) != 2 {
		t.Fatalf("%d PUTs; want 2 parts", len(rec.got))
	}
	got := []string{rec.got[0].Get("X-Amz-Checksum-Crc32"), rec.got[1].Get("X-Amz-Checksum-Crc32")}
	if rec.got[1].Get("Content-Length") == "1" && got[0] == want[1] { // parts sent in another order
		got[0], got[1] = got[1], got[0]
	}
	for i, h := range rec.got {
		if p := h.Get("X-Amz-Content-Sha256"); p != "UNSIGNED-PAYLOAD" {
			t.Errorf("part %d: x-amz-content-sha256 %q; want UNSIGNED-PAYLOAD", i+1, p)
		}
		if got[i] != want[i] {
			t.Errorf("part %d: x-amz-checksum-crc32 %q; want %q", i+1, got[i], want[i])
		}
	}
}
