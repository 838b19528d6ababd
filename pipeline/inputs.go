package pipeline

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/splitdata/splitdata/sources"
)

// ErrNoInput reports that the inputs named no file at all.
var ErrNoInput = errors.New("no input files")

// ResolveInputs expands the inputs a user named into the sorted list of
// files to read. An input is a file, a directory (every file of the input
// format below it, recursively, or of any known format when format is
// empty: see [sources.FormatOf]; hidden files and directories, whose names start
// with "." or "_", are skipped as Spark and Hive do) or a glob pattern. The
// result is sorted by path, so the global row order never depends on the
// order of the arguments or of a directory listing. A file named twice is an
// error: it would count its rows twice.
func ResolveInputs(inputs []string, format string) ([]string, error) {
	var out []string
	for _, in := range inputs {
		paths, err := resolveOne(in, format)
		if err != nil {
			return nil, err
		}
		out = append(out, paths...)
	}
	if len(out) == 0 {
		if len(inputs) == 0 {
			return nil, fmt.Errorf("%w: name at least one file, directory or glob", ErrNoInput)
		}
		what := "input"
		if format != "" {
			what = format
		}
		return nil, fmt.Errorf("%w: no %s files in %s", ErrNoInput, what, strings.Join(inputs, ", "))
	}
	slices.Sort(out)
	for i := 1; i < len(out); i++ {
		if out[i] == out[i-1] {
			return nil, fmt.Errorf("%w: %s is named more than once", ErrNoInput, out[i])
		}
	}
	return out, nil
}

func resolveOne(in, format string) ([]string, error) {
	st, err := os.Stat(in)
	switch {
	case err == nil && st.IsDir():
		return walkDir(in, format)
	case err == nil:
		return []string{filepath.Clean(in)}, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	if !strings.ContainsAny(in, "*?[") {
		return nil, &sources.InputError{Path: in, RowGroup: -1, Err: notFoundError("no such file or directory")}
	}
	matches, gerr := filepath.Glob(in)
	if gerr != nil {
		return nil, fmt.Errorf("bad glob %q: %w", in, gerr)
	}
	if len(matches) == 0 {
		return nil, &sources.InputError{Path: in, RowGroup: -1, Err: notFoundError("the glob matches nothing")}
	}
	var out []string
	for _, m := range matches {
		paths, err := resolveOne(m, format)
		if err != nil {
			return nil, err
		}
		out = append(out, paths...)
	}
	return out, nil
}

// notFoundError is a missing input, bad input rather than a usage error:
// its text says so plainly, and it is an [fs.ErrNotExist].
type notFoundError string

func (e notFoundError) Error() string { return string(e) }

// Is makes a notFoundError an [fs.ErrNotExist].
func (notFoundError) Is(target error) bool { return target == fs.ErrNotExist }

// walkDir lists the files of the input format below dir. A dir reached
// through a symbolic link is walked at the link's target (WalkDir does not
// follow a link at its root), and its files are named through dir, as the
// user named them; links below dir are not followed into directories.
func walkDir(dir, format string) ([]string, error) {
	root := dir
	if st, err := os.Lstat(dir); err == nil && st.Mode()&fs.ModeSymlink != 0 {
		if root, err = filepath.EvalSymlinks(dir); err != nil {
			return nil, err
		}
	}
	var out []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		isRoot := path == root
		if root != dir {
			rel, err := filepath.Rel(root, path)
			if err != nil {
				return err
			}
			path = filepath.Join(dir, rel)
		}
		name := d.Name()
		if !isRoot && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return nil
		}
		if f, ok := sources.FormatOf(name); ok && (format == "" || f == format) {
			out = append(out, path)
		}
		return nil
	})
	return out, err
}

// usageUnlessInput marks an error of [ResolveInputs] as a usage error
// unless it is bad input, such as a missing file.
func usageUnlessInput(err error) error {
	var ie *sources.InputError
	if errors.As(err, &ie) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrUsage, err)
}
