//go:build unix

package staging

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive flock on f without blocking and reports
// whether it got it.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

// locksWork reports that [tryLock] tells a live holder: a lock it takes
// proves that no running process owns what the lock guards.
const locksWork = true
