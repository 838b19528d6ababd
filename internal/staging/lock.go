package staging

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
)

// ErrLocked reports an output directory another run is writing.
var ErrLocked = errors.New("output is locked by another run")

// Lock is an exclusive, advisory lock on an output path, held through
// a lock file beside it (.<name>.lock). The operating system releases it
// when the process ends, however it ends, so a killed run leaves no stale
// lock; the file itself is removed by unlock.
type Lock struct {
	path string
	f    *os.File
}

// LockOutput takes the lock of the output directory final without waiting:
// if another run holds it, it fails at once with an error wrapping
// [ErrLocked]. The lock belongs to the path final resolves to (symbolic
// links followed), so two runs reaching one directory by different names
// exclude each other. Holding it, lockOutput then puts right what an
// interrupted replacement of final left ([recoverAside], by rules): the old
// output is restored if the new one never took its place; and it removes
// the staging directories of killed runs ([removeStale]).
func LockOutput(final string, rules Rules) (*Lock, error) {
	real, err := ResolvePath(final)
	if err != nil {
		return nil, err
	}
	parent, base := filepath.Split(real)
	if err := os.MkdirAll(parent, 0o777); err != nil {
		return nil, fmt.Errorf("create parent of %s: %w", final, err)
	}
	path := filepath.Join(parent, "."+base+".lock")
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
		if err != nil {
			return nil, fmt.Errorf("lock %s: %w", final, err)
		}
		held, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", final, err)
		}
		if !held {
			owner, _ := os.ReadFile(path)
			f.Close()
			return nil, fmt.Errorf("%w: another splitdata run (pid %s) is writing %s; wait for it or choose another --out",
				ErrLocked, string(owner), final)
		}
		// The previous holder may have removed the file between our open
		// and our lock: then we hold a lock on a file nobody else can see.
		// Start again on the file now at path.
		st, err := f.Stat()
		cur, cerr := os.Stat(path)
		if err == nil && cerr == nil && os.SameFile(st, cur) {
			_ = f.Truncate(0)
			_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
			l := &Lock{path: path, f: f}
			if err := recoverAside(real, final, rules); err != nil {
				l.Unlock()
				return nil, err
			}
			removeStale(parent, base)
			return l, nil
		}
		f.Close()
	}
}

// Unlock removes the lock file, then releases the lock. It may be called
// more than once, and on a nil Lock.
func (l *Lock) Unlock() {
	if l == nil || l.f == nil {
		return
	}
	_ = os.Remove(l.path)
	_ = l.f.Close()
	l.f = nil
}
