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

	"golang.org/x/sync/errgroup"
)

// The commit protocol of an output prefix P on a store without rename
// (docs/architecture.md, "Object-store outputs"). Beside P is a hidden
// area H = .P.splitdata/ (for the bucket root, .splitdata/), which holds:
//
//	H/lock                   who writes P; created with If-None-Match: *
//	H/staging/RUN/NAME       the files of run RUN, uploaded in parts
//	H/staging/RUN/manifest.json
//	H/commit                 the commit record: run RUN is being published
//
// A run (1) creates H/lock, or takes over a lock whose holder stopped
// refreshing it (conditional write on the version it saw); (2) finishes
// the publication a commit record describes, if a killed run left one;
// (3) removes every staging object; (4) refuses a non-empty P unless
// overwrite; (5) uploads its files under H/staging/RUN/, invisible to
// readers of P; then commits: (6) stages the manifest, (7) writes
// H/commit (the commit point: from here the new output replaces the old
// one, whoever finishes it), (8) removes P/manifest.json, then every
// other object under P, (9) copies each staged file to P/NAME on the
// server, (10) copies the manifest to P/manifest.json, last, (11)
// removes H/commit, the staging objects and H/lock.
//
// So before (7) P holds the old output, complete and untouched; a reader
// never sees a partial file (objects appear whole) nor files of two runs
// (the old ones are all gone before the first new one appears); from (8)
// to (10) P has no manifest, and a reader that needs a complete output
// waits for manifest.json. Steps (8) to (11) are idempotent: a run killed
// among them is finished by the next run on P or by [Store.Clean].

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
		o.LockRefresh = o.LockTTL / 4
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

// commitRecord is H/commit: the run being published and its files.
type commitRecord struct {
	Run   string   `json:"run"`
	Files []string `json:"files"`
	Sizes []int64  `json:"sizes"`
	// NoManifest is set by a Commit given no manifest.
	NoManifest bool `json:"no_manifest,omitempty"`
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

// recover finishes a commit a killed run left and removes staging objects.
func (o *Output) recover(ctx context.Context) error {
	b, _, err := o.s.getBytes(ctx, o.area+"commit", 64<<20)
	switch {
	case err == nil:
		var rec commitRecord
		if err := json.Unmarshal(b, &rec); err != nil || len(rec.Sizes) != len(rec.Files) || rec.Run == "" {
			return fmt.Errorf("read %s: invalid commit record (remove it by hand if no output is being committed): %v", o.s.url(o.area+"commit"), err)
		}
		o.opts.Notice(fmt.Sprintf("finishing the commit of an interrupted run on %s", o.s.url(o.prefix)))
		if err := o.publish(ctx, rec); err != nil {
			return err
		}
	case !errors.Is(err, ErrNotFound):
		return err
	}
	staged, err := o.s.List(ctx, o.area+"staging/")
	if err != nil {
		return err
	}
	if len(staged) > 0 {
		o.opts.Notice(fmt.Sprintf("removing %d staging objects an interrupted run left in %s", len(staged), o.s.url(o.area)))
	}
	return o.s.removeAll(ctx, staged)
}

// outputKeys lists up to limit (0: all) objects of the output: under P,
// not in the hidden area.
func (o *Output) outputKeys(ctx context.Context, limit int) ([]ObjectInfo, error) {
	all, err := o.s.List(ctx, dirPrefix(o.prefix))
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, x := range all {
		if strings.HasPrefix(x.Key, o.area) {
			continue
		}
		out = append(out, x)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, nil
}

// removeAll removes objects, a few at a time.
func (s *Store) removeAll(ctx context.Context, objs []ObjectInfo) error {
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, x := range objs {
		g.Go(func() error { return s.Remove(ctx, x.Key) })
	}
	return g.Wait()
}

// publishHook, set by tests only, stops a publication after the files
// it says, as a kill would.
var publishHook func(copied int) bool

var errKilled = errors.New("stopped by a test, as if killed")

// publish is steps (8) to (11) for rec: idempotent, so that a run killed
// among them is finished by the next one.
func (o *Output) publish(ctx context.Context, rec commitRecord) error {
	old, err := o.outputKeys(ctx, 0)
	if err != nil {
		return err
	}
	// The manifest goes first, so no reader takes what follows for a
	// complete output.
	mkey := joinKey(o.prefix, manifestName)
	if i := slices.IndexFunc(old, func(x ObjectInfo) bool { return x.Key == mkey }); i >= 0 {
		if err := o.s.Remove(ctx, mkey); err != nil {
			return err
		}
		old = slices.Delete(old, i, i+1)
	}
	if err := o.s.removeAll(ctx, old); err != nil {
		return err
	}
	stage := o.area + "staging/" + rec.Run + "/"
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	if publishHook != nil {
		g.SetLimit(1)
	}
	for i, name := range rec.Files {
		if publishHook != nil && publishHook(i) {
			g.Wait()
			return errKilled
		}
		g.Go(func() error {
			return o.s.copyObject(gctx, stage+name, joinKey(o.prefix, name), rec.Sizes[i])
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	if !rec.NoManifest {
		mi, err := o.s.Stat(ctx, stage+manifestName)
		if err != nil {
			return err
		}
		if err := o.s.copyObject(ctx, stage+manifestName, mkey, mi.Size); err != nil {
			return err
		}
	}
	if err := o.s.Remove(ctx, o.area+"commit"); err != nil {
		return err
	}
	staged, err := o.s.List(ctx, stage)
	if err != nil {
		return err
	}
	return o.s.removeAll(ctx, staged)
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

// Create starts the file name ("train/part-00000.parquet") in the
// staging area; it is published by Commit.
func (o *Output) Create(ctx context.Context, name string) (io.WriteCloser, error) {
	if err := checkName(name); err != nil {
		return nil, fmt.Errorf("create %s in %s: %w", name, o.s.url(o.prefix), err)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.done || o.committed {
		return nil, fmt.Errorf("create %s in %s: output already committed or aborted", name, o.s.url(o.prefix))
	}
	if _, dup := o.files[name]; dup {
		return nil, fmt.Errorf("create %s in %s: created twice", name, o.s.url(o.prefix))
	}
	f := &outFile{o: o, name: name, w: o.s.Create(ctx, o.area+"staging/"+o.run+"/"+name)}
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
	rec := commitRecord{Run: o.run, NoManifest: manifest == nil}
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
		rec.Files = append(rec.Files, name)
		rec.Sizes = append(rec.Sizes, f.n)
	}
	o.mu.Unlock()
	stage := o.area + "staging/" + o.run + "/"
	if manifest != nil {
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
	if _, err := o.s.putBytes(ctx, o.area+"commit", b, cond{absent: true}); err != nil {
		return err
	}
	o.mu.Lock()
	o.committed = true
	o.mu.Unlock()
	if err := o.publish(ctx, rec); err != nil {
		return fmt.Errorf("%w (the output is committed: the next run on it, or clean, finishes publishing it)", err)
	}
	o.mu.Lock()
	o.done = true
	o.mu.Unlock()
	return o.lock.release(ctx)
}

// Abort removes the staging objects and releases the lock. After a Commit
// that passed its commit point it removes nothing: the commit record and
// the staged files are what the next run needs to finish it.
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
	for _, f := range files {
		f.w.Abort()
	}
	ctx = context.WithoutCancel(ctx)
	var err error
	if !committed {
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
