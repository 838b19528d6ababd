//go:build linux

package staging

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Exchange swaps the directories a and b atomically (renameat2 with
// RENAME_EXCHANGE, Linux 3.15+): a kill leaves each name holding one of
// them, never neither. It fails with [ErrNoExchange] where the kernel or
// the file system cannot.
func Exchange(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP) {
		return ErrNoExchange
	}
	return err
}
