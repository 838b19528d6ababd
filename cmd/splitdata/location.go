package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/storage"
)

// This file and location_inputs.go are the glue between the command line
// and object storage: they turn the INPUTs and the --out of a command into
// the pipeline's values (bucket objects as pipeline.ObjectInput, a bucket
// prefix as the job's pipeline.Output). They live here, not in pipeline,
// so that a Go program importing pipeline does not link the clouds' SDKs;
// such a program composes storage and pipeline itself, as these files do.

// locations holds the object stores a command opened, once per bucket
// and parameters, and what it opened in them, until release.
type locations struct {
	mu      sync.Mutex
	stores  map[string]*storage.Store
	objects []*storage.Object
	outputs []*storage.Output
	// scratches are the bucket --temp-dirs' run directories, removed
	// by release.
	scratches []*storage.Scratch
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
	for _, d := range l.scratches {
		if err := d.Remove(ctx); err != nil {
			pipeline.Notice(fmt.Sprintf("%v (the next run on the same --temp-dir, or splitdata clean --temp-dir, removes them)", err))
		}
	}
	l.objects, l.outputs, l.scratches = nil, nil, nil
	if l.staged != nil {
		_ = l.staged.local.Abort(ctx)
		l.staged.remove()
		l.staged = nil
	}
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
// committed bucket output through cfg.OutputFS (see committedOutput), and
// compares the bucket inputs' names, locations, versions and sizes as
// listed here with those its manifest records (nothing more is read).
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
		if tmp.IsLocal() {
			cfg.TempDir = tmp.Path()
		} else {
			if !outLoc.IsLocal() && tmp.Scheme == outLoc.Scheme && tmp.Bucket == outLoc.Bucket && insideKey(tmp.Key, outLoc.Key) {
				// The commit replaces everything under the output.
				return usagef("--temp-dir %s lies inside the output %s; choose a prefix beside it", bareURL(tmp), bareURL(outLoc))
			}
			d, err := l.scratch(ctx, tmp, cfg.MemoryLimit)
			if err != nil {
				return err
			}
			// Streamed row groups' pages and a bucket output written
			// locally first (--report, --card) stay in the system's
			// temporary directory.
			cfg.TempDir, cfg.TempStore = "", d
		}
	}
	local, objs, err := l.inputsOutside(ctx, cfg.Inputs, cfg.InputFormat, outLoc)
	if err != nil {
		return err
	}
	cfg.Inputs = local
	if outLoc.IsLocal() {
		cfg.Out = outLoc.Path()
	} else {
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

// scratch opens the run's directory of temporary files under the bucket
// prefix loc (a bucket --temp-dir): it removes what killed runs left
// there and holds a prefix of its own until release. Its files' write
// buffers take at most a sixteenth of the job's memory (memory, 0 for
// the default).
func (l *locations) scratch(ctx context.Context, loc storage.Location, memory int64) (*storage.Scratch, error) {
	s, err := l.store(ctx, loc)
	if err != nil {
		return nil, err
	}
	if memory <= 0 {
		memory = pipeline.DefaultMemoryLimit
	}
	d, err := s.NewScratch(ctx, loc.Key, storage.ScratchOptions{Memory: scratchMemory(memory), Notice: func(msg string) { pipeline.Notice(msg) }})
	if err != nil {
		return nil, fmt.Errorf("--temp-dir %s: %w", bareURL(loc), err)
	}
	l.mu.Lock()
	l.scratches = append(l.scratches, d)
	l.mu.Unlock()
	return d, nil
}

// cleanTemp removes what killed runs left in the --temp-dir loc: in a
// bucket, the run prefixes whose lock is dead (any lock, with force); in a
// local directory, the spill and content directories no live run holds.
func (l *locations) cleanTemp(ctx context.Context, loc storage.Location, force bool) error {
	if loc.IsLocal() {
		return pipeline.CleanTempDir(loc.Path())
	}
	s, err := l.store(ctx, loc)
	if err != nil {
		return err
	}
	opts := storage.ScratchOptions{Notice: func(msg string) { pipeline.Notice(msg) }}
	if force {
		opts.LockTTL = time.Nanosecond
	}
	return s.CleanScratch(ctx, loc.Key, opts)
}

// scratchMemory is the write buffers of a bucket --temp-dir's files under
// a job's memory: what the job's plan leaves them (a sixteenth of it,
// pipeline.TempStoreMemory).
func scratchMemory(memory int64) int64 { return pipeline.TempStoreMemory(memory) }

// localTempDir is a --temp-dir as a local directory: its path, or ""
// (the system's temporary directory) for a bucket prefix, whose files
// go through the job's TempStore.
func localTempDir(s string) string {
	if isBucket(s) {
		return ""
	}
	return localPath(s)
}

// insideKey reports whether key is prefix or below it ("" is the bucket's
// root, which holds every key).
func insideKey(key, prefix string) bool {
	prefix, key = strings.Trim(prefix, "/"), strings.Trim(key, "/")
	return prefix == "" || key == prefix || strings.HasPrefix(key, prefix+"/")
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
