//go:build unix

package staging

import "syscall"

// Flags with which a file splitdata wrote is opened again: never through a
// symbolic link, never waiting (for a named pipe's writer).
const (
	OpenNoFollow = syscall.O_NOFOLLOW
	OpenNonblock = syscall.O_NONBLOCK
)

// RemoveWhileOpen reports that an open file may lose its name and still be
// read and written until closed.
const RemoveWhileOpen = true
