package pipeline

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"testing"
)

// shortReader serves at most max bytes per ReadAt, as some readers of
// objects do, and fails at failAt if that is positive.
type shortReader struct {
	data   []byte
	max    int
	failAt int64
}

func (r shortReader) ReadAt(p []byte, off int64) (int, error) {
	if r.failAt > 0 && off+int64(len(p)) > r.failAt {
		return 0, errors.New("read failed")
	}
	if off >= int64(len(r.data)) {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.max)], r.data[off:])
	if n < len(p) && off+int64(n) == int64(len(r.data)) {
		return n, io.EOF
	}
	return n, nil
}

// TestEndsSHA256 checks the hash against the SHA-256 of the bytes it
// names, for sizes on either side of the whole-file limit and of the read
// chunk, with readers that return short reads, and that a failed read is
// the error while a file that ends early is hashed up to its end.
func TestEndsSHA256(t *testing.T) {
	data := make([]byte, 3*IdentityBytes)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	want := func(b []byte) string {
		if len(b) > 2*IdentityBytes {
			b = append(append([]byte(nil), b[:IdentityBytes]...), b[len(b)-IdentityBytes:]...)
		}
		s := sha256.Sum256(b)
		return hex.EncodeToString(s[:])
	}
	for _, tc := range []struct {
		name   string
		size   int
		max    int
		failAt int64
		stored int // bytes the reader has, if fewer than size
		err    bool
	}{
		{name: "empty", size: 0, max: 1 << 30},
		{name: "one byte", size: 1, max: 1 << 30},
		{name: "one chunk", size: hashChunk, max: 1 << 30},
		{name: "chunk and one", size: hashChunk + 1, max: 1 << 30},
		{name: "whole limit", size: 2 * IdentityBytes, max: 1 << 30},
		{name: "ends", size: 2*IdentityBytes + 1, max: 1 << 30},
		{name: "ends, large", size: 3 * IdentityBytes, max: 1 << 30},
		{name: "short reads", size: 450_000, max: 1000},
		{name: "short reads, ends", size: 3*IdentityBytes - 5, max: 70_000},
		{name: "file shrank", size: 500_000, max: 1 << 30, stored: 300_000},
		{name: "read fails", size: 500_000, max: 1 << 30, failAt: 400_000, err: true},
		{name: "tail read fails", size: 3 * IdentityBytes, max: 1 << 30, failAt: 2*IdentityBytes + 1, err: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stored := tc.size
			if tc.stored > 0 {
				stored = tc.stored
			}
			r := shortReader{data: data[:stored], max: tc.max, failAt: tc.failAt}
			got, err := endsSHA256(r, int64(tc.size))
			if tc.err {
				if err == nil {
					t.Fatalf("no error, hash %s", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := want(data[:tc.size])
			if tc.stored > 0 {
				w = want(data[:stored])
			}
			if got != w {
				t.Errorf("hash %s, want %s", got, w)
			}
			// The same through io.Copy, as the hash was taken before.
			h := sha256.New()
			if _, err := io.Copy(h, io.NewSectionReader(bytes.NewReader(data[:stored]), 0, min(int64(tc.size), 2*IdentityBytes))); err != nil {
				t.Fatal(err)
			}
			if tc.size <= 2*IdentityBytes && hex.EncodeToString(h.Sum(nil)) != got {
				t.Errorf("differs from io.Copy's hash")
			}
		})
	}
}
