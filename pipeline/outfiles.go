package pipeline

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/splitdata/splitdata/sources"
)

// outputFiles reads the files of a finished output: the local directory
// dir, or, when fsys is set, fsys (a bucket prefix, say), whose files
// must implement io.ReaderAt; dir then only names the output in
// messages. Local files are opened only when they are regular files
// inside dir ([openInside]).
type outputFiles struct {
	dir  string
	fsys fs.FS
}

// readFile is an opened file of an output.
type readFile interface {
	io.Reader
	io.ReaderAt
	io.Closer
}

// name is the file rel (slash-separated) of the output, for messages.
func (d outputFiles) name(rel string) string {
	if d.fsys != nil {
		return strings.TrimSuffix(d.dir, "/") + "/" + rel
	}
	return filepath.Join(d.dir, filepath.FromSlash(rel))
}

// missingFile is the error of a file the manifest lists that is not in
// the output: said in those words, not the system call's.
type missingFile struct{}

func (missingFile) Error() string        { return "missing from the output" }
func (missingFile) Is(target error) bool { return target == fs.ErrNotExist }

// open opens the regular file rel of the output and returns its size.
func (d outputFiles) open(rel string) (readFile, int64, error) {
	if d.fsys == nil {
		f, st, err := openInside(d.dir, rel)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, 0, missingFile{}
		}
		if err != nil {
			return nil, 0, err
		}
		return f, st.Size(), nil
	}
	f, err := d.fsys.Open(rel)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, 0, missingFile{}
	}
	if err != nil {
		return nil, 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	rf, ok := f.(readFile)
	switch {
	case !st.Mode().IsRegular():
		f.Close()
		return nil, 0, fmt.Errorf("not a regular file (%s)", sources.FileKind(st.Mode()))
	case !ok:
		f.Close()
		return nil, 0, fmt.Errorf("%w: the file system's files cannot be read at an offset (no ReadAt)", sources.ErrUnsupported)
	}
	return rf, st.Size(), nil
}

// readDir returns the names in the directory sub ("" for the root).
func (d outputFiles) readDir(sub string) ([]string, error) {
	var entries []fs.DirEntry
	var err error
	if d.fsys == nil {
		entries, err = os.ReadDir(filepath.Join(d.dir, sub))
	} else {
		entries, err = fs.ReadDir(d.fsys, cleanOrDot(sub))
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, len(entries))
	for i, e := range entries {
		names[i] = e.Name()
	}
	return names, nil
}

// cleanOrDot is sub as an fs.FS names it: "." for the root.
func cleanOrDot(sub string) string {
	if sub == "" {
		return "."
	}
	return path.Clean(sub)
}

// openSource opens the output file rel, written with options opts, for
// reading rows; close closes it.
func (d outputFiles) openSource(opts ManifestOptions, rel string) (sources.FileSource, func(), error) {
	if d.fsys == nil {
		src, err := opts.openOutput(filepath.Join(d.dir, filepath.FromSlash(rel)))
		if err != nil {
			return nil, nil, err
		}
		return src, func() { _ = src.Close() }, nil
	}
	f, size, err := d.open(rel)
	if err != nil {
		return nil, nil, &sources.InputError{Path: d.name(rel), RowGroup: -1, Err: err}
	}
	src, err := sources.OpenReaderAt(d.name(rel), f, size, opts.outputOptions())
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return src, func() { _ = src.Close(); _ = f.Close() }, nil
}
