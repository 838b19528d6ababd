//go:build unix

package sources

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestOpenRefusesSpecialFiles opens inputs that are not regular files, of
// every format: each is refused at once with an InputError naming it (a
// named pipe used to block in open, deaf to signals, until a writer came).
func TestOpenRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	for _, format := range Formats() {
		fifo := filepath.Join(dir, "fifo."+format)
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "null."+format)
		if err := os.Symlink("/dev/null", link); err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(dir, "dir."+format)
		if err := os.Mkdir(sub, 0o777); err != nil {
			t.Fatal(err)
		}
		for path, kind := range map[string]string{fifo: "a named pipe", link: "a character device", sub: "a directory"} {
			_, err := Open(path, Options{})
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, ErrUnsupported) || ie.Path != path ||
				!strings.Contains(err.Error(), "not a regular file ("+kind+")") {
				t.Errorf("Open(%s): %v, want an InputError: not a regular file (%s)", filepath.Base(path), err, kind)
			}
		}
	}
}
