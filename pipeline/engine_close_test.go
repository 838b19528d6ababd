package pipeline

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// fakeLocal is an output file whose Close is a sync: it takes a while,
// may fail, and counts the closes running at once.
type fakeLocal struct {
	fail    bool
	delay   time.Duration
	closed  *atomic.Int32
	running *atomic.Int32
	most    *atomic.Int32
}

func (f fakeLocal) Sync() error { return nil }

func (f fakeLocal) Close() error {
	n := f.running.Add(1)
	for {
		m := f.most.Load()
		if n <= m || f.most.CompareAndSwap(m, n) {
			break
		}
	}
	time.Sleep(f.delay)
	f.running.Add(-1)
	f.closed.Add(1)
	if f.fail {
		return errors.New("disk full")
	}
	return nil
}

// fakeRemote is an output file that is not local: closed at once.
type fakeRemote struct {
	fail   bool
	closed *atomic.Int32
}

func (f fakeRemote) Close() error {
	f.closed.Add(1)
	if f.fail {
		return errors.New("upload failed")
	}
	return nil
}

// TestFileClosers checks that finished files close behind the writer, at
// most closeBehindFiles at once, that wait returns once all closed, and
// that the error is the first failed file's in the order handed over,
// whichever closed first.
func TestFileClosers(t *testing.T) {
	tests := []struct {
		name   string
		files  int
		fail   []int // files whose Close fails
		remote []int // files that are not local
		want   int   // file whose error is reported, -1 for none
	}{
		{name: "none", files: 0, want: -1},
		{name: "all close", files: 20, want: -1},
		{name: "one fails", files: 20, fail: []int{7}, want: 7},
		{name: "the first of several", files: 20, fail: []int{15, 3, 9}, want: 3},
		{name: "remote closed at once", files: 10, remote: []int{0, 5}, want: -1},
		{name: "remote failure", files: 10, remote: []int{4}, fail: []int{4}, want: 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var closed, running, most atomic.Int32
			failing := map[int]bool{}
			for _, i := range tt.fail {
				failing[i] = true
			}
			remote := map[int]bool{}
			for _, i := range tt.remote {
				remote[i] = true
			}
			c := newFileClosers()
			handed := 0
			var err error
			for i := range tt.files {
				rel := fmt.Sprintf("f%02d", i)
				if remote[i] {
					err = c.close(rel, fakeRemote{fail: failing[i], closed: &closed})
				} else {
					// Later files close sooner: errors arrive out of order.
					delay := time.Duration(tt.files-i) * time.Millisecond
					err = c.close(rel, fakeLocal{fail: failing[i], delay: delay, closed: &closed, running: &running, most: &most})
				}
				handed++
				if err != nil {
					break // as the writer stops
				}
			}
			if werr := c.wait(); werr != nil {
				err = werr
			}
			if got := closed.Load(); int(got) != handed {
				t.Errorf("%d of %d files closed after wait", got, handed)
			}
			if m := most.Load(); m > closeBehindFiles {
				t.Errorf("%d files closing at once, at most %d", m, closeBehindFiles)
			}
			if tt.want < 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("write f%02d:", tt.want)) {
				t.Fatalf("error %v, want the one of f%02d", err, tt.want)
			}
		})
	}
}

// failAfter is a writer that takes limit bytes, then fails.
type failAfter struct {
	buf   []byte
	limit int
}

func (f *failAfter) Write(p []byte) (int, error) {
	n := min(len(p), f.limit-len(f.buf))
	f.buf = append(f.buf, p[:n]...)
	if n < len(p) {
		return n, errors.New("no space left")
	}
	return n, nil
}

// TestHashBeside checks that hashBeside writes and hashes every byte in
// order, for small writes and large ones hashed beside the copy, and
// returns the writer's count and error.
func TestHashBeside(t *testing.T) {
	data := make([]byte, 3*hashBesideBytes+1234)
	for i := range data {
		data[i] = byte(i * 7)
	}
	tests := []struct {
		name   string
		writes []int // sizes, in order
		limit  int   // bytes the writer takes before failing
	}{
		{name: "small", writes: []int{1, 100, 4096}, limit: len(data)},
		{name: "large", writes: []int{hashBesideBytes, 2 * hashBesideBytes}, limit: len(data)},
		{name: "mixed", writes: []int{10, hashBesideBytes + 5, 7, hashBesideBytes}, limit: len(data)},
		{name: "large write fails", writes: []int{100, 2 * hashBesideBytes}, limit: hashBesideBytes},
		{name: "small write fails", writes: []int{hashBesideBytes, 1000}, limit: hashBesideBytes + 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := &failAfter{limit: tt.limit}
			h := sha256.New()
			hb := hashBeside{w: w, h: h}
			at := 0
			var err error
			for _, size := range tt.writes {
				var n int
				n, err = hb.Write(data[at : at+size])
				if err == nil && n != size {
					t.Fatalf("wrote %d of %d bytes without an error", n, size)
				}
				at += n
				if err != nil {
					break
				}
			}
			failed := tt.limit < len(data) && at == tt.limit
			if failed != (err != nil) {
				t.Fatalf("error %v after %d bytes, limit %d", err, at, tt.limit)
			}
			if !bytes.Equal(w.buf, data[:at]) {
				t.Fatalf("the writer got %d bytes, not the %d written", len(w.buf), at)
			}
			if err == nil {
				want := sha256.Sum256(data[:at])
				if got := h.Sum(nil); !bytes.Equal(got, want[:]) {
					t.Fatalf("sum %x, want %x", got, want)
				}
			}
		})
	}
}

// copyWriter copies what it is given into a buffer, as a write into the
// page cache does.
type copyWriter struct{ buf []byte }

func (c copyWriter) Write(p []byte) (int, error) { return copy(c.buf, p), nil }

// BenchmarkHashBeside measures a writer's 1 MiB writes, copied and
// hashed beside the copy, against io.MultiWriter's hash after it.
func BenchmarkHashBeside(b *testing.B) {
	p := make([]byte, 1<<20)
	w := copyWriter{buf: make([]byte, len(p))}
	for _, bb := range []struct {
		name string
		mk   func(h hash.Hash) io.Writer
	}{
		{"beside", func(h hash.Hash) io.Writer { return hashBeside{w: w, h: h} }},
		{"multiwriter", func(h hash.Hash) io.Writer { return io.MultiWriter(w, h) }},
	} {
		b.Run(bb.name, func(b *testing.B) {
			w := bb.mk(sha256.New())
			b.SetBytes(int64(len(p)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := w.Write(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
