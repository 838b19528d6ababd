package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"time"
)

// The commit protocol of an output prefix P on a store without rename
// (docs/architecture.md, "Object storage"). Beside P is a hidden area
// H = .P.splitdata/ (for the bucket root, .splitdata/), which holds:
//
//	H/lock                   who writes P; created with If-None-Match: *
//	H/commit                 the commit record: run RUN is being published
//	H/staging/RUN/NAME       GCS: the files of run RUN; S3: an empty
//	                         marker per upload RUN started at P/NAME
//	H/staging/RUN/manifest.json
//
// A run (1) creates H/lock, or takes over a lock whose holder stopped
// refreshing it (conditional write on the version it saw); (2) finishes
// the publication a commit record describes, if a killed run left one;
// (3) aborts the uploads a killed run left open (S3: those at the keys
// its markers name, and, unless P is the bucket's root, every other one
// under P) and removes every staging object; (4) refuses a non-empty P
// unless overwrite; (5) uploads each file: on S3 and Azure straight to
// P/NAME, as a multipart upload or staged blocks it does not complete,
// so that nothing of it is visible (on S3 after writing its marker); on
// GCS, whose uploads cannot stay open across processes, to
// H/staging/RUN/NAME. Then it commits: (6) on GCS,
// stages the manifest; (7) writes H/commit conditionally (the commit
// point: from here the new output replaces the old one, whoever
// finishes it), which lists each file's upload id, part tags and size
// (and the manifest) or its staged name; (8) removes P/manifest.json,
// then every other object under P, except on Azure the keys about to be
// completed (removing a blob discards its uncommitted blocks); (9)
// completes each upload, or copies each staged file to P/NAME on the
// server; (10) writes P/manifest.json, last; (11) removes H/commit, the
// staging objects (or markers) and H/lock.
//
// So before (7) P holds the old output, complete and untouched; a reader
// never sees a partial file (objects appear whole when completed); on
// S3 and GCS never files of two runs (the old ones are all gone before
// the first new one appears), on Azure old files only where a new one of
// the same name is about to replace them; from (8) to (10) P has no
// manifest, and a reader that needs a complete output waits for
// manifest.json. Steps (8) to (11) are idempotent (an upload completed
// already counts as done when its key holds an object of its size and,
// on S3, of the ETag its parts give): a run killed among them is
// finished by the next run on P or by [Store.Clean].

// OutputOptions are the choices of [Store.NewOutput] and [Store.Clean].
type OutputOptions struct {
	// Overwrite allows a prefix that holds objects: they are replaced at
	// commit, and stay as they are until then.
	Overwrite bool
	// LockTTL is how long a lock not refreshed is taken for the lock of
	// a run that died: another run then takes it over. 0 is 2 minutes.
	LockTTL time.Duration
	// LockRefresh is how often the holder rewrites its lock; 0 is a
	// quarter of LockTTL.
	LockRefresh time.Duration
	// Notice receives a line for what the output did beyond the job:
	// finishing a killed run's commit, taking over a lock, removing
	// staging objects. nil drops them.
	Notice func(string)
}

func (o OutputOptions) withDefaults() OutputOptions {
	if o.LockTTL <= 0 {
		o.LockTTL = 2 * time.Minute
	}
	if o.LockRefresh <= 0 {
		// At least a millisecond: a LockTTL of a nanosecond (clean
		// --force) made a zero period, which time.NewTicker refuses.
		o.LockRefresh = max(o.LockTTL/4, time.Millisecond)
	}
	if o.Notice == nil {
		o.Notice = func(string) {}
	}
	return o
}

// Output is a job's output under a prefix of a bucket: the method set of
// the pipeline's Output (Create, Commit, Abort). Nothing created is
// visible under the prefix until Commit. Create may be called from
// several goroutines; Commit and Abort once, after every file created is
// closed.
type Output struct {
	s      *Store
	prefix string // P: "" (bucket root) or a key without a final slash
	area   string // H, ending in "/"
	run    string
	opts   OutputOptions

	lock *lockHolder

	// direct: files are uploads left open at P/NAME (S3, Azure), not
	// staged copies (GCS).
	direct bool
	// marks: each upload is marked, before it starts, by an empty object
	// H/staging/RUN/NAME, so that the next run aborts exactly the
	// uploads a killed run left open (S3, which lists open uploads).
	marks bool

	mu        sync.Mutex
	files     map[string]*outFile
	committed bool // the commit record was written
	done      bool
}

// layout is the hidden area H of prefix P.
func layout(prefix string) (p, area string) {
	p = strings.Trim(prefix, "/")
	if p == "" {
		return "", ".splitdata/"
	}
	dir, base := path.Split(p)
	return p, dir + "." + base + ".splitdata/"
}

// manifestName is the file written last.
const manifestName = "manifest.json"

// NewOutput opens the output at prefix (a directory-like key; "" is the
// bucket root): it takes the lock, finishes or clears what a killed run
// left, and refuses a prefix holding objects unless opts.Overwrite, with
// an error wrapping [ErrExists]. A lock held by a live run is an error
// wrapping [ErrLocked].
func (s *Store) NewOutput(ctx context.Context, prefix string, opts OutputOptions) (*Output, error) {
	opts = opts.withDefaults()
	p, area := layout(prefix)
	o := &Output{s: s, prefix: p, area: area, run: newRunID(), opts: opts, files: make(map[string]*outFile)}
	_, o.direct = s.be.(partUploader)
	_, lists := s.be.(uploadLister)
	o.marks = o.direct && lists
	lock, err := s.acquire(ctx, area+"lock", o.run, opts)
	if err != nil {
		return nil, err
	}
	o.lock = lock
	if err := o.recover(ctx); err != nil {
		o.lock.release(ctx)
		return nil, err
	}
	existing, err := o.outputKeys(ctx, 1)
	if err != nil {
		o.lock.release(ctx)
		return nil, err
	}
	if len(existing) > 0 && !opts.Overwrite {
		o.lock.release(ctx)
		return nil, fmt.Errorf("%w: %s already exists and is not empty (use --overwrite to replace it)", ErrExists, s.url(p))
	}
	return o, nil
}

// Clean finishes or removes what a killed run left for the output at
// prefix: a commit in progress is finished, staging objects and the lock
// are removed. A lock refreshed within opts.LockTTL is taken for a live
// run's, and Clean fails with [ErrLocked]; set a small LockTTL to break
// it.
func (s *Store) Clean(ctx context.Context, prefix string, opts OutputOptions) error {
	opts = opts.withDefaults()
	p, area := layout(prefix)
	o := &Output{s: s, prefix: p, area: area, run: newRunID(), opts: opts}
	_, o.direct = s.be.(partUploader)
	_, lists := s.be.(uploadLister)
	o.marks = o.direct && lists
	lock, err := s.acquire(ctx, area+"lock", o.run, opts)
	if err != nil {
		return err
	}
	o.lock = lock
	err = o.recover(ctx)
	return errors.Join(err, o.lock.release(ctx))
}

func newRunID() string {
	var b [8]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// outFile is a file being written to the staging area.
type outFile struct {
	o    *Output
	name string
	w    *Writer
	n    int64
	err  error
	shut bool
}

func (f *outFile) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	f.n += int64(n)
	return n, err
}

func (f *outFile) Close() error {
	err := f.w.Close()
	f.o.mu.Lock()
	f.shut, f.err = true, err
	f.o.mu.Unlock()
	return err
}

// checkName refuses names that are not clean relative slash paths inside
// the output, and the manifest's.
func checkName(name string) error {
	switch {
	case name == "" || path.Clean(name) != name || path.IsAbs(name) || name == "." ||
		name == ".." || strings.HasPrefix(name, "../") || strings.Contains(name, "\\"):
		return fmt.Errorf("%q is not a clean relative slash-separated path", name)
	case name == manifestName:
		return fmt.Errorf("%s is written by Commit", manifestName)
	}
	return nil
}

// Create starts the file name ("train/part-00000.parquet"): an upload
// left open at its key (S3, Azure) or a staged object (GCS), published
// by Commit.
func (o *Output) Create(ctx context.Context, name string) (io.WriteCloser, error) {
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("create %s in %s: %w", name, o.s.url(o.prefix), err)
	}
	if o.marks {
		// The marker goes first: an upload a killed run started is then
		// always named by one.
		if _, err := o.s.putBytes(ctx, o.area+"staging/"+o.run+"/"+name, nil, cond{}); err != nil {
			return nil, fmt.Errorf("create %s in %s: %w", name, o.s.url(o.prefix), err)
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done || o.committed {
		return nil, fmt.Errorf("create %s in %s: output already committed or aborted", name, o.s.url(o.prefix))
	}
	if _, dup := o.files[name]; dup {
		return nil, fmt.Errorf("create %s in %s: created twice", name, o.s.url(o.prefix))
	}
	f := &outFile{o: o, name: name}
	if o.direct {
		f.w = o.s.createHeld(ctx, joinKey(o.prefix, name))
	} else {
		f.w = o.s.Create(ctx, o.area+"staging/"+o.run+"/"+name)
	}
	o.files[name] = f
	return f, nil
}

// Commit publishes every file created and then manifest (see the commit
// protocol in the package documentation); a nil manifest writes none, as
// for the pipeline's Output (a sharded job's plan, a shard's files). A file not closed, or whose
// Close failed, fails Commit before anything is published. If Commit
// fails after its commit point, the output is published by the next run
// on the prefix or by [Store.Clean], and Abort leaves it so.
func (o *Output) Commit(ctx context.Context, manifest []byte) error {
	o.mu.Lock()
	if o.done || o.committed {
		o.mu.Unlock()
		return fmt.Errorf("commit %s: already committed or aborted", o.s.url(o.prefix))
	}
	rec := commitRecord{Run: o.run, NoManifest: manifest == nil, Direct: o.direct}
	for _, name := range slices.Sorted(mapKeys(o.files)) {
		f := o.files[name]
		if !f.shut {
			o.mu.Unlock()
			return fmt.Errorf("commit %s: %s is not closed", o.s.url(o.prefix), name)
		}
		if f.err != nil {
			o.mu.Unlock()
			return fmt.Errorf("commit %s: %s failed: %w", o.s.url(o.prefix), name, f.err)
		}
		if o.direct {
			id, tags := f.w.upload()
			rec.Uploads = append(rec.Uploads, uploadRecord{Name: name, Size: f.n, Upload: id, Parts: tags})
			continue
		}
		rec.Files = append(rec.Files, name)
		rec.Sizes = append(rec.Sizes, f.n)
	}
	o.mu.Unlock()
	stage := o.area + "staging/" + o.run + "/"
	if o.direct {
		rec.Manifest = manifest
	} else if manifest != nil {
		if _, err := o.s.putBytes(ctx, stage+manifestName, manifest, cond{}); err != nil {
			return err
		}
	}
	if err := o.lock.check(); err != nil {
		return err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	version, err := o.s.putRecord(ctx, o.area+"commit", b, cond{absent: true})
	if err != nil {
		return err
	}
	o.mu.Lock()
	o.committed = true
	o.mu.Unlock()
	if err := o.publish(ctx, rec, version); err != nil {
		return fmt.Errorf("%w (the output is committed: the next run on it, or clean, finishes publishing it)", err)
	}
	o.mu.Lock()
	o.done = true
	o.mu.Unlock()
	return o.lock.release(ctx)
}

// Abort aborts the open uploads (or removes the staged objects) and
// releases the lock. After a Commit that passed its commit point it
// removes nothing: the commit record and the uploads or staged files are
// what the next run needs to finish it.
func (o *Output) Abort(ctx context.Context) error {
	o.mu.Lock()
	if o.done {
		o.mu.Unlock()
		return nil
	}
	o.done = true
	committed := o.committed
	files := slices.Collect(mapValues(o.files))
	o.mu.Unlock()
	if !committed {
		// Held uploads are aborted even when their file was closed.
		for _, f := range files {
			f.w.Abort()
		}
	}
	ctx = context.WithoutCancel(ctx)
	var err error
	if !committed && (!o.direct || o.marks) {
		var staged []ObjectInfo
		staged, err = o.s.List(ctx, o.area+"staging/"+o.run+"/")
		if err == nil {
			err = o.s.removeAll(ctx, staged)
		}
	}
	return errors.Join(err, o.lock.release(ctx))
}

// mapKeys and mapValues are maps.Keys and maps.Values for the files.
func mapKeys(m map[string]*outFile) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func mapValues(m map[string]*outFile) func(func(*outFile) bool) {
	return func(yield func(*outFile) bool) {
		for _, v := range m {
			if !yield(v) {
				return
			}
		}
	}
}
