package pipeline

import (
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"time"

	"github.com/splitdata/splitdata/sources"
)

// Input is one input of a job given as a value, not a path: a file on an
// [fs.FS] ([FSInput]), bytes behind an [io.ReaderAt] ([ReaderAtInput]), an
// object in a bucket (a ReaderAtInput whose reader knows its identity) or a
// source the caller opened ([SourceInput]). Jobs take them in
// [JobOptions.Sources], after the files of Inputs, in order: the rows of an
// Input follow those of the one before. The zero Input is not usable.
type Input struct {
	name string
	// open opens the input with the job's input options.
	open func(opts sources.Options) (openedInput, error)
	// object, for an [ObjectInput], is what a sharded plan records of it.
	object *objectRef
}

// openedInput is an opened Input: its source, and what checks it for
// changes and closes it beyond the source's own CheckUnchanged and Close
// (nil if nothing). The source itself is not wrapped, so that the engine
// still finds its optional interfaces (batches, ranges, columns).
type openedInput struct {
	src    sources.FileSource
	check  func() error
	closer io.Closer
}

// close releases an opened input that no plan took (nil parts are
// skipped). It was only read, so a failed close loses nothing.
func (o openedInput) close() {
	if o.src != nil {
		_ = o.src.Close()
	}
	if o.closer != nil {
		_ = o.closer.Close()
	}
}

// Name returns the input's name, as errors and manifests show it.
func (in Input) Name() string { return in.name }

// Unchanged is implemented by the io.ReaderAt of a [ReaderAtInput] that can
// tell whether its data still is what the job opened: a bucket object
// comparing its generation or ETag, say. The job calls CheckUnchanged
// after the rows are written, before the output is committed, and fails
// with its error (wrap [sources.ErrChanged] in an [*sources.InputError]).
type Unchanged interface {
	CheckUnchanged() error
}

// ReaderAtInput is the size bytes of r, in the format of the job's
// InputFormat or, without one, of name's extension; name is the input's
// name in errors and manifests. The job reads r concurrently with ReadAt
// and does not close it. If r implements [Unchanged], a change of the data
// during the job fails the job.
func ReaderAtInput(name string, r io.ReaderAt, size int64) Input {
	return Input{name: name, open: func(opts sources.Options) (openedInput, error) {
		src, err := sources.OpenReaderAt(name, r, size, opts)
		if err != nil {
			return openedInput{}, err
		}
		in := openedInput{src: src}
		if u, ok := r.(Unchanged); ok {
			in.check = u.CheckUnchanged
		}
		return in, nil
	}}
}

// FSInput is the file name of fsys (a slash-separated path, as fs.FS
// takes), in the format of the job's InputFormat or of name's extension.
// The file fsys opens must be a regular file implementing io.ReaderAt
// (those of os.DirFS, embed.FS and testing/fstest.MapFS do). A change of
// its size or modification time during the job fails the job. Manifests
// name it by name.
func FSInput(fsys fs.FS, name string) Input {
	return Input{name: name, open: func(opts sources.Options) (openedInput, error) {
		f, err := fsys.Open(name)
		if err != nil {
			return openedInput{}, err
		}
		st, err := f.Stat()
		if err != nil {
			f.Close()
			return openedInput{}, err
		}
		ra, ok := f.(io.ReaderAt)
		switch {
		case !st.Mode().IsRegular():
			f.Close()
			return openedInput{}, &sources.InputError{Path: name, RowGroup: -1, Err: fmt.Errorf("%w: not a regular file (%s)", sources.ErrUnsupported, sources.FileKind(st.Mode()))}
		case !ok:
			f.Close()
			return openedInput{}, &sources.InputError{Path: name, RowGroup: -1, Err: fmt.Errorf("%w: the file system's files cannot be read at an offset (no ReadAt)", sources.ErrUnsupported)}
		}
		src, err := sources.OpenReaderAt(name, ra, st.Size(), opts)
		if err != nil {
			f.Close()
			return openedInput{}, err
		}
		size, mod := st.Size(), st.ModTime()
		check := func() error {
			now, err := fs.Stat(fsys, name)
			if err != nil {
				return &sources.InputError{Path: name, RowGroup: -1, Err: fmt.Errorf("%w: %w", sources.ErrChanged, err)}
			}
			if now.Size() != size || !now.ModTime().Equal(mod) {
				return &sources.InputError{Path: name, RowGroup: -1, Err: fmt.Errorf("%w: %d bytes modified %s, %d bytes modified %s when opened",
					sources.ErrChanged, now.Size(), now.ModTime().UTC().Format(time.RFC3339Nano), size, mod.UTC().Format(time.RFC3339Nano))}
			}
			return nil
		}
		return openedInput{src, check, f}, nil
	}}
}

// FSInputs is every file of fsys whose name matches one of the patterns
// (as fs.Glob matches them), sorted by name, as [FSInput]s. A pattern that
// matches nothing is an error wrapping [ErrNoInput].
func FSInputs(fsys fs.FS, patterns ...string) ([]Input, error) {
	var names []string
	for _, p := range patterns {
		m, err := fs.Glob(fsys, p)
		if err != nil {
			return nil, fmt.Errorf("%w: pattern %q: %w", ErrUsage, p, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%w: no files match %s", ErrNoInput, p)
		}
		names = append(names, m...)
	}
	sortedNames := make(map[string]bool, len(names))
	var out []Input
	for _, n := range sortNames(names) {
		if sortedNames[n] {
			return nil, fmt.Errorf("%w: %s is named more than once", ErrNoInput, n)
		}
		sortedNames[n] = true
		out = append(out, FSInput(fsys, n))
	}
	return out, nil
}

// sortNames sorts slash-separated names as paths.
func sortNames(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = path.Clean(n)
	}
	slices.Sort(out)
	return out
}

// SourceInput is a source the caller opened: any [sources.FileSource],
// a format of the caller's own included. The job reads it, checks it with
// CheckUnchanged at the end and Closes it.
func SourceInput(src sources.FileSource) Input {
	return Input{name: src.Name(), open: func(sources.Options) (openedInput, error) { return openedInput{src: src}, nil }}
}

// fileInput is the local file at path, as the paths of Inputs are read.
func fileInput(path string) Input {
	return Input{name: path, open: func(opts sources.Options) (openedInput, error) {
		src, err := sources.Open(path, opts)
		return openedInput{src: src}, err
	}}
}
