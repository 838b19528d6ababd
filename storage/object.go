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
//     coalesced into one GET per block, and the reads that come back to
//     the same bytes (a Parquet reader scans a row group's page headers
//     before it reads the pages) find them held; but a read of at most
//     1/16 of a block that continues no stream and finds no block held
//     (a footer, a probe of a row group's first page) fetches only its
//     own bytes;
//   - a read of a block or more goes straight into the caller's buffer,
//     split into up to [Options.ReadParallel] ranged GETs made in
//     parallel;
//   - a read that continues one of the last reads, starting where it
//     ended or less than 1/16 of a block after (a sequential stream, such
//     as a column chunk read page by page), starts fetching the next
//     few blocks after it in the background (as many as
//     [Options.ReadParallel], a quarter of the blocks the store holds at
//     most), so the network is busy while the caller decodes.
//
// The blocks of all the Objects of a [Store], held, fetched ahead or kept
// for small reads, never exceed [Options.ReadAhead] bytes in all: that,
// beyond the caller's own buffers, is the memory reads through a Store
// use, however many objects are open. When the store holds its bound, a
// new block replaces the block read longest ago, one passed first: one a
// read has reached the last byte of, whose stream has moved on (another
// reader of the object far ahead does not make a block passed). Blocks
// fetched ahead fill at most half of the
// bound; one not read yet is replaced only to serve a read, and a fetch
// ahead replaces only passed blocks, so read-ahead pushes out neither
// what it fetched nor the block a stream is reading. ReadAt is safe for
// concurrent use.
//
// [Object.FetchAt] reads around the blocks: for callers that coalesce
// their own reads, such as a Parquet input reading a unit's pages of a
// column (sources.Fetcher).
type Object struct {
	s    *Store
	p    *blockPool
	info ObjectInfo

	ctx    context.Context // cancels fetches ahead; ends with Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
	sem    chan struct{} // GETs in flight

	// guarded by p.mu
	blocks map[int64]*block // by block index
	ends   [8]int64         // where the last reads ended, for sequential streams
	next   int
	closed bool
}

// block is one block of an Object: being fetched until done is closed,
// then data (or err). Its fields but idx, o, data and err are guarded by
// the pool's mutex; data and err are set before done is closed.
type block struct {
	o      *Object
	idx    int64
	data   []byte
	err    error
	done   chan struct{}
	used   uint64 // tick of the last read, for eviction
	read   bool   // read at least once (else fetched ahead, not yet read)
	passed bool   // a read reached its last byte: its stream moved on
	busy   int    // readers waiting on it or copying from it
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
	o := &Object{
		s: s, p: s.pool, info: info, ctx: ctx, cancel: cancel,
		sem:    make(chan struct{}, s.opts.ReadParallel),
		blocks: make(map[int64]*block),
	}
	for i := range o.ends {
		o.ends[i] = -1
	}
	return o
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

// Close stops the fetches ahead, waits for them and gives the object's
// blocks back to the store. A read after Close fails.
func (o *Object) Close() error {
	o.p.mu.Lock()
	o.closed = true
	o.p.mu.Unlock()
	o.cancel()
	o.wg.Wait()
	o.p.mu.Lock()
	for _, b := range o.blocks {
		o.p.dropLocked(b)
	}
	o.blocks = nil
	o.p.mu.Unlock()
	return nil
}

// ReadAt reads len(p) bytes at off (fewer, with io.EOF, at the end).
func (o *Object) ReadAt(p []byte, off int64) (int, error) {
	p, eof, err := o.clip(p, off)
	if err != nil || len(p) == 0 {
		return 0, err
	}
	end := off + int64(len(p))
	bs := o.s.opts.BlockSize
	pool := o.p
	pool.mu.Lock()
	if o.closed {
		pool.mu.Unlock()
		return 0, fmt.Errorf("read %s: object closed", o.Name())
	}
	seq := o.sequential(off)
	first, last := off/bs, (end-1)/bs
	var held []*block
	direct := int64(len(p)) >= bs
	if !direct && !seq && int64(len(p)) <= bs/probeFraction && !o.heldLocked(first, last) {
		// A small read away from every stream (a footer, the first page
		// header of a column chunk, a probe of each row group) fetches
		// only its bytes: a whole block for it would mostly go unread,
		// or be let go before the stream that reads it comes.
		direct = true
	}
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
			if end >= (i+1)*bs {
				b.passed = true
			}
			held = append(held, b)
		}
	}
	o.ends[o.next] = end
	o.next = (o.next + 1) % len(o.ends)
	if seq {
		o.aheadLocked(last + 1)
	}
	pool.mu.Unlock()

	if direct {
		n, err := o.fetchParallel(p, off)
		if err != nil {
			return n, err
		}
		return n, eof
	}
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
	pool.mu.Lock()
	for _, b := range held {
		b.busy--
		if b.err != nil && o.blocks != nil && o.blocks[b.idx] == b {
			pool.dropLocked(b) // a later read tries again
		}
	}
	pool.mu.Unlock()
	if err != nil {
		return 0, err
	}
	return n, eof
}

// FetchAt reads len(p) bytes at off (fewer, with io.EOF, at the end)
// straight from the store, as a read of a block or more does, by up to
// [Options.ReadParallel] ranged GETs made at once: it neither uses nor
// fills the blocks. It is for callers that coalesce their reads
// themselves and ask only for bytes they will use (sources.Fetcher): a
// Parquet input reads each unit's bytes of a column so. FetchAt is safe
// for concurrent use.
func (o *Object) FetchAt(p []byte, off int64) (int, error) {
	p, eof, err := o.clip(p, off)
	if err != nil || len(p) == 0 {
		return 0, err
	}
	o.p.mu.Lock()
	closed := o.closed
	o.p.mu.Unlock()
	if closed {
		return 0, fmt.Errorf("read %s: object closed", o.Name())
	}
	n, err := o.fetchParallel(p, off)
	if err != nil {
		return n, err
	}
	return n, eof
}

// clip returns the part of p a read at off can fill, and eof io.EOF when
// that is less than p. A read wholly past the end fills nothing, with
// err io.EOF (nil for an empty p); a negative offset is an error.
func (o *Object) clip(p []byte, off int64) (q []byte, eof, err error) {
	switch {
	case off < 0:
		return nil, nil, fmt.Errorf("read %s: negative offset %d", o.Name(), off)
	case off >= o.info.Size && len(p) > 0:
		return nil, nil, io.EOF
	case off >= o.info.Size:
		return nil, nil, nil
	}
	if rest := o.info.Size - off; int64(len(p)) > rest {
		return p[:rest], io.EOF, nil
	}
	return p, nil, nil
}

// probeFraction: a read of at most BlockSize/probeFraction bytes that
// continues no stream and finds no block held is made by a GET of its own
// bytes only.
const probeFraction = 16

// heldLocked reports whether the object holds blocks first to last. The
// pool's mutex is held.
func (o *Object) heldLocked(first, last int64) bool {
	for i := first; i <= last; i++ {
		if _, ok := o.blocks[i]; !ok {
			return false
		}
	}
	return true
}

// sequential reports whether a read at off continues one of the last
// reads: it starts where one ended, or less than a probe's bytes
// (BlockSize/probeFraction) after. A read further on is a jump, such as
// from a file's magic bytes to the header of a page in its first block.
func (o *Object) sequential(off int64) bool {
	for _, e := range o.ends {
		if e >= 0 && off >= e && off-e < o.s.opts.BlockSize/probeFraction {
			return true
		}
	}
	return false
}

// blockLocked returns block i for a read, held or started now, making
// room as [blockPool.evictLocked] does for a read; nil when every block
// held is busy or being fetched. The pool's mutex is held.
func (o *Object) blockLocked(i int64) *block {
	p := o.p
	p.tick++
	if b, ok := o.blocks[i]; ok {
		if !b.read {
			b.read = true
			p.unread--
		}
		b.used = p.tick
		return b
	}
	if !p.evictLocked(true) {
		return nil
	}
	b := o.startLocked(i)
	b.used, b.read = p.tick, true
	return b
}

// aheadLocked starts fetching the blocks from block i on, as many as a
// stream fetches ahead, as long as the pool has room without letting go
// of a block not read yet, and blocks not read yet fill at most half of
// it: the other half serves the reads, so that streams that interleave
// (as many as half the blocks) cannot take each other's current block.
// The pool's mutex is held.
func (o *Object) aheadLocked(i int64) {
	p := o.p
	bs := o.s.opts.BlockSize
	nblocks := (o.info.Size + bs - 1) / bs
	for j := i; j < nblocks && j < i+int64(p.ahead(o.s.opts.ReadParallel)); j++ {
		if _, ok := o.blocks[j]; ok {
			continue
		}
		if p.unread >= p.capacity/2 || !p.evictLocked(false) {
			return
		}
		b := o.startLocked(j)
		b.used = p.tick
		p.unread++
	}
}

// startLocked starts fetching block i in the background. The pool's mutex
// is held and the pool has room.
func (o *Object) startLocked(i int64) *block {
	p := o.p
	bs := o.s.opts.BlockSize
	n := min(bs, o.info.Size-i*bs)
	var buf []byte
	if k := len(p.free); k > 0 {
		buf, p.free = p.free[k-1][:n], p.free[:k-1]
	}
	b := &block{o: o, idx: i, done: make(chan struct{})}
	o.blocks[i] = b
	p.blocks = append(p.blocks, b)
	p.peak = max(p.peak, len(p.blocks))
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
		if buf == nil {
			buf = make([]byte, n, bs)
		}
		if _, err := o.fetch(o.ctx, buf, i*bs); err != nil {
			b.err = err
			return
		}
		b.data = buf
	}()
	return b
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
