//go:build linux

package pipeline

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteBehindFile writes files around the chunk size in writes of
// several sizes and reads them back whole.
func TestWriteBehindFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name        string
		size, write int
	}{
		{"empty", 0, 1},
		{"under a chunk", writeBehindChunk - 1, 1 << 16},
		{"one chunk", writeBehindChunk, writeBehindChunk},
		{"three chunks and a bit", 3*writeBehindChunk + 5, 1<<20 + 3},
		{"one large write", 5*writeBehindChunk + 1, 5*writeBehindChunk + 1},
	} {
		data := make([]byte, tc.size)
		for i := range data {
			data[i] = byte(i*7 + i>>13)
		}
		path := filepath.Join(dir, tc.name)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		w := newOutputFile(f)
		for rest := data; len(rest) > 0; {
			n := min(tc.write, len(rest))
			if k, err := w.Write(rest[:n]); err != nil || k != n {
				t.Fatalf("%s: Write = %d, %v, want %d", tc.name, k, err, n)
			}
			rest = rest[n:]
		}
		if w.dropped > w.started || w.started > w.written || w.written != int64(tc.size) {
			t.Errorf("%s: dropped %d, started %d, written %d of %d", tc.name, w.dropped, w.started, w.written, tc.size)
		}
		if tc.size >= 3*writeBehindChunk && tc.write < writeBehindChunk && !w.off && w.dropped == 0 {
			t.Errorf("%s: nothing dropped of %d bytes", tc.name, tc.size)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: Close: %v", tc.name, err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Errorf("%s: read back %d bytes, not the %d written", tc.name, len(got), len(data))
		}
	}
}

// TestWriteBehindClosed checks that a write to a closed file fails.
func TestWriteBehindClosed(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	w := newOutputFile(f)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, writeBehindChunk)); err == nil {
		t.Error("Write to a closed file succeeded")
	}
}

// TestWriteBehindDropError checks that an error of the writeback, met on
// the goroutine that waits for it, is the file's: returned by the next
// write due to start a chunk's writeback, or else by Close, which closes
// the file all the same.
func TestWriteBehindDropError(t *testing.T) {
	failed := errors.New("writeback failed")
	for _, tc := range []struct {
		name  string
		write int // bytes written after the failed drop, before Close
	}{
		{"at close", 0},
		{"at close after a short write", 1 << 10},
		{"at the next chunk", writeBehindChunk},
	} {
		f, err := os.Create(filepath.Join(t.TempDir(), "x"))
		if err != nil {
			t.Fatal(err)
		}
		w := newOutputFile(f)
		w.dropping = make(chan error, 1)
		w.dropping <- failed
		var werr error
		if tc.write > 0 {
			_, werr = w.Write(make([]byte, tc.write))
		}
		cerr := w.Close()
		if tc.write >= writeBehindChunk && !w.off {
			if !errors.Is(werr, failed) {
				t.Errorf("%s: Write = %v, want the writeback's error", tc.name, werr)
			}
			if cerr != nil {
				t.Errorf("%s: Close after the error was reported = %v", tc.name, cerr)
			}
		} else if werr != nil || !errors.Is(cerr, failed) {
			t.Errorf("%s: Write = %v, Close = %v, want the writeback's error from Close", tc.name, werr, cerr)
		}
		if w.dropping != nil {
			t.Errorf("%s: a drop still pending after Close", tc.name)
		}
		if _, err := f.Stat(); err == nil {
			t.Errorf("%s: the file is still open after Close", tc.name)
		}
	}
}
