package sources

import (
	"fmt"
	"os"
	"time"
)

// openFile opens the regular file at path for a source and returns it with
// the stamp that later tells whether it changed.
func openFile(path string) (*os.File, fileStamp, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fileStamp{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fileStamp{}, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fileStamp{}, &InputError{Path: path, RowGroup: -1, Err: fmt.Errorf("%w: not a regular file", ErrUnsupported)}
	}
	return f, fileStamp{name: path, opened: st}, nil
}

// fileStamp is what an input file looked like when it was opened. The zero
// fileStamp belongs to an input that is not a local file and is never
// reported as changed.
type fileStamp struct {
	name   string
	opened os.FileInfo
}

// check reports, as an [InputError] wrapping [ErrChanged], whether the file
// now differs in size or modification time from when it was opened, or is
// no longer the file at its path: rows read from a file being rewritten
// cannot be trusted.
func (s fileStamp) check() error {
	if s.opened == nil {
		return nil
	}
	changed := func(format string, args ...any) error {
		return &InputError{Path: s.name, RowGroup: -1, Err: fmt.Errorf("%w: %s", ErrChanged, fmt.Sprintf(format, args...))}
	}
	now, err := os.Stat(s.name)
	if err != nil {
		return changed("%v", err)
	}
	switch {
	case !os.SameFile(s.opened, now):
		return changed("replaced by another file")
	case now.Size() != s.opened.Size():
		return changed("size %d, was %d", now.Size(), s.opened.Size())
	case !now.ModTime().Equal(s.opened.ModTime()):
		return changed("modified at %s, was %s", now.ModTime().Format(time.RFC3339Nano), s.opened.ModTime().Format(time.RFC3339Nano))
	}
	return nil
}
