//go:build linux

package pipeline

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestDirectFile writes files around directChunk and directAlign in
// writes of several sizes, with direct I/O where the test's file system
// takes it, and reads them back whole.
func TestDirectFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name        string
		size, write int
	}{
		{"empty", 0, 1},
		{"under a block", directAlign - 1, 100},
		{"one block", directAlign, directAlign},
		{"a block and a byte", directAlign + 1, 7},
		{"under a chunk", directChunk - 1, 1 << 16},
		{"one chunk", directChunk, directChunk},
		{"chunk and a block", directChunk + directAlign, 3000},
		{"three chunks and a bit", 3*directChunk + 5, 1<<20 + 3},
		{"one large write", 5*directChunk + 4097, 5*directChunk + 4097},
	} {
		data, path := patterned(tc.size), filepath.Join(dir, tc.name)
		w := createOutput(t, path)
		direct := w.direct != nil
		writePieces(t, tc.name, w, data, tc.write)
		if w.written != int64(tc.size) {
			t.Errorf("%s: written %d of %d", tc.name, w.written, tc.size)
		}
		if direct && w.direct != nil && w.direct.n >= directChunk {
			t.Errorf("%s: %d bytes buffered, a full chunk unwritten", tc.name, w.direct.n)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: Close: %v", tc.name, err)
		}
		if w.direct != nil {
			t.Errorf("%s: buffer kept after Close", tc.name)
		}
		checkReadBack(t, fmt.Sprintf("%s (direct %v)", tc.name, direct), path, data)
	}
}

// TestDirectFileUsed checks that a file on the test's temporary
// directory, where it is a local disk that takes O_DIRECT, is written directly,
// so that TestDirectFile exercises that path (skipped elsewhere).
func TestDirectFileUsed(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	if !localDisk(f) {
		f.Close()
		t.Skip("not a local disk file system: written through the page cache")
	}
	if err := setDirect(f, true); err != nil {
		f.Close()
		t.Skipf("no direct I/O here: %v", err)
	}
	f.Close()
	f, err = os.Create(filepath.Join(t.TempDir(), "y"))
	if err != nil {
		t.Fatal(err)
	}
	w := newOutputFile(f)
	if w.direct == nil {
		t.Error("a file system with direct I/O: the file is not written directly")
	}
	if _, err := w.Write(make([]byte, directChunk+1)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(make([]byte, directChunk)); err == nil {
		t.Error("Write to a closed file succeeded")
	}
}

// TestDirectSlots checks that no more files are written directly at once
// than directSlots holds, so their buffers stay bounded whatever the
// outputs, that the others are written behind with the same bytes, and
// that a closed file's slot goes to the next file.
func TestDirectSlots(t *testing.T) {
	dir := t.TempDir()
	probe, err := os.Create(filepath.Join(dir, "probe"))
	if err != nil {
		t.Fatal(err)
	}
	direct := localDisk(probe) && setDirect(probe, true) == nil
	probe.Close()
	if !direct {
		t.Skip("no direct I/O on a local disk here")
	}
	data := bytes.Repeat([]byte("slot"), directChunk/2+3)
	var files []*writeBehindFile
	for i := range cap(directSlots) + 2 {
		f, err := os.Create(filepath.Join(dir, fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		w := newOutputFile(f)
		if got, want := w.direct != nil, i < cap(directSlots); got != want {
			t.Errorf("file %d of %d open at once: written directly %v, want %v", i+1, i+1, got, want)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		files = append(files, w)
	}
	for i, w := range files {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, fmt.Sprint(i)))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("file %d: read back %d bytes (%v), want the %d written", i, len(got), err, len(data))
		}
	}
	f, err := os.Create(filepath.Join(dir, "after"))
	if err != nil {
		t.Fatal(err)
	}
	w := newOutputFile(f)
	if w.direct == nil {
		t.Error("a file opened after the others closed is not written directly")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}
