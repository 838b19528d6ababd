package sources

import (
	"bytes"
	"fmt"
	"sync/atomic"
	"testing"
)

// countingFetcher is data read as from a bucket, counting the bytes
// fetched.
type countingFetcher struct {
	data    []byte
	fetched atomic.Int64
}

func (f *countingFetcher) ReadAt(p []byte, off int64) (int, error) {
	return bytes.NewReader(f.data).ReadAt(p, off)
}

func (f *countingFetcher) FetchAt(p []byte, off int64) (int, error) {
	f.fetched.Add(int64(len(p)))
	return bytes.NewReader(f.data).ReadAt(p, off)
}

// A window read forward, as the decoders read a chunk (a page header's
// read of more bytes than the header, then the body from the header's
// end; ReadAt or bytes), fetches each byte of its span once, however
// the reads fall against its buffer's end, and holds at most its limit.
func TestWindowReadsForward(t *testing.T) {
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i * 7)
	}
	const limit = 100
	// Each page: a header read of 40 bytes at its start of which the
	// header is hn bytes, then its body of n bytes (by bytes unless
	// copy), end to end from the span's start to its end.
	type page struct{ hn, n int }
	tests := []struct {
		name  string
		pages []page
		copy  bool // bodies by ReadAt, not bytes
	}{
		{"small pages", []page{{5, 20}, {7, 30}, {3, 10}, {6, 60}, {5, 80}, {9, 40}, {2, 99}, {4, 50}, {8, 63}}, false},
		{"small pages copied", []page{{5, 20}, {7, 30}, {3, 10}, {6, 60}, {5, 80}, {9, 40}, {2, 99}, {4, 50}, {8, 63}}, true},
		{"header at the buffer's end", []page{{10, 85}, {10, 85}, {10, 85}, {10, 85}, {10, 85}, {10, 40}}, false},
		{"bodies of the limit", []page{{1, 99}, {1, 99}, {1, 99}, {1, 99}, {1, 96}}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sp := span{off: 10}
			for _, pg := range tc.pages {
				sp.n += int64(pg.hn + pg.n)
			}
			f := &countingFetcher{data: data}
			w := newWindow(f, limit, sp)
			w.prefetch()
			off := sp.off
			for k, pg := range tc.pages {
				header := make([]byte, min(40, sp.off+sp.n-off))
				if n, err := w.ReadAt(header, off); n != len(header) || err != nil {
					t.Fatalf("page %d: header read %d of %d bytes: %v", k, n, len(header), err)
				}
				if !bytes.Equal(header, data[off:off+int64(len(header))]) {
					t.Fatalf("page %d: header bytes differ", k)
				}
				at := off + int64(pg.hn)
				var body []byte
				var ok bool
				if !tc.copy {
					body, ok = w.bytes(at, pg.n)
				}
				if !ok {
					body = make([]byte, pg.n)
					if n, err := w.ReadAt(body, at); n != pg.n || err != nil {
						t.Fatalf("page %d: body read %d of %d bytes: %v", k, n, pg.n, err)
					}
				}
				if !bytes.Equal(body, data[at:at+int64(pg.n)]) {
					t.Fatalf("page %d: body bytes differ", k)
				}
				for _, b := range w.bufs {
					if len(b.data) > limit {
						t.Fatalf("page %d: a buffer of %d bytes, limit %d", k, len(b.data), limit)
					}
				}
				off = at + int64(pg.n)
			}
			if off != sp.off+sp.n {
				t.Fatalf("pages end at %d, the span at %d", off, sp.off+sp.n)
			}
			if got := f.fetched.Load(); got != sp.n {
				t.Errorf("fetched %d bytes for a span of %d", got, sp.n)
			}
		})
	}
}

// A window's checker, for a span larger than its buffer, reads what the
// buffer holds from it and fetches the rest, leaving the buffer as it is.
func TestWindowPeek(t *testing.T) {
	data := make([]byte, 1000)
	for i := range data {
		data[i] = byte(i * 13)
	}
	f := &countingFetcher{data: data}
	w := newWindow(f, 100, span{0, 600})
	w.prefetch()
	<-w.pending // the buffer holds the span's first 100 bytes
	w.pending = nil
	check := w.checker()
	if _, ok := check.(windowPeek); !ok {
		t.Fatalf("checker of a span larger than the window is a %T", check)
	}
	for _, r := range []struct {
		off     int64
		n       int
		fetched int64 // by the read
	}{{0, 40, 0}, {60, 40, 0}, {90, 40, 40}, {300, 10, 10}, {20, 10, 0}} {
		before := f.fetched.Load()
		p := make([]byte, r.n)
		if n, err := check.ReadAt(p, r.off); n != r.n || err != nil || !bytes.Equal(p, data[r.off:r.off+int64(r.n)]) {
			t.Fatalf("read of %d bytes at %d: %d, %v", r.n, r.off, n, err)
		}
		if got := f.fetched.Load() - before; got != r.fetched {
			t.Errorf("read of %d bytes at %d fetched %d, want %d", r.n, r.off, got, r.fetched)
		}
	}
	if got := fmt.Sprint(w.bufs[0].off, len(w.bufs[0].data)); got != "0 100" {
		t.Errorf("buffer from, bytes = %s, want 0 100", got)
	}
}
