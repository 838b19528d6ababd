//go:build linux

package pipeline

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteBehindFile writes files around the chunk size in writes of
// several sizes and reads them back whole, with direct I/O turned off
// (write-behind, the fallback of file systems without it).
func TestWriteBehindFile(t *testing.T) {
	defer func(was bool) { useDirect = was }(useDirect)
	useDirect = false
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
		data, path := patterned(tc.size), filepath.Join(dir, tc.name)
		w := createOutput(t, path)
		writePieces(t, tc.name, w, data, tc.write)
		if w.dropped > w.started || w.started > w.written || w.written != int64(tc.size) {
			t.Errorf("%s: dropped %d, started %d, written %d of %d", tc.name, w.dropped, w.started, w.written, tc.size)
		}
		if tc.size >= 3*writeBehindChunk && tc.write < writeBehindChunk && !w.off && w.dropped == 0 {
			t.Errorf("%s: nothing dropped of %d bytes", tc.name, tc.size)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: Close: %v", tc.name, err)
		}
		checkReadBack(t, tc.name, path, data)
	}
}

// patterned returns size bytes that differ from block to block.
func patterned(size int) []byte {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	return data
}

// createOutput creates path, which must not exist, as an output file.
func createOutput(t *testing.T, path string) *writeBehindFile {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	return newOutputFile(f)
}

// writePieces writes data to w in writes of size bytes.
func writePieces(t *testing.T, name string, w *writeBehindFile, data []byte, size int) {
	t.Helper()
	for rest := data; len(rest) > 0; {
		n := min(size, len(rest))
		if k, err := w.Write(rest[:n]); err != nil || k != n {
			t.Fatalf("%s: Write = %d, %v, want %d", name, k, err, n)
		}
		rest = rest[n:]
	}
}

// checkReadBack checks that the file at path holds data.
func checkReadBack(t *testing.T, name, path string, data []byte) {
	t.Helper()
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Errorf("%s: read back %d bytes, not the %d written", name, len(got), len(data))
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
