package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"golang.org/x/sync/errgroup"
)

// Object is an object opened for ranged reads, as an [io.ReaderAt] of a
// known size and identity. Every GET asks for the version the object had
// when it was opened, so a read never mixes the bytes of two versions: an
// object replaced while it is read fails the read with [ErrChanged].
//
// Reads are served from blocks of [Options.BlockSize] bytes:
//
//   - a read smaller than a block fetches the block(s) holding it, so the
//     small reads a Parquet reader makes (footer, page headers, pages) are
//     coalesced into one GET per block;
//   - a read of a block or more goes straight into the caller's buffer,
//     split into up to [Options.ReadParallel] ranged GETs made in
//     parallel;
//   - a read that continues one of the last reads (a sequential stream,
//     such as a column chunk read page by page) starts fetching the
//     blocks after it in the background, so the network is busy while
//     the caller decodes.
//
// The blocks held, fetched ahead or kept for small reads, never exceed
// [Options.ReadAhead] bytes in all: that, beyond the caller's own buffers,
// is the memory an Object uses. ReadAt is safe for concurrent use.
type Object struct {
	s    *Store
	info ObjectInfo

	ctx    context.Context // cancels fetches ahead; ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{} // GETs in flight

	mu     sync.Mutex
	blocks map[int64]*block // by block index
	tick   uint64
	ends   [4]int64 // where the last reads ended, for sequential streams
	next   int
	closed bool
}

// block is one block of an Object: being fetched until done is closed,
// then data (or err).
type block struct {
	idx  int64
	data []byte
	err  error
	done chan struct{}
	used uint64 // tick of the last read, for eviction
	busy int    // readers waiting on it or copying from it
}

// OpenObject opens the object at key for ranged reads. It asks for the
// object's info once; ctx bounds the object's background fetches until
// Close (ReadAt itself takes no context).
func (s *Store) OpenObject(ctx context.Context, key string) (*Object, error) {
	info, err := s.Stat(ctx, key)
	if err != nil {
		return nil, err
	}
	return s.openObject(ctx, info), nil
}

// OpenInfo opens an object listed by [Store.List] or [Store.Glob] without
// asking for its info again: the identity checked by reads is the
// listed one.
func (s *Store) OpenInfo(ctx context.Context, info ObjectInfo) *Object {
	return s.openObject(ctx, info)
}

func (s *Store) openObject(ctx context.Context, info ObjectInfo) *Object {
	ctx, cancel := context.WithCancel(ctx)
	return &Object{
		s: s, info: info, ctx: ctx, cancel: cancel,
		sem:    make(chan struct{}, s.opts.ReadParallel),
		blocks: make(map[int64]*block),
		ends:   [4]int64{-1, -1, -1, -1},
	}
}

// Name is the object's URL, without parameters or credentials.
func (o *Object) Name() string { return o.s.url(o.info.Key) }

// Size is the object's size in bytes when it was opened.
func (o *Object) Size() int64 { return o.info.Size }

// Info is the object's key, size and identity when it was opened.
func (o *Object) Info() ObjectInfo { return o.info }

// CheckUnchanged asks the store for the object's info again and reports,
// wrapping [ErrChanged], an object replaced (another version or size) or
// removed since it was opened.
func (o *Object) CheckUnchanged(ctx context.Context) error {
	now, err := o.s.Stat(ctx, o.info.Key)
	if errors.Is(err, ErrNotFound) {
		return &Error{Op: "check", URL: o.Name(), Status: http.StatusNotFound,
			Err: fmt.Errorf("%w: it was removed", ErrChanged)}
	}
	if err != nil {
		return err
	}
	if now.Version != o.info.Version || now.Size != o.info.Size {
		return &Error{Op: "check", URL: o.Name(),
			Err: fmt.Errorf("%w: version %s size %d, then version %s size %d", ErrChanged, o.info.Version, o.info.Size, now.Version, now.Size)}
	}
	return nil
}

// Close stops the fetches ahead, waits for them and drops the blocks. A
// read after Close fails.
func (o *Object) Close() error {
	o.mu.Lock()
	o.closed = true
	o.mu.Unlock()
	o.cancel()
	o.wg.Wait()
	o.mu.Lock()
	o.blocks = nil
	o.mu.Unlock()
	return nil
}

// ReadAt reads len(p) bytes at off (fewer, with io.EOF, at the end).
func (o *Object) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read %s: negative offset %d", o.Name(), off)
	}
	if off >= o.info.Size {
		if len(p) == 0 {
			return 0, nil
		}
		return 0, io.EOF
	}
	var eof error
	if rest := o.info.Size - off; int64(len(p)) > rest {
		p, eof = p[:rest], io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	end := off + int64(len(p))
	bs := o.s.opts.BlockSize
	o.mu.Lock()
	if o.closed {
		o.mu.Unlock()
		return 0, fmt.Errorf("read %s: object closed", o.Name())
	}
	seq := o.sequential(off)
	first, last := off/bs, (end-1)/bs
	var held []*block
	direct := int64(len(p)) >= bs
	if !direct {
		for i := first; i <= last; i++ {
			b := o.blockLocked(i)
			if b == nil { // every block slot is busy: read around the cache
				for _, h := range held {
					h.busy--
				}
				held, direct = nil, true
				break
			}
			b.busy++
			held = append(held, b)
		}
	}
	o.ends[o.next] = end
	o.next = (o.next + 1) % len(o.ends)
	if seq {
		o.aheadLocked(last + 1)
	}
	o.mu.Unlock()

	if direct {
		n, err := o.fetchParallel(p, off)
		if err != nil {
			return n, err
		}
		return n, eof
	}
	var err error
	n := 0
	for _, b := range held {
		<-b.done
		if err == nil && b.err != nil {
			err = b.err
		}
		if err == nil {
			bo := b.idx * bs
			lo := max(off, bo)
			hi := min(end, bo+int64(len(b.data)))
			n += copy(p[lo-off:hi-off], b.data[lo-bo:hi-bo])
		}
	}
	o.mu.Lock()
	for _, b := range held {
		b.busy--
		if b.err != nil && o.blocks != nil && o.blocks[b.idx] == b {
			delete(o.blocks, b.idx) // a later read tries again
		}
	}
	o.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return n, eof
}

// sequential reports whether a read at off continues one of the last
// reads: it starts where one ended, or less than a block after.
func (o *Object) sequential(off int64) bool {
	for _, e := range o.ends {
		if e >= 0 && off >= e && off-e < o.s.opts.BlockSize {
			return true
		}
	}
	return false
}

// capacity is how many blocks an Object may hold.
func (o *Object) capacity() int {
	return int(max(1, o.s.opts.ReadAhead/o.s.opts.BlockSize))
}

// blockLocked returns block i, cached or started now, evicting the least
// recently used idle block if the object holds its capacity; nil when
// every block held is busy. o.mu is held.
func (o *Object) blockLocked(i int64) *block {
	o.tick++
	if b, ok := o.blocks[i]; ok {
		b.used = o.tick
		return b
	}
	if !o.evictLocked(-1) {
		return nil
	}
	return o.startLocked(i, o.tick)
}

// evictLocked makes room for one block, dropping the least recently used
// block that is fetched and that no reader holds, and none at or after
// keepFrom when keepFrom >= 0 (blocks fetched ahead of a stream are kept
// for it). It reports whether there is room.
func (o *Object) evictLocked(keepFrom int64) bool {
	if len(o.blocks) < o.capacity() {
		return true
	}
	var victim *block
	for _, b := range o.blocks {
		if b.busy > 0 || (keepFrom >= 0 && b.idx >= keepFrom) {
			continue
		}
		select {
		case <-b.done:
		default:
			continue // still being fetched
		}
		if victim == nil || b.used < victim.used {
			victim = b
		}
	}
	if victim == nil {
		return false
	}
	delete(o.blocks, victim.idx)
	return true
}

// startLocked starts fetching block i in the background. o.mu is held.
func (o *Object) startLocked(i int64, used uint64) *block {
	bs := o.s.opts.BlockSize
	n := min(bs, o.info.Size-i*bs)
	b := &block{idx: i, done: make(chan struct{}), used: used}
	o.blocks[i] = b
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		defer close(b.done)
		select {
		case o.sem <- struct{}{}:
		case <-o.ctx.Done():
			b.err = o.ctx.Err()
			return
		}
		defer func() { <-o.sem }()
		data := make([]byte, n)
		if _, err := o.fetch(o.ctx, data, i*bs); err != nil {
			b.err = err
			return
		}
		b.data = data
	}()
	return b
}

// aheadLocked starts fetching the blocks from block i on, as far as the
// read-ahead allows, without evicting blocks at or after i. o.mu is held.
func (o *Object) aheadLocked(i int64) {
	bs := o.s.opts.BlockSize
	nblocks := (o.info.Size + bs - 1) / bs
	for j := i; j < nblocks && j < i+int64(o.capacity()); j++ {
		if _, ok := o.blocks[j]; ok {
			continue
		}
		if !o.evictLocked(i) {
			return
		}
		o.startLocked(j, o.tick) // not yet read: first to go among idle blocks of this tick
	}
}

// fetchParallel reads p at off straight from the store, in up to
// ReadParallel ranged GETs of at least a block each, made at once.
func (o *Object) fetchParallel(p []byte, off int64) (int, error) {
	bs := o.s.opts.BlockSize
	par := int64(o.s.opts.ReadParallel)
	chunk := max(bs, (int64(len(p))+par-1)/par)
	g, ctx := errgroup.WithContext(o.ctx)
	for lo := int64(0); lo < int64(len(p)); lo += chunk {
		hi := min(lo+chunk, int64(len(p)))
		g.Go(func() error {
			select {
			case o.sem <- struct{}{}:
			case <-ctx.Done():
				return ctx.Err()
			}
			defer func() { <-o.sem }()
			_, err := o.fetch(ctx, p[lo:hi], off+lo)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return 0, err
	}
	return len(p), nil
}

// fetch fills p with the object's bytes at off, by one ranged GET, sent
// again (for what is still missing) when it fails for a passing reason.
func (o *Object) fetch(ctx context.Context, p []byte, off int64) (int, error) {
	got := 0
	key := o.info.Key
	err := o.s.opts.Retry.do(ctx, o.s.retried, func() (int, error) {
		o.s.stats.Get.Add(1)
		rc, st, err := o.s.be.get(ctx, key, o.info.Version, off+int64(got), int64(len(p)-got))
		if err != nil {
			return st, classify("read", o.Name(), st, err)
		}
		defer rc.Close()
		for got < len(p) {
			n, err := rc.Read(p[got:])
			got += n
			o.s.stats.BytesRead.Add(int64(n))
			if err == io.EOF && got < len(p) {
				err = io.ErrUnexpectedEOF // a body cut short: the connection dropped
			}
			if err != nil && err != io.EOF {
				st := o.s.be.statusOf(err)
				return st, classify("read", o.Name(), st, fmt.Errorf("bytes %d-%d: %w", off+int64(got), off+int64(len(p))-1, err))
			}
			if err == io.EOF {
				break
			}
		}
		return 0, nil
	})
	return got, err
}
