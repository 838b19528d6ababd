package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/storage"
)

// This file is the glue between the command line and object storage: it
// turns the INPUTs and the --out of a command into the pipeline's values
// (bucket objects as pipeline.ReaderAtInput, a bucket prefix as the
// job's pipeline.Output). It lives here, not in pipeline, so that a Go
// program importing pipeline does not link the clouds' SDKs; such a
// program composes storage and pipeline itself, as this file does.

// locations holds the object stores a command opened, once per bucket
// and parameters, and what it opened in them, until release.
type locations struct {
	mu      sync.Mutex
	stores  map[string]*storage.Store
	objects []*storage.Object
	outputs []*storage.Output
	// staged, if set, is a job's output written to a local directory
	// first, for finish to upload to its bucket output.
	staged *stagedOutput
}

// parseLocation parses a command-line location (an INPUT, --out, ...):
// a local path, a file:// URL, or an s3://, gs:// or az:// URL. kind
// ("input", "--out") names it in errors, which are usage errors and show
// the URL without what may be a credential.
func parseLocation(kind, s string) (storage.Location, error) {
	loc, err := storage.Parse(s)
	if err != nil {
		return storage.Location{}, usageError{fmt.Errorf("%s: %w", kind, err)}
	}
	return loc, nil
}

// bareURL is loc's URL without parameters: how messages, manifests and
// plans name a bucket location (the parameters name endpoints and
// regions, which another machine may reach differently).
func bareURL(loc storage.Location) string {
	if loc.IsLocal() {
		return loc.String()
	}
	return loc.Scheme + "://" + loc.Bucket + "/" + loc.Key
}

// store returns the opened store of loc's bucket.
func (l *locations) store(ctx context.Context, loc storage.Location) (*storage.Store, error) {
	bucket := loc
	bucket.Key = ""
	id := bucket.String()
	l.mu.Lock()
	defer l.mu.Unlock()
	if s, ok := l.stores[id]; ok {
		return s, nil
	}
	s, err := storage.Open(ctx, loc, storage.Options{})
	if err != nil {
		return nil, err
	}
	if l.stores == nil {
		l.stores = map[string]*storage.Store{}
	}
	l.stores[id] = s
	return s, nil
}

// release closes the objects opened and aborts the outputs not committed
// (which releases their locks); a committed output is left as it is.
func (l *locations) release(ctx context.Context) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, o := range l.objects {
		_ = o.Close()
	}
	for _, o := range l.outputs {
		_ = o.Abort(ctx)
	}
	l.objects, l.outputs = nil, nil
	if l.staged != nil {
		_ = l.staged.local.Abort(ctx)
		l.staged.remove()
		l.staged = nil
	}
}

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

// output opens the bucket prefix loc as a job's output (lock, recovery of
// a killed run, refusal of an existing output without overwrite), with
// the errors of a local output directory.
func (l *locations) output(ctx context.Context, loc storage.Location, overwrite bool) (*storage.Output, error) {
	s, err := l.store(ctx, loc)
	if err != nil {
		return nil, err
	}
	o, err := s.NewOutput(ctx, loc.Key, storage.OutputOptions{Overwrite: overwrite, Notice: func(msg string) { pipeline.Notice(msg) }})
	if errors.Is(err, storage.ErrExists) {
		return nil, fmt.Errorf("%w: %s already exists and is not empty", pipeline.ErrOutputExists, bareURL(loc))
	}
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	l.outputs = append(l.outputs, o)
	l.mu.Unlock()
	return o, nil
}

// bindJob points a job of the split engine at the object stores its
// INPUTs and --out name: bucket objects become cfg.Sources (after the
// local inputs, which stay in cfg.Inputs), a bucket --out becomes
// cfg.Output. file:// URLs become paths. An input inside the bucket
// output is refused, as it is for a local one. With --report or --card
// the job writes a local directory that finish uploads to the bucket
// output (see viaLocal); with --if-exists skip the job's check reads a
// committed bucket output through cfg.OutputFS (see committedOutput).
func (l *locations) bindJob(ctx context.Context, cfg *pipeline.SplitConfig, ifExists string) error {
	outLoc, err := parseLocation("--out", cfg.Out)
	if err != nil {
		return err
	}
	if cfg.TempDir != "" {
		tmp, err := parseLocation("--temp-dir", cfg.TempDir)
		if err != nil {
			return err
		}
		if !tmp.IsLocal() {
			// Spill files are appended to and read back at many offsets,
			// runs of them merged at once: an object store has no append,
			// and each read would be a request. A pod without disk mounts
			// a volume for them instead.
			return usagef("--temp-dir %s: temporary files need a local directory (they are appended to and read back at many offsets; an object store has no append); "+
				"the INPUTs and --out may still be buckets. In a pod without disk, mount a volume for them (Kubernetes: an emptyDir, or a generic ephemeral volume) and give its path", bareURL(tmp))
		}
		cfg.TempDir = tmp.Path()
	}
	if ifExists == ifExistsSkip && !outLoc.IsLocal() && slices.ContainsFunc(cfg.Inputs, isBucket) {
		return usagef("--if-exists skip with bucket INPUTs and a bucket --out: not supported yet (a manifest records no version of a bucket input, so a changed one could not be told apart); use --if-exists error or overwrite")
	}
	local, objs, err := l.inputs(ctx, cfg.Inputs, cfg.InputFormat)
	if err != nil {
		return err
	}
	cfg.Inputs = local
	if outLoc.IsLocal() {
		cfg.Out = outLoc.Path()
	} else {
		if err := checkObjectsOutside(objs, outLoc); err != nil {
			return err
		}
		out, err := l.output(ctx, outLoc, cfg.Overwrite)
		if ifExists == ifExistsSkip && errors.Is(err, pipeline.ErrOutputExists) {
			out, cfg.OutputFS, err = l.committedOutput(ctx, outLoc, err)
		}
		if err != nil {
			return err
		}
		if ifExists == ifExistsSkip && cfg.OutputFS == nil {
			// No committed output: the job's check finds no manifest
			// there (never in a local directory named like the URL).
			s, err := l.store(ctx, outLoc)
			if err != nil {
				return err
			}
			cfg.OutputFS = s.FS(ctx, outLoc.Key)
		}
		cfg.Out = bareURL(outLoc)
		cfg.Output = out
		if cfg.Attach != nil {
			if cfg.Output, err = l.viaLocal(out, cfg.TempDir); err != nil {
				return err
			}
		}
	}
	cfg.Sources = append(cfg.Sources, l.open(ctx, objs)...)
	return nil
}

// committedOutput opens, for --if-exists skip, the bucket output at loc
// that exists (exists is the error saying so): if it holds a manifest
// (the sign of a committed output) it is locked with overwrite allowed,
// so the job's Committed check reads it, through the returned FS, while
// no other run can change it; the job then skips, or fails naming the
// difference, and the lock is released with the output untouched. A
// prefix holding objects and no manifest is refused with exists, as a
// local directory is.
func (l *locations) committedOutput(ctx context.Context, loc storage.Location, exists error) (*storage.Output, fs.FS, error) {
	s, err := l.store(ctx, loc)
	if err != nil {
		return nil, nil, err
	}
	manifest := loc.Join(pipeline.ManifestName).Key
	if _, err := s.Stat(ctx, manifest); errors.Is(err, storage.ErrNotFound) {
		return nil, nil, exists
	} else if err != nil {
		return nil, nil, err
	}
	out, err := l.output(ctx, loc, true)
	if err != nil {
		return nil, nil, err
	}
	return out, s.FS(ctx, loc.Key), nil
}

// checkObjectsOutside refuses an input object inside the bucket output
// out (or its hidden area): a run with --overwrite would replace the
// data it reads.
func checkObjectsOutside(objs []bucketInput, out storage.Location) error {
	prefix := strings.Trim(out.Key, "/")
	dir, base := path.Split(prefix)
	hidden := dir + "." + base + ".splitdata/"
	for _, o := range objs {
		if o.loc.Scheme != out.Scheme || o.loc.Bucket != out.Bucket {
			continue
		}
		k := o.info.Key
		if prefix == "" || k == prefix || strings.HasPrefix(k, prefix+"/") || strings.HasPrefix(k, hidden) {
			return fmt.Errorf("%w: input %s lies inside the output %s; choose another --out", pipeline.ErrOutputHoldsInput, o.url, bareURL(out))
		}
	}
	return nil
}

// joinLocation is name (slash-separated) inside the directory or prefix
// out, as messages and --result-json show it.
func joinLocation(out, name string) string {
	loc, err := storage.Parse(out)
	if err != nil || loc.IsLocal() {
		return joinLocalPath(out, name)
	}
	return bareURL(loc.Join(name))
}

// joinLocalPath is name (slash-separated) inside the local directory dir.
func joinLocalPath(dir, name string) string {
	return filepath.Join(dir, filepath.FromSlash(name))
}

// bindVerify points a verification at the bucket its DIR names (read
// through storage.FS) and at the bucket objects its --input names.
func (l *locations) bindVerify(ctx context.Context, cfg *pipeline.VerifyConfig) error {
	loc, err := parseLocation("DIR", cfg.Dir)
	if err != nil {
		return err
	}
	if loc.IsLocal() {
		cfg.Dir = loc.Path()
	} else {
		s, err := l.store(ctx, loc)
		if err != nil {
			return err
		}
		cfg.Dir, cfg.FS = bareURL(loc), s.FS(ctx, loc.Key)
	}
	if len(cfg.Inputs) == 0 {
		return nil
	}
	local, objs, err := l.inputs(ctx, cfg.Inputs, "")
	if err != nil {
		return err
	}
	cfg.Inputs = local
	cfg.Sources = append(cfg.Sources, l.open(ctx, objs)...)
	return nil
}

// inspect describes the files of every INPUT: local ones as
// pipeline.InspectWithMemory finds them (sorted by path, every file of a
// directory), bucket ones as the objects their URL names (in key order).
// With no bucket INPUT it is InspectWithMemory itself; otherwise the
// reports follow the order of the INPUTs.
func (l *locations) inspect(ctx context.Context, args []string, opts sources.Options, memory int64) ([]pipeline.FileReport, error) {
	_, objs, err := l.inputs(ctx, args, opts.Format)
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return pipeline.InspectWithMemory(ctx, args, opts, memory)
	}
	var out []pipeline.FileReport
	for _, a := range args {
		local, objs, err := l.inputs(ctx, []string{a}, opts.Format)
		if err != nil {
			return nil, err
		}
		var reports []pipeline.FileReport
		if len(local) > 0 {
			reports, err = pipeline.InspectWithMemory(ctx, local, opts, memory)
		} else {
			reports, err = pipeline.InspectInputs(ctx, l.open(ctx, objs), opts, memory)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, reports...)
	}
	return out, nil
}

// isBucket reports whether a command-line location names an object
// store (s3://, gs://, az://); it is false for what does not parse,
// which the command's checks refuse.
func isBucket(s string) bool {
	loc, err := storage.Parse(s)
	return err == nil && !loc.IsLocal()
}

// locationDir is the directory or prefix holding the file p.
func locationDir(p string) string {
	loc, err := storage.Parse(p)
	if err != nil || loc.IsLocal() {
		return filepath.Dir(p)
	}
	loc.Key = path.Dir(loc.Key)
	if loc.Key == "." {
		loc.Key = ""
	}
	return bareURL(loc)
}

// localPath is s with a file:// URL decoded to its path; other strings
// are returned as they are.
func localPath(s string) string {
	loc, err := storage.Parse(s)
	if err != nil || loc.Scheme != storage.SchemeFile {
		return s
	}
	return loc.Path()
}

// shownLocation is a command-line location as messages and results show
// it: a bucket URL without its parameters.
func shownLocation(s string) string {
	loc, err := storage.Parse(s)
	if err != nil || loc.IsLocal() {
		return s
	}
	return bareURL(loc)
}
