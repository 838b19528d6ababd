//go:build unix

package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

// TestWriteFileAtomic: a page or result replaces a regular file (through
// a link, the file it names), is written in place to a FIFO (renaming over
// it would replace the FIFO, as it would /dev/null or /dev/stdout when run
// as root), and is refused over a directory; no temporary file stays.
func TestWriteFileAtomic(t *testing.T) {
	dir := t.TempDir()

	plain := filepath.Join(dir, "sub", "report.html")
	if err := writeFileAtomic(plain, writeString("one")); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(plain, writeString("two")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(plain); string(b) != "two" {
		t.Errorf("regular file holds %q, want %q", b, "two")
	}

	link := filepath.Join(dir, "link.html")
	if err := os.Symlink(plain, link); err != nil {
		t.Fatal(err)
	}
	if err := writeFileAtomic(link, writeString("three")); err != nil {
		t.Fatal(err)
	}
	if info, err := os.Lstat(link); err != nil || info.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v, %v", info, err)
	}
	if b, _ := os.ReadFile(plain); string(b) != "three" {
		t.Errorf("the link's file holds %q, want %q", b, "three")
	}

	if err := writeFileAtomic(dir, writeString("x")); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("over a directory: %v, want an error saying it is a directory", err)
	}

	fifo := filepath.Join(dir, "result.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo) // opens for reading, so the writer's open returns
		got <- string(b)
	}()
	if err := writeFileAtomic(fifo, writeString("four")); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "four" {
		t.Errorf("the FIFO's reader got %q, want %q", s, "four")
	}
	if info, err := os.Lstat(fifo); err != nil || info.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v, %v", info, err)
	}

	entries, _ := os.ReadDir(filepath.Join(dir, "sub"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
