//go:build unix

package storage

import (
	"errors"
	"syscall"
)

// processAlive reports whether a process pid runs on this machine; a
// process of another user counts as alive.
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
