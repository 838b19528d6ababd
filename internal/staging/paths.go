package staging

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// ResolvePath returns the absolute, clean form of p with its symbolic links
// resolved: those of its deepest existing ancestor, by
// [filepath.EvalSymlinks]; the rest of p, which does not exist yet, is
// appended as it is. Two paths that lead to the same place, through
// symbolic links or not, resolve to the same string (bind mounts and hard
// links aside: see the pipeline's check that inputs lie outside the output).
func ResolvePath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	cur, rest := abs, ""
	for {
		real, err := filepath.EvalSymlinks(cur)
		if err == nil {
			return filepath.Join(real, rest), nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("resolve %s: %w", p, err)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}
