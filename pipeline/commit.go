package pipeline

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// staging is an output directory under construction: a hidden temporary
// directory beside the final one, renamed into place by commit. Until then
// nothing exists under the final name, so a failed or killed run leaves
// nothing that looks complete.
type staging struct {
	final     string
	dir       string
	overwrite bool
	done      bool
}

// newStaging checks that final may be written and creates the temporary
// directory beside it (same file system, so the final rename is atomic).
func newStaging(final string, overwrite bool) (*staging, error) {
	final = filepath.Clean(final)
	if err := checkOutput(final, overwrite); err != nil {
		return nil, err
	}
	parent, base := filepath.Split(final)
	if parent == "" {
		parent = "."
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create parent of %s: %w", final, err)
	}
	removeStale(parent, base)
	dir, err := os.MkdirTemp(parent, "."+base+".tmp-")
	if err != nil {
		return nil, fmt.Errorf("create temporary directory for %s: %w", final, err)
	}
	return &staging{final: final, dir: dir, overwrite: overwrite}, nil
}

// removeStale removes the temporary directories of earlier runs on the same
// output that were killed before they could clean up. The caller holds the
// output's lock, so no live run owns them. Failures are ignored: a leftover
// directory is clutter, not a danger.
func removeStale(parent, base string) {
	stale, _ := filepath.Glob(filepath.Join(parent, "."+base+".tmp-*"))
	for _, dir := range stale {
		_ = os.RemoveAll(dir)
	}
}

// checkOutput refuses an output directory with content unless overwrite is
// set, and any existing output that is not a directory.
func checkOutput(final string, overwrite bool) error {
	st, err := os.Stat(final)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !st.IsDir():
		return fmt.Errorf("%w: %s exists and is not a directory", ErrOutputExists, final)
	case overwrite:
		return nil
	}
	empty, err := isEmptyDir(final)
	if err != nil {
		return err
	}
	if !empty {
		return fmt.Errorf("%w: %s already exists and is not empty", ErrOutputExists, final)
	}
	return nil
}

func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	defer f.Close()
	_, err = f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return false, err
}

// path returns the temporary location of rel.
func (s *staging) path(rel string) string { return filepath.Join(s.dir, filepath.FromSlash(rel)) }

// commit moves the finished directory into place. With overwrite, an old
// output is first renamed aside and removed only after the new one is in
// place.
func (s *staging) commit() error {
	// MkdirTemp made the directory private (0700); the output gets the
	// permissions of its subdirectories.
	if err := os.Chmod(s.dir, 0o755); err != nil {
		return err
	}
	if err := syncDir(s.dir); err != nil {
		return err
	}
	if err := checkOutput(s.final, s.overwrite); err != nil {
		return err
	}
	var old string
	if st, err := os.Stat(s.final); err == nil && st.IsDir() {
		empty, err := isEmptyDir(s.final)
		if err != nil {
			return err
		}
		if empty {
			if err := os.Remove(s.final); err != nil {
				return err
			}
		} else {
			old = s.dir + ".old"
			if err := os.Rename(s.final, old); err != nil {
				return fmt.Errorf("move old output aside: %w", err)
			}
		}
	}
	if err := os.Rename(s.dir, s.final); err != nil {
		if old != "" {
			// Put the old output back; the new one stays in its temporary
			// directory and is removed by cleanup.
			_ = os.Rename(old, s.final)
		}
		return fmt.Errorf("move output into place: %w", err)
	}
	s.done = true
	if err := syncDir(filepath.Dir(s.final)); err != nil {
		return err
	}
	if old != "" {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("remove replaced output %s: %w", old, err)
		}
	}
	return nil
}

// cleanup removes the temporary directory unless it was committed.
func (s *staging) cleanup() {
	if !s.done {
		_ = os.RemoveAll(s.dir)
	}
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
