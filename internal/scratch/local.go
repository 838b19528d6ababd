package scratch

import (
	"bufio"
	"fmt"
	"os"
	"sync"

	"github.com/splitdata/splitdata/internal/staging"
)

// LocalDir is a [Dir] in a local directory: each file an [os.File], which
// on Unix loses its name as soon as it is made, so that a killed run
// leaves nothing of it (elsewhere Close removes it).
type LocalDir struct {
	path   string
	remove func() error
}

var _ Dir = (*LocalDir)(nil)

// Local returns a Dir making its files in the directory path (the system's
// temporary directory when empty). Remove leaves the directory itself.
func Local(path string) *LocalDir { return &LocalDir{path: path} }

// Owned returns a Dir making its files in path, a directory the caller
// made for them: Remove removes it with whatever it holds.
func Owned(path string) *LocalDir {
	return &LocalDir{path: path, remove: func() error { return os.RemoveAll(path) }}
}

// NewLocked makes a private directory prefix+N in parent (the system's
// temporary directory when empty) held by a lock file beside it, after
// removing those a killed run left there ([staging.NewLockedDir]).
// Remove removes it and its lock.
func NewLocked(parent, prefix string) (*LocalDir, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	d, err := staging.NewLockedDir(parent, prefix)
	if err != nil {
		return nil, fmt.Errorf("temporary directory in %s: %w", parent, err)
	}
	return &LocalDir{path: d.Path, remove: d.Remove}, nil
}

// Path is the directory ("" for the system's temporary directory).
func (d *LocalDir) Path() string { return d.path }

// String is the directory's path.
func (d *LocalDir) String() string {
	if d.path == "" {
		return os.TempDir()
	}
	return d.path
}

// Remove removes the directory, when the Dir owns it. Files still open
// stay readable on Unix until closed.
func (d *LocalDir) Remove() error {
	if d.remove == nil {
		return nil
	}
	return d.remove()
}

// Create makes a file named name followed by a random number.
func (d *LocalDir) Create(name string, o Options) (File, error) {
	f, err := os.CreateTemp(d.path, name+"-*")
	if err != nil {
		return nil, err
	}
	lf := &localFile{f: f, name: f.Name(), buffer: o.Buffer}
	if staging.RemoveWhileOpen {
		// The open file outlives its name: the name goes now.
		_ = os.Remove(f.Name())
		lf.removed = true
	}
	return lf, nil
}

// localFile is an os.File written through a bufio.Writer.
type localFile struct {
	f       *os.File
	name    string
	buffer  int
	w       *bufio.Writer
	size    int64 // appended and flushed or written at, or truncated to
	removed bool

	mu     sync.Mutex // guards size for WriteAt from several goroutines
	closed bool
}

func (f *localFile) Name() string { return f.name }

func (f *localFile) Write(p []byte) (int, error) {
	if f.buffer <= 0 {
		return (&appender{f}).Write(p)
	}
	if f.w == nil {
		f.w = bufio.NewWriterSize(&appender{f}, f.buffer)
	}
	return f.w.Write(p)
}

// appendAt is where appends continue.
func (f *localFile) appendAt() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.size
}

func (f *localFile) grow(end int64) {
	f.mu.Lock()
	f.size = max(f.size, end)
	f.mu.Unlock()
}

// appender writes a bufio.Writer's blocks at the file's end.
type appender struct{ f *localFile }

func (a *appender) Write(p []byte) (int, error) {
	at := a.f.appendAt()
	n, err := a.f.f.WriteAt(p, at)
	a.f.grow(at + int64(n))
	return n, err
}

func (f *localFile) Flush() error {
	if f.w == nil {
		return nil
	}
	err := f.w.Flush()
	f.w = nil
	return err
}

func (f *localFile) WriteAt(p []byte, off int64) (int, error) {
	n, err := f.f.WriteAt(p, off)
	f.grow(off + int64(n))
	return n, err
}

func (f *localFile) ReadAt(p []byte, off int64) (int, error) { return f.f.ReadAt(p, off) }

func (f *localFile) Truncate(n int64) error {
	if err := f.f.Truncate(n); err != nil {
		return err
	}
	f.grow(n)
	return nil
}

func (f *localFile) Size() int64 { return f.appendAt() }

func (f *localFile) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	f.mu.Unlock()
	err := f.f.Close()
	if !f.removed {
		if rerr := os.Remove(f.name); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}
