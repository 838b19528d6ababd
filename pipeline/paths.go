package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/splitdata/splitdata/internal/staging"
)

// ErrOutputHoldsInput reports an output directory that holds (or is) one of
// the job's inputs: writing it would replace the data being read.
var ErrOutputHoldsInput = errors.New("output would replace an input")

// resolvePath returns the absolute, clean form of p with its symbolic links
// resolved ([staging.ResolvePath]).
func resolvePath(p string) (string, error) { return staging.ResolvePath(p) }

// within reports whether path is dir or lies below it; both are clean and
// absolute.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && filepath.IsLocal(rel)
}

// checkInputsOutside refuses inputs inside the output directory out, or
// equal to it: with --overwrite a run would replace the data it reads (and
// a directory input would find the last run's part files). Paths are
// compared once their symbolic links are resolved, so an input reached
// through a link to the output is found; and every directory holding an
// input is compared with out by [os.SameFile], which finds the output
// reached through a bind mount. The error wraps [ErrOutputHoldsInput] and
// names both paths as given (and as resolved, when that is what shows the
// overlap).
func checkInputsOutside(paths []string, out string) error {
	realOut, err := resolvePath(out)
	if err != nil {
		return err
	}
	outDir, err := os.Stat(realOut)
	if err != nil || !outDir.IsDir() {
		outDir = nil // nothing there yet (or not a directory, refused elsewhere)
	}
	seen := map[string]bool{}   // directories already compared with out
	dirs := map[string]string{} // directories resolved, for inputs side by side
	for _, p := range paths {
		realIn, err := resolveInput(p, dirs)
		if err != nil {
			return err
		}
		overlap := within(realIn, realOut)
		if !overlap && outDir != nil {
			for d := filepath.Dir(realIn); !seen[d]; d = filepath.Dir(d) {
				seen[d] = true
				if st, err := os.Stat(d); err == nil && os.SameFile(st, outDir) {
					overlap = true
					break
				}
				if filepath.Dir(d) == d {
					break
				}
			}
		}
		if !overlap {
			continue
		}
		absIn, _ := filepath.Abs(p)
		absOut, _ := filepath.Abs(out)
		how := ""
		if absIn != realIn || absOut != realOut {
			how = fmt.Sprintf(" (they resolve to %s and %s)", realIn, realOut)
		}
		return fmt.Errorf("%w: input %s lies inside the output directory %s%s; choose another --out",
			ErrOutputHoldsInput, p, out, how)
	}
	return nil
}

// resolveInput is resolvePath(p), resolving p's directory once for all
// the inputs in it (in dirs, by absolute path): a file that is not a
// symbolic link resolves to its name in its directory resolved. Hundreds
// of files in one directory would otherwise each resolve every directory
// above them.
func resolveInput(p string, dirs map[string]string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	dir, base := filepath.Split(abs)
	if st, err := os.Lstat(abs); err != nil || st.Mode()&fs.ModeSymlink != 0 || base == "" || base == "." || base == ".." {
		return resolvePath(p)
	}
	realDir, ok := dirs[dir]
	if !ok {
		if realDir, err = resolvePath(dir); err != nil {
			return "", err
		}
		dirs[dir] = realDir
	}
	return filepath.Join(realDir, base), nil
}
