//go:build unix

package pipeline

import "syscall"

// Flags with which verify opens a part file: never through a symbolic
// link, never waiting (for a named pipe's writer).
const (
	openNoFollow = syscall.O_NOFOLLOW
	openNonblock = syscall.O_NONBLOCK
)

// removeWhileOpen reports that an open file may lose its name and still be
// read and written until closed.
const removeWhileOpen = true
