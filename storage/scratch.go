package storage

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/splitdata/splitdata/internal/scratch"
)

// Temporary files in a bucket (--temp-dir s3://bucket/tmp). A run keeps its
// files under a prefix of its own, T/splitdata-tmp-RUN/, held by the lock
// object T/splitdata-tmp-RUN.lock (lock.go: created with a conditional
// write, refreshed while the run lives). An object store has no append
// and no write at an offset, so a file is a sequence of immutable segment
// objects, T/splitdata-tmp-RUN/NNNNNN-NAME/OFFSET, found again through an
// index held in memory:
//
//   - appends fill a write buffer of the file's segment size; each full
//     buffer, and what is left at Flush, is one PUT of one segment;
//   - WriteAt of a range is one PUT per MaxSegment bytes of it (a row
//     table's range of rows); a range written again (the class table of
//     --stratify --group, rewritten with the groups' splits) is a new
//     segment over the old ones, whose objects are deleted when wholly
//     covered, else at Close;
//   - ReadAt is one ranged GET per segment the range overlaps; a file read
//     from its start ([scratch.NewReader]) reads a segment a GET;
//   - Close deletes the file's segments, one DELETE each.
//
// So a file of B bytes appended through segments of S bytes costs about
// B/S PUTs, B/S GETs to read it back once and B/S DELETEs. The write
// buffers are the memory: a file written by appends holds one buffer of
// its segment size until Flush; the segment size is the Scratch's Memory
// divided by the files the caller writes at once ([scratch.Options.Files]),
// between MinSegment and MaxSegment, so that all buffers together stay
// within Memory unless files × MinSegment exceed it.
//
// A run's prefix outlives a killed run; the next Scratch opened on T, or
// [Store.CleanScratch], takes over each lock whose run is dead (not
// refreshed for LockTTL, or its process gone from this host) and removes
// the run's objects, then its lock. Remove, at the end of a run, removes
// its own.

// Segment sizes of a [Scratch]'s files.
const (
	MinSegment = 64 << 10
	MaxSegment = 16 << 20
)

// scratchPrefix starts the names of runs' prefixes and locks under T.
const scratchPrefix = "splitdata-tmp-"

// ScratchOptions are the choices of [Store.NewScratch].
type ScratchOptions struct {
	// Memory bounds the write buffers of all the files together (see
	// the segment size above); 0 is 32 MiB.
	Memory int64
	// LockTTL, LockRefresh and Notice are as for an output
	// ([OutputOptions]): how long a lock not refreshed is taken for a
	// dead run's, how often a run refreshes its own, and where notices of
	// a killed run's files removed go.
	LockTTL     time.Duration
	LockRefresh time.Duration
	Notice      func(string)
}

func (o ScratchOptions) withDefaults() ScratchOptions {
	if o.Memory <= 0 {
		o.Memory = 32 << 20
	}
	return o
}

// Scratch is a directory of temporary files under a prefix of a bucket:
// a [scratch.Dir]. It is safe for concurrent use. The context given to
// NewScratch bounds its requests until Remove.
type Scratch struct {
	s      *Store
	ctx    context.Context
	prefix string // T/splitdata-tmp-RUN/
	opts   ScratchOptions
	lock   *lockHolder
	files  atomic.Int64
	held   atomic.Int64 // bytes of write buffers
	peak   atomic.Int64
}

var _ scratch.Dir = (*Scratch)(nil)

// NewScratch opens a run's temporary directory under prefix: it removes
// what killed runs left there (as [Store.CleanScratch]), then takes a
// prefix of its own, held by a lock until Remove.
func (s *Store) NewScratch(ctx context.Context, prefix string, opts ScratchOptions) (*Scratch, error) {
	opts = opts.withDefaults()
	lopts := OutputOptions{LockTTL: opts.LockTTL, LockRefresh: opts.LockRefresh, Notice: opts.Notice}.withDefaults()
	base := dirPrefix(prefix)
	if err := s.sweepScratch(ctx, base, lopts); err != nil {
		return nil, err
	}
	run := newRunID()
	lock, err := s.acquire(ctx, base+scratchPrefix+run+".lock", run, lopts)
	if err != nil {
		return nil, err
	}
	return &Scratch{s: s, ctx: ctx, prefix: base + scratchPrefix + run + "/", opts: opts, lock: lock}, nil
}

// CleanScratch removes the temporary files that killed runs left under
// prefix (the --temp-dir of those runs): every run prefix whose lock is
// dead, or that has no lock. A live run's files are left alone.
func (s *Store) CleanScratch(ctx context.Context, prefix string, opts ScratchOptions) error {
	lopts := OutputOptions{LockTTL: opts.LockTTL, LockRefresh: opts.LockRefresh, Notice: opts.Notice}.withDefaults()
	return s.sweepScratch(ctx, dirPrefix(prefix), lopts)
}

// sweepScratch removes the run prefixes under base whose run is dead.
func (s *Store) sweepScratch(ctx context.Context, base string, opts OutputOptions) error {
	objs, err := s.List(ctx, base+scratchPrefix)
	if err != nil {
		return err
	}
	locked := map[string]bool{}
	var runs []string
	for _, o := range objs {
		rest := strings.TrimPrefix(o.Key, base+scratchPrefix)
		run, isLock := strings.CutSuffix(rest, ".lock")
		if !isLock {
			var ok bool
			if run, _, ok = strings.Cut(rest, "/"); !ok {
				continue // not a run's
			}
		}
		if run == "" || strings.Contains(run, "/") {
			continue
		}
		if !slices.Contains(runs, run) {
			runs = append(runs, run)
		}
		if isLock {
			locked[run] = true
		}
	}
	me := newRunID()
	var errs []error
	for _, run := range runs {
		lockKey := base + scratchPrefix + run + ".lock"
		if !locked[run] {
			// Listed without a lock; a run makes its lock before its
			// files and removes it after them, so one found now is a
			// run that started since the listing.
			if _, err := s.Stat(ctx, lockKey); err == nil {
				continue
			} else if !errors.Is(err, ErrNotFound) {
				errs = append(errs, err)
				continue
			}
			errs = append(errs, s.removePrefix(ctx, base+scratchPrefix+run+"/"))
			continue
		}
		h, err := s.acquire(ctx, lockKey, me, opts)
		if errors.Is(err, ErrLocked) {
			continue // a live run's
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		err = s.removePrefix(ctx, base+scratchPrefix+run+"/")
		if err == nil {
			opts.Notice(fmt.Sprintf("removed the temporary files of run %s, which was killed, from %s", run, s.url(base)))
		}
		errs = append(errs, err, h.release(ctx))
	}
	return errors.Join(errs...)
}

// removePrefix removes every object whose key starts with prefix.
func (s *Store) removePrefix(ctx context.Context, prefix string) error {
	objs, err := s.List(ctx, prefix)
	if err != nil {
		return err
	}
	return s.removeAll(ctx, objs)
}

// Remove removes the run's files, whatever is left of them, then its
// lock. ctx may be cancelled already (a run interrupted): removal goes on.
func (d *Scratch) Remove(ctx context.Context) error {
	ctx = context.WithoutCancel(ctx)
	err := d.s.removePrefix(ctx, d.prefix)
	// Files left without their lock are removed by the next sweep.
	rerr := d.lock.release(ctx)
	if err != nil {
		return fmt.Errorf("remove temporary files %s: %w", d.s.url(d.prefix), err)
	}
	return rerr
}

// String is the URL of the run's prefix.
func (d *Scratch) String() string { return d.s.url(d.prefix) }

// Held is the bytes of write buffers the files hold now; Peak the most
// they held at once.
func (d *Scratch) Held() int64 { return d.held.Load() }

// Peak is the most bytes of write buffers the files held at once.
func (d *Scratch) Peak() int64 { return d.peak.Load() }

func (d *Scratch) hold(n int64) {
	h := d.held.Add(n)
	for {
		p := d.peak.Load()
		if h <= p || d.peak.CompareAndSwap(p, h) {
			return
		}
	}
}

// SegmentSize is the segment size of a file of o: Memory / o.Files,
// between MinSegment and MaxSegment.
func (d *Scratch) SegmentSize(o scratch.Options) int {
	files := int64(max(o.Files, 1))
	return int(min(max(d.opts.Memory/files, MinSegment), MaxSegment))
}

// Create makes an empty file; nothing is written to the bucket before its
// first segment.
func (d *Scratch) Create(name string, o scratch.Options) (scratch.File, error) {
	if err := d.lock.check(); err != nil {
		return nil, err
	}
	n := d.files.Add(1)
	name = strings.Map(func(r rune) rune {
		if r == '/' || r < ' ' {
			return '_'
		}
		return r
	}, name)
	return &segFile{d: d, base: fmt.Sprintf("%s%06d-%s/", d.prefix, n, name), segSize: d.SegmentSize(o)}, nil
}

// segFile is a file of segment objects.
type segFile struct {
	d       *Scratch
	base    string // its segments' keys start here
	segSize int

	buf      []byte // appends not yet written; cap segSize
	appendAt int64  // where the buffer's bytes go

	mu      sync.Mutex
	segs    []segment // by offset, not overlapping
	partial []string  // objects partly written over, for Close
	puts    int       // segments written, for unique keys
	size    int64
	closed  bool
}

// segment is bytes [off, off+n) of the file, held at skip in an object.
type segment struct {
	off, n, skip int64
	key, version string
}

func (f *segFile) Name() string { return f.d.s.url(f.base) }

func (f *segFile) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		if f.buf == nil {
			f.buf = make([]byte, 0, f.segSize)
			f.d.hold(int64(f.segSize))
		}
		k := min(len(p), cap(f.buf)-len(f.buf))
		f.buf = append(f.buf, p[:k]...)
		p, written = p[k:], written+k
		if len(f.buf) == cap(f.buf) {
			if err := f.put(f.appendAt, f.buf); err != nil {
				return written, err
			}
			f.appendAt += int64(len(f.buf))
			f.buf = f.buf[:0]
		}
	}
	return written, nil
}

func (f *segFile) Flush() error {
	if f.buf == nil {
		return nil
	}
	var err error
	if len(f.buf) > 0 {
		err = f.put(f.appendAt, f.buf)
		f.appendAt += int64(len(f.buf))
	}
	f.d.hold(-int64(cap(f.buf)))
	f.buf = nil
	return err
}

func (f *segFile) WriteAt(p []byte, off int64) (int, error) {
	for done := 0; done < len(p); {
		k := min(len(p)-done, MaxSegment)
		if err := f.put(off+int64(done), p[done:done+k]); err != nil {
			return done, err
		}
		done += k
	}
	return len(p), nil
}

// put writes b as a new segment at off and adds it to the index, over
// whatever older segments held there: a segment wholly covered is
// deleted; one partly covered keeps its other bytes in the index (its
// object is deleted by Close).
func (f *segFile) put(off int64, b []byte) error {
	if len(b) == 0 {
		return nil
	}
	if err := f.d.lock.check(); err != nil {
		return err
	}
	f.mu.Lock()
	f.puts++
	key := fmt.Sprintf("%s%016d-%d", f.base, off, f.puts)
	f.mu.Unlock()
	v, err := f.d.s.putBytes(f.d.ctx, key, b, cond{})
	if err != nil {
		return fmt.Errorf("temporary file %s: %w", f.Name(), err)
	}
	end := off + int64(len(b))
	f.mu.Lock()
	var gone []string
	segs := make([]segment, 0, len(f.segs)+2)
	for _, s := range f.segs {
		if s.off+s.n <= off || s.off >= end {
			segs = append(segs, s)
			continue
		}
		if s.off < off { // its head stays
			h := s
			h.n = off - s.off
			segs = append(segs, h)
		}
		if s.off+s.n > end { // its tail stays
			t := s
			t.skip += end - s.off
			t.off, t.n = end, s.off+s.n-end
			segs = append(segs, t)
		}
		if s.off >= off && s.off+s.n <= end && !slices.ContainsFunc(f.segs, func(o segment) bool { return o.key == s.key && o.off != s.off }) {
			gone = append(gone, s.key)
		} else {
			f.partial = append(f.partial, s.key)
		}
	}
	i, _ := slices.BinarySearchFunc(segs, off, func(s segment, off int64) int { return cmp.Compare(s.off, off) })
	f.segs = slices.Insert(segs, i, segment{off: off, n: int64(len(b)), key: key, version: v})
	f.size = max(f.size, end)
	f.mu.Unlock()
	for _, k := range gone {
		if err := f.d.s.Remove(context.WithoutCancel(f.d.ctx), k); err != nil {
			return fmt.Errorf("temporary file %s: %w", f.Name(), err)
		}
	}
	return nil
}

func (f *segFile) Truncate(n int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.size = max(f.size, n)
	return nil
}

func (f *segFile) Size() int64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.size
}

// ReadAt reads each segment the range overlaps by a ranged GET; bytes no
// segment holds read as zero.
func (f *segFile) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	size := f.size
	// The first segment that ends after off.
	i, _ := slices.BinarySearchFunc(f.segs, off, func(s segment, off int64) int {
		if s.off+s.n <= off {
			return -1
		}
		return 1
	})
	var segs []segment
	for ; i < len(f.segs) && f.segs[i].off < off+int64(len(p)); i++ {
		segs = append(segs, f.segs[i])
	}
	f.mu.Unlock()
	if off >= size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), size-off))
	clear(p[:n])
	g, ctx := errgroup.WithContext(f.d.ctx)
	g.SetLimit(f.d.s.opts.ReadParallel)
	for _, s := range segs {
		lo, hi := max(s.off, off), min(s.off+s.n, off+int64(n))
		if lo >= hi {
			continue
		}
		g.Go(func() error {
			o := &Object{s: f.d.s, info: ObjectInfo{Key: s.key, Size: s.skip + s.n, Version: s.version}}
			_, err := o.fetch(ctx, p[lo-off:hi-off], s.skip+lo-s.off)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, fmt.Errorf("temporary file %s: %w", f.Name(), err)
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Stream reads the file from its start a segment (at least MinSegment) a
// read.
func (f *segFile) Stream() io.Reader {
	return bufio.NewReaderSize(io.NewSectionReader(f, 0, f.Size()), max(f.segSize, MinSegment))
}

// Close deletes the file's segments. A failure to delete is not
// reported: Remove deletes whatever the run left at its end.
func (f *segFile) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	var keys []string
	for _, s := range f.segs {
		keys = append(keys, s.key)
	}
	keys = append(keys, f.partial...)
	slices.Sort(keys)
	keys = slices.Compact(keys)
	f.segs, f.partial = nil, nil
	f.mu.Unlock()
	if f.buf != nil {
		f.d.hold(-int64(cap(f.buf)))
		f.buf = nil
	}
	ctx := context.WithoutCancel(f.d.ctx)
	for _, k := range keys {
		if err := f.d.s.Remove(ctx, k); err != nil {
			break // the store fails: Remove tries again at the end
		}
	}
	return nil
}
