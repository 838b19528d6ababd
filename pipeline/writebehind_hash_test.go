package pipeline

import (
	"bytes"
	"crypto/sha256"
	"hash"
	"sync/atomic"
	"testing"
)

// countingHash counts the bytes it hashes, for a release to check that
// every byte before it was hashed.
type countingHash struct {
	hash.Hash
	n atomic.Int64
}

func (c *countingHash) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return c.Hash.Write(p)
}

// appendWriter keeps what it is given.
type appendWriter struct{ buf []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.buf = append(a.buf, p...)
	return len(p), nil
}

// TestHashedWriter checks that hashedWriter writes and hashes every byte
// in order, for small writes, large ones, stable ones hashed behind the
// writer and writes of each kind mixed, and that a release runs only once
// every byte written before it is hashed, and always runs.
func TestHashedWriter(t *testing.T) {
	const big = hashedWriterBuffer + 77
	type op struct {
		size    int
		stable  bool
		release bool // a release after the write
	}
	tests := []struct {
		name string
		ops  []op
	}{
		{name: "small", ops: []op{{size: 1}, {size: 100}, {size: 4096, release: true}}},
		{name: "large", ops: []op{{size: big}, {size: 2 * big, release: true}}},
		{name: "stable", ops: []op{{size: big, stable: true, release: true}, {size: big, stable: true, release: true}}},
		{name: "stable then small", ops: []op{{size: big, stable: true, release: true}, {size: 10}, {size: 3000, release: true}}},
		{name: "stable then large", ops: []op{{size: big, stable: true, release: true}, {size: hashCopyBytes + 1}, {size: big}}},
		{name: "buffered then stable", ops: []op{{size: 4}, {size: big, stable: true}, {size: 5, stable: true, release: true}, {size: 1000}}},
		{name: "stable small", ops: []op{{size: 10, stable: true, release: true}, {size: big, stable: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			total := 0
			for _, o := range tt.ops {
				total += o.size
			}
			data := make([]byte, total)
			for i := range data {
				data[i] = byte(i*7 + i>>11)
			}
			var out appendWriter
			h := &countingHash{Hash: sha256.New()}
			w := newHashedWriter(&out, h)
			at, want, ran := 0, 0, 0
			var bad atomic.Int64
			for _, o := range tt.ops {
				w.stable = o.stable
				n, err := w.Write(data[at : at+o.size])
				w.stable = false
				if err != nil || n != o.size {
					t.Fatalf("write of %d: %d, %v", o.size, n, err)
				}
				at += o.size
				if o.release {
					want++
					// Buffered bytes are copies, hashed once written.
					hashedBefore := int64(at - len(w.buf))
					w.release(func() {
						ran++
						if h.n.Load() < hashedBefore {
							bad.Store(h.n.Load())
						}
					})
				}
			}
			sum, err := w.sum()
			if err != nil {
				t.Fatal(err)
			}
			if ran != want {
				t.Fatalf("%d releases ran, want %d", ran, want)
			}
			if b := bad.Load(); b != 0 {
				t.Fatalf("a release ran with only %d bytes hashed", b)
			}
			if !bytes.Equal(out.buf, data) {
				t.Fatalf("the file got %d bytes, not the %d written", len(out.buf), len(data))
			}
			if w := sha256.Sum256(data); !bytes.Equal(sum, w[:]) {
				t.Fatalf("sum %x, want %x", sum, w)
			}
		})
	}
}

// TestHashedWriterError checks that a write error is returned.
func TestHashedWriterError(t *testing.T) {
	for _, stable := range []bool{false, true} {
		w := newHashedWriter(&failAfter{limit: 100}, sha256.New())
		w.stable = stable
		_, err := w.Write(make([]byte, hashedWriterBuffer+1))
		w.finish()
		if err == nil {
			t.Fatalf("stable %v: no error from a failed write", stable)
		}
	}
	w := newHashedWriter(&failAfter{limit: 100}, sha256.New())
	if _, err := w.Write(make([]byte, 200)); err != nil {
		t.Fatalf("a buffered write failed: %v", err)
	}
	if _, err := w.sum(); err == nil {
		t.Fatal("no error from a failed flush")
	}
}

// TestHashedWriterSeal checks that a sealed writer lets its buffer go and
// still hashes every byte written before, once finished.
func TestHashedWriterSeal(t *testing.T) {
	data := make([]byte, 3*hashedWriterBuffer)
	for i := range data {
		data[i] = byte(i * 13)
	}
	var out appendWriter
	w := newHashedWriter(&out, sha256.New())
	w.stable = true
	w.Write(data[:2*hashedWriterBuffer])
	w.stable = false
	released := false
	w.release(func() { released = true })
	w.Write(data[2*hashedWriterBuffer:])
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	w.seal()
	if w.buf != nil || w.q != nil {
		t.Fatal("a sealed writer keeps its buffer or its queue")
	}
	w.finish()
	if !released {
		t.Fatal("the release did not run")
	}
	want := sha256.Sum256(data)
	if got := w.h.Sum(nil); !bytes.Equal(got, want[:]) || !bytes.Equal(out.buf, data) {
		t.Fatalf("sum %x, want %x", got, want)
	}
}
