package sources

import (
	"fmt"
	"os"
	"time"
)

// openFile opens the regular file at path for a source and returns it with
// the stamp that later tells whether it changed. Anything else (a named
// pipe, a device, a directory) is refused with an [InputError], without
// blocking: a named pipe is checked before it is opened, and opened
// non-blocking (where the system has the flag) in case it appears in
// between, since opening one for reading waits for a writer, deaf to
// signals.
func openFile(path string) (*os.File, fileStamp, error) {
	notRegular := func(mode os.FileMode) error {
		return &InputError{Path: path, RowGroup: -1, Err: fmt.Errorf("%w: not a regular file (%s)", ErrUnsupported, FileKind(mode))}
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, fileStamp{}, err
	}
	if !st.Mode().IsRegular() {
		return nil, fileStamp{}, notRegular(st.Mode())
	}
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, fileStamp{}, err
	}
	if st, err = f.Stat(); err != nil {
		f.Close()
		return nil, fileStamp{}, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, fileStamp{}, notRegular(st.Mode())
	}
	if err := clearNonblock(f); err != nil {
		f.Close()
		return nil, fileStamp{}, err
	}
	return f, fileStamp{name: path, opened: st}, nil
}

// FileKind names the kind of a file that is not a regular one, for
// errors: "a named pipe", "a symbolic link", "a directory" and so on.
func FileKind(mode os.FileMode) string {
	switch {
	case mode&os.ModeSymlink != 0:
		return "a symbolic link"
	case mode.IsDir():
		return "a directory"
	case mode&os.ModeNamedPipe != 0:
		return "a named pipe"
	case mode&os.ModeSocket != 0:
		return "a socket"
	case mode&os.ModeCharDevice != 0:
		return "a character device"
	case mode&os.ModeDevice != 0:
		return "a device"
	}
	return "an irregular file"
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
