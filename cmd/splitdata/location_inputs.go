package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/splitdata/splitdata/internal/staging"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/storage"
)

// Bucket INPUTs: the objects a command's INPUTs name, listed in key order,
// opened as the job's inputs pinned to their version (or, for run-shard
// and merge, as a plan records them), and read as a local file is.

// bucketInput is one object an INPUT named.
type bucketInput struct {
	url   string // scheme://bucket/key, the input's name
	loc   storage.Location
	store *storage.Store
	info  storage.ObjectInfo
}

// inputs splits the INPUTs of a command into local paths (file:// URLs
// decoded), left for pipeline.ResolveInputs, and the objects the bucket
// ones name, in URL order: an object's key; a prefix, standing for every
// object of the input format below it as a local directory does (names
// starting with "." or "_" skipped); or a glob over keys.
func (l *locations) inputs(ctx context.Context, args []string, format string) (local []string, objs []bucketInput, err error) {
	for _, a := range args {
		loc, err := parseLocation("input", a)
		if err != nil {
			return nil, nil, err
		}
		if loc.IsLocal() {
			local = append(local, loc.Path())
			continue
		}
		found, err := l.list(ctx, loc, format)
		if err != nil {
			return nil, nil, err
		}
		objs = append(objs, found...)
	}
	slices.SortFunc(objs, func(a, b bucketInput) int { return strings.Compare(a.url, b.url) })
	for i := 1; i < len(objs); i++ {
		if objs[i].url == objs[i-1].url {
			return nil, nil, fmt.Errorf("%w: %s is named more than once", pipeline.ErrNoInput, objs[i].url)
		}
	}
	return local, objs, nil
}

// inputsOutside lists the INPUTs args (inputs) and refuses an output out
// that lies inside a directory or prefix INPUT (checkOutsideInputDirs,
// checkOutsideInputPrefixes) or among its objects (checkObjectsOutside).
// A bucket output is checked against its prefixes before they are listed.
func (l *locations) inputsOutside(ctx context.Context, args []string, format string, out storage.Location) (local []string, objs []bucketInput, err error) {
	if !out.IsLocal() {
		if err := checkOutsideInputPrefixes(args, out); err != nil {
			return nil, nil, err
		}
	}
	if local, objs, err = l.inputs(ctx, args, format); err != nil {
		return nil, nil, err
	}
	if out.IsLocal() {
		err = checkOutsideInputDirs(local, out.Path())
	} else {
		err = checkObjectsOutside(objs, out)
	}
	if err != nil {
		return nil, nil, err
	}
	return local, objs, nil
}

// checkOutsideInputDirs refuses a local output directory out below a
// directory INPUT: the run itself would go well, but every later run on
// that INPUT would read the output's files as its own input, a larger
// dataset without a word (and with --overwrite be refused, its output
// holding its input). Paths are compared with their symbolic links
// resolved; an output that is the INPUT itself is left to the output
// checks, and INPUTs that are files or globs cannot hold it.
func checkOutsideInputDirs(inputs []string, out string) error {
	realOut, err := staging.ResolvePath(out)
	if err != nil {
		return err
	}
	for _, in := range inputs {
		if st, err := os.Stat(in); err != nil || !st.IsDir() {
			continue
		}
		realIn, err := staging.ResolvePath(in)
		if err != nil {
			return err
		}
		if rel, err := filepath.Rel(realIn, realOut); err == nil && rel != "." && filepath.IsLocal(rel) {
			return usagef("--out %s lies inside the input directory %s, so every later run on %s would read this output as input; choose an --out outside it", out, in, in)
		}
	}
	return nil
}

// checkOutsideInputPrefixes is [checkOutsideInputDirs] for a bucket
// output out: it refuses out below a prefix INPUT of its bucket (the
// bucket's root included), whose later runs would list the output's
// objects as input. Globs cannot hold it; INPUTs that do not parse are
// left to inputs.
func checkOutsideInputPrefixes(args []string, out storage.Location) error {
	outKey := strings.Trim(out.Key, "/")
	for _, a := range args {
		if !isBucket(a) {
			continue
		}
		loc, err := storage.Parse(a)
		if err != nil || loc.IsLocal() || strings.ContainsAny(loc.Key, `*?[\`) ||
			loc.Scheme != out.Scheme || loc.Bucket != out.Bucket {
			continue
		}
		if inKey := strings.Trim(loc.Key, "/"); inKey != outKey && insideKey(outKey, inKey) {
			return usagef("--out %s lies inside the input %s, so every later run on %s would read this output as input; choose an --out outside it",
				bareURL(out), bareURL(loc), bareURL(loc))
		}
	}
	return nil
}

// list returns the objects one bucket INPUT names.
func (l *locations) list(ctx context.Context, loc storage.Location, format string) ([]bucketInput, error) {
	s, err := l.store(ctx, loc)
	if err != nil {
		return nil, err
	}
	glob := strings.ContainsAny(loc.Key, `*?[\`)
	var infos []storage.ObjectInfo
	if glob {
		infos, err = s.Glob(ctx, loc.Key)
	} else {
		infos, err = s.ListDir(ctx, loc.Key)
	}
	switch {
	case errors.Is(err, storage.ErrNotFound):
		what := "no such object, and no objects under it"
		if glob {
			what = "the glob matches no object"
		}
		return nil, &sources.InputError{Path: bareURL(loc), RowGroup: -1, Err: errors.New(what)}
	case err != nil:
		return nil, err
	}
	if glob && len(infos) == 0 {
		return nil, &sources.InputError{Path: bareURL(loc), RowGroup: -1, Err: errors.New("the glob matches no object")}
	}
	single := !glob && len(infos) == 1 && infos[0].Key == loc.Key
	var out []bucketInput
	for _, info := range infos {
		if !glob && !single && !takeListed(strings.TrimPrefix(info.Key, strings.TrimSuffix(loc.Key, "/")+"/"), format) {
			continue
		}
		o := loc
		o.Key = info.Key
		out = append(out, bucketInput{url: bareURL(o), loc: o, store: s, info: info})
	}
	if len(out) == 0 {
		what := "input"
		if format != "" {
			what = format
		}
		return nil, fmt.Errorf("%w: no %s files in %s", pipeline.ErrNoInput, what, bareURL(loc))
	}
	return out, nil
}

// takeListed reports whether an object found under a prefix given as an
// INPUT is read, by its key below the prefix: as a local directory's
// walk, hidden names (".", "_") at any level are skipped, and only files
// of the input format (any known one when format is empty) are taken.
func takeListed(rel, format string) bool {
	for _, part := range strings.Split(rel, "/") {
		if strings.HasPrefix(part, ".") || strings.HasPrefix(part, "_") {
			return false
		}
	}
	f, ok := sources.FormatOf(path.Base(rel))
	return ok && (format == "" || f == format)
}

// open opens the objects as the job's inputs, read by ranged GETs pinned
// to the version listed; they are closed by release. A sharded plan
// records each by its URL with the URL's parameters (an endpoint, a
// region: never credentials, which Parse refuses in a URL) and version.
func (l *locations) open(ctx context.Context, objs []bucketInput) []pipeline.Input {
	var out []pipeline.Input
	for _, b := range objs {
		o := l.track(b.store.OpenInfo(ctx, b.info))
		out = append(out, pipeline.ObjectInput(b.url, b.loc.String(), b.info.Version, objectReader{ctx: ctx, o: o}, o.Size()))
	}
	return out
}

// track keeps o for release to close.
func (l *locations) track(o *storage.Object) *storage.Object {
	l.mu.Lock()
	l.objects = append(l.objects, o)
	l.mu.Unlock()
	return o
}

// opener opens the objects a plan names by location (run-shard, merge):
// the version the store has now, read by ranged GETs pinned to it, so a
// replacement during the run fails it. A missing object is an input that
// changed since the plan. Objects are closed by release.
func (l *locations) opener() pipeline.ObjectOpener {
	return func(ctx context.Context, location string) (io.ReaderAt, int64, string, error) {
		loc, err := storage.Parse(location)
		if err != nil || loc.IsLocal() || loc.Key == "" {
			return nil, 0, "", fmt.Errorf("%w: invalid plan: input location %q is not an object URL", sources.ErrCorrupt, shownLocation(location))
		}
		s, err := l.store(ctx, loc)
		if err != nil {
			return nil, 0, "", err
		}
		info, err := s.Stat(ctx, loc.Key)
		if errors.Is(err, storage.ErrNotFound) {
			return nil, 0, "", &sources.InputError{Path: bareURL(loc), RowGroup: -1, Err: fmt.Errorf("%w: not the object the plan saw: it is gone; plan again", sources.ErrChanged)}
		}
		if err != nil {
			return nil, 0, "", err
		}
		o := l.track(s.OpenInfo(ctx, info))
		return objectReader{ctx: ctx, o: o}, info.Size, info.Version, nil
	}
}

// objectReader is an opened object as a pipeline input reads it: a
// change of the object is an input error wrapping sources.ErrChanged, as
// for a local file. It holds the command's context because
// pipeline.Unchanged takes none; it lives no longer than the command.
type objectReader struct {
	ctx context.Context
	o   *storage.Object
}

var (
	_ sources.Fetcher    = objectReader{}
	_ pipeline.Unchanged = objectReader{}
)

// ReadAt reads from the object's version the job opened.
func (r objectReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := r.o.ReadAt(p, off)
	return n, r.changed(err)
}

// FetchAt reads from the object's version the job opened, by requests of
// its own (see sources.Fetcher).
func (r objectReader) FetchAt(p []byte, off int64) (int, error) {
	n, err := r.o.FetchAt(p, off)
	return n, r.changed(err)
}

// CheckUnchanged asks the store whether the object is still the version
// the job read.
func (r objectReader) CheckUnchanged() error {
	return r.changed(r.o.CheckUnchanged(r.ctx))
}

func (r objectReader) changed(err error) error {
	if err != nil && errors.Is(err, storage.ErrChanged) {
		return &sources.InputError{Path: r.o.Name(), RowGroup: -1, Err: fmt.Errorf("%w: %w", sources.ErrChanged, err)}
	}
	return err
}
