package staging

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A temporary directory splitdata makes in a directory shared with other
// runs (--temp-dir) is owned by a lock: PREFIX-N.lock beside PREFIX-N,
// created and flocked before the directory is made, removed after it. A
// killed run's lock is released by the system with the process, so a
// directory whose lock can be taken belongs to no live run: the next run
// using the same temporary directory removes it ([sweepLockedDirs]). A
// directory without a lock file is not splitdata's to remove (it may be an
// earlier version's, still running).

// LockedDir is a temporary directory held by its lock file.
type LockedDir struct {
	Path string // the directory
	lock *os.File
}

// NewLockedDir removes the directories a killed run left in parent under
// prefix, then makes a new one, private (0700), held until remove.
func NewLockedDir(parent, prefix string) (*LockedDir, error) {
	sweepLockedDirs(parent, prefix)
	for range 100 {
		f, err := CreateUnique(parent, prefix, ".lock", 0o600)
		if err != nil {
			return nil, err
		}
		held, err := tryLock(f)
		if err != nil || !held || !stillAt(f, f.Name()) {
			// A sweeping run took it between its creation and our lock
			// (and removes it): try another name.
			f.Close()
			if err != nil {
				return nil, err
			}
			continue
		}
		dir := strings.TrimSuffix(f.Name(), ".lock")
		if err := os.Mkdir(dir, 0o700); err != nil {
			_ = os.Remove(f.Name())
			f.Close()
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return nil, err
		}
		return &LockedDir{Path: dir, lock: f}, nil
	}
	return nil, fmt.Errorf("no unused name %s* in %s", prefix, parent)
}

// Remove removes the directory and its lock file, then releases the lock.
func (d *LockedDir) Remove() error {
	err := os.RemoveAll(d.Path)
	if err == nil {
		_ = os.Remove(d.lock.Name())
	}
	_ = d.lock.Close()
	return err
}

// stillAt reports whether f is still the file at path: a run that took
// its lock after another removed it holds a lock nobody else can see.
func stillAt(f *os.File, path string) bool {
	st, err := f.Stat()
	cur, cerr := os.Lstat(path)
	return err == nil && cerr == nil && os.SameFile(st, cur)
}

// sweepLockedDirs removes from parent the directories named prefix+N whose
// lock file prefix+N+".lock" no live run holds, and the lock files. Where
// locks cannot tell a live holder ([locksWork]) it does nothing. Failures
// are ignored: a leftover is clutter, and the next run tries again.
func sweepLockedDirs(parent, prefix string) {
	if !locksWork {
		return
	}
	entries, _ := os.ReadDir(parent)
	var locks []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		if rest, ok = strings.CutSuffix(rest, ".lock"); ok && rest != "" && strings.Trim(rest, "0123456789") == "" {
			locks = append(locks, filepath.Join(parent, e.Name()))
		}
	}
	slices.Sort(locks)
	for _, path := range locks {
		f, err := os.OpenFile(path, os.O_RDWR|OpenNoFollow, 0)
		if err != nil {
			continue
		}
		if held, err := tryLock(f); err == nil && held && stillAt(f, path) {
			if err := os.RemoveAll(strings.TrimSuffix(path, ".lock")); err == nil {
				_ = os.Remove(path)
			}
		}
		f.Close()
	}
}
