//go:build unix

package sources

import (
	"os"
	"syscall"
)

// openNonblock opens a file without waiting: for a named pipe, without a
// writer; for a regular file it changes nothing.
const openNonblock = syscall.O_NONBLOCK

// clearNonblock puts f, a regular file opened with openNonblock, back in
// blocking mode, as files are normally read.
func clearNonblock(f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.SetNonblock(int(fd), false) }); err != nil {
		return err
	}
	return serr
}
