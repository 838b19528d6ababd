package sinks

import (
	"fmt"
	"os"
	"sync"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// This file holds where a streamed row group keeps the pages of the
// columns splitdata's page writer writes until the row group is written:
// in fixed-size blocks of a pool shared by a job's streams, and beyond the
// pool's budget in a temporary file. A finished row group keeps its pages
// there too, and the file writer copies them to the output a block at a
// time (spooledPages.writeTo), so that no buffer of a row group's size is
// made for it.

// SpoolBlockBytes is the size of a [BlockPool]'s blocks.
const SpoolBlockBytes = 1 << 20

// BlockPool holds the blocks of [SpoolBlockBytes] in which streamed row
// groups keep their pages, at most a budget of them: a block given back
// (once its row group is written, [EncodedRowGroup.Release]) holds later
// pages, so a job's streams reuse memory the runtime has already faulted
// in rather than fresh memory. Past the budget, pages go to temporary
// files. A BlockPool is safe for concurrent use; a nil one holds no block.
type BlockPool struct {
	max  int // blocks the budget holds
	mu   sync.Mutex
	made int // blocks made, in use or free
	free [][]byte
}

// NewBlockPool returns a pool of at most budget bytes of blocks (rounded
// down to whole blocks). The blocks are made as they are first needed.
func NewBlockPool(budget int64) *BlockPool {
	return &BlockPool{max: int(max(budget, 0) / SpoolBlockBytes)}
}

// get returns an empty block, or nil when the budget's blocks are all in
// use.
func (p *BlockPool) get() []byte {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if k := len(p.free); k > 0 {
		b := p.free[k-1]
		p.free[k-1] = nil
		p.free = p.free[:k-1]
		return b[:0]
	}
	if p.made == p.max {
		return nil
	}
	p.made++
	return make([]byte, 0, SpoolBlockBytes)
}

// put gives back a block get returned.
func (p *BlockPool) put(b []byte) {
	p.mu.Lock()
	p.free = append(p.free, b[:0])
	p.mu.Unlock()
}

// Bytes returns the bytes of the blocks the pool has made, in use or
// free: the memory it holds.
func (p *BlockPool) Bytes() int64 {
	if p == nil {
		return 0
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return int64(p.made) * SpoolBlockBytes
}

// StreamOptions says how a [RowGroupStream] holds its row group's pages
// until it is finished and written.
type StreamOptions struct {
	// Checked says rows are already checked against the schema (see
	// [RowGroupEncoder.EncodeChecked]).
	Checked bool
	// Blocks, when set, holds the pages of the columns splitdata's page
	// writer writes, as far as its budget goes.
	Blocks *BlockPool
	// Dir, when set, is where pages go in temporary files beyond Blocks,
	// and those parquet-go writes; else they are held in memory.
	Dir string
}

// spoolBlock is a block holding pages, from a pool or not.
type spoolBlock struct {
	b      []byte
	pooled bool
}

// spoolSeg is a run of bytes held in a spool: off and n in block blk, or
// in the file when blk is -1.
type spoolSeg struct {
	blk int32
	off int64
	n   int64
}

// pageSpool holds the pages of a stream's columns, each column's in order
// (cols[c]), in blocks and beyond them in a temporary file. It is for one
// goroutine.
type pageSpool struct {
	pool   *BlockPool
	dir    string // "": blocks beyond the pool are made, not pooled
	file   *os.File
	size   int64 // bytes written to file
	blocks []spoolBlock
	cols   [][]spoolSeg
}

// put adds b's bytes after segs and returns them.
func (s *pageSpool) put(segs []spoolSeg, b []byte) ([]spoolSeg, error) {
	for len(b) > 0 {
		if k := len(s.blocks) - 1; k >= 0 && len(s.blocks[k].b) < cap(s.blocks[k].b) {
			blk := s.blocks[k].b
			m := min(cap(blk)-len(blk), len(b))
			segs = addSeg(segs, spoolSeg{blk: int32(k), off: int64(len(blk)), n: int64(m)})
			s.blocks[k].b = append(blk, b[:m]...)
			b = b[m:]
			continue
		}
		if blk := s.pool.get(); blk != nil {
			s.blocks = append(s.blocks, spoolBlock{b: blk, pooled: true})
			continue
		}
		if s.dir == "" {
			s.blocks = append(s.blocks, spoolBlock{b: make([]byte, 0, SpoolBlockBytes)})
			continue
		}
		if s.file == nil {
			f, err := os.CreateTemp(s.dir, "splitdata-pages-*")
			if err != nil {
				return segs, fmt.Errorf("hold pages: %w", err)
			}
			s.file = f
		}
		if _, err := s.file.Write(b); err != nil {
			return segs, fmt.Errorf("hold pages in %s: %w", s.file.Name(), err)
		}
		segs = addSeg(segs, spoolSeg{blk: -1, off: s.size, n: int64(len(b))})
		s.size += int64(len(b))
		break
	}
	return segs, nil
}

// addSeg appends seg to segs, joined to the last one when it follows it.
func addSeg(segs []spoolSeg, seg spoolSeg) []spoolSeg {
	if k := len(segs) - 1; k >= 0 && segs[k].blk == seg.blk && segs[k].off+segs[k].n == seg.off {
		segs[k].n += seg.n
		return segs
	}
	return append(segs, seg)
}

// appendTo appends the bytes of segs to dst, doubling it when short.
func (s *pageSpool) appendTo(dst []byte, segs []spoolSeg) ([]byte, error) {
	for _, seg := range segs {
		if seg.blk >= 0 {
			dst = appendDoubling(dst, s.blocks[seg.blk].b[seg.off:seg.off+seg.n])
			continue
		}
		at := len(dst)
		dst = growDoubling(dst, int(seg.n))[:at+int(seg.n)]
		if _, err := s.file.ReadAt(dst[at:], seg.off); err != nil {
			return dst, fmt.Errorf("read back pages from %s: %w", s.file.Name(), err)
		}
	}
	return dst, nil
}

// growDoubling returns dst with room for n more bytes, its capacity
// doubled when short (see appendDoubling).
func growDoubling(dst []byte, n int) []byte {
	if len(dst)+n <= cap(dst) {
		return dst
	}
	grown := make([]byte, len(dst), max(len(dst)+n, 2*cap(dst)))
	copy(grown, dst)
	return grown
}

// release gives back the spool's blocks and removes its file.
func (s *pageSpool) release() error {
	for _, b := range s.blocks {
		if b.pooled {
			s.pool.put(b.b)
		}
	}
	s.blocks, s.cols = nil, nil
	return s.removeFile()
}

// removeFile closes and removes the spool's file, if it has one.
func (s *pageSpool) removeFile() error {
	if s.file == nil {
		return nil
	}
	err := s.file.Close()
	if rerr := os.Remove(s.file.Name()); err == nil {
		err = rerr
	}
	s.file = nil
	return err
}

// spooledPages is the column chunks of a finished row group where its
// stream left them: segs, in order, in the spool's blocks and file.
type spooledPages struct {
	spool *pageSpool
	segs  []spoolSeg
}

// writeTo writes the pages to w in order, those in the file through a
// block-sized buffer, so that w (and what hashes the output behind it)
// takes at most a block at a time. A read error is w's.
func (p *spooledPages) writeTo(w *countingWriter) {
	var buf []byte
	var pooled bool
	defer func() {
		if pooled {
			p.spool.pool.put(buf)
		}
	}()
	for _, seg := range p.segs {
		if seg.blk >= 0 {
			w.write(p.spool.blocks[seg.blk].b[seg.off : seg.off+seg.n])
			continue
		}
		if buf == nil {
			if buf = p.spool.pool.get(); buf != nil {
				pooled = true
			} else {
				buf = make([]byte, 0, SpoolBlockBytes)
			}
			buf = buf[:cap(buf)]
		}
		for off, end := seg.off, seg.off+seg.n; off < end && w.err == nil; {
			m := min(int64(len(buf)), end-off)
			if _, err := p.spool.file.ReadAt(buf[:m], off); err != nil {
				w.err = fmt.Errorf("read back pages from %s: %w", p.spool.file.Name(), err)
				return
			}
			w.write(buf[:m])
			off += m
		}
	}
}

// release gives back the blocks and removes the file.
func (p *spooledPages) release() {
	p.spool.release() // the file is temporary: an error removing it is the directory owner's to clean
}

// held returns the bytes of memory the pages hold.
func (p *spooledPages) held() int64 {
	return int64(len(p.spool.blocks)) * SpoolBlockBytes
}

// drain moves the pages the page writers wrote since the last drain into
// the spool, each column's after its earlier ones (drainColumn).
func (s *RowGroupStream) drain() error {
	for c, pw := range s.own {
		if pw != nil {
			if err := s.drainColumn(c, pw); err != nil {
				return err
			}
		}
	}
	return nil
}

// drainColumn moves the pages page writer pw of column c wrote since the
// last drain into the spool, after the column's earlier ones. A page
// writer's offsets count its chunk's bytes from its first page, moved or
// not (pageWriter.base is minus the bytes moved). The page writers of a
// stream with a spool call it after each page (pageWriter.moved), so
// their chunk buffers hold one page.
func (s *RowGroupStream) drainColumn(c int, pw *pageWriter) error {
	if len(pw.data) == 0 {
		return nil
	}
	s.spoolMu.Lock()
	defer s.spoolMu.Unlock()
	if !s.long && pw.width == 0 {
		long, err := longHeaders(pw.data)
		if err != nil {
			s.err = fmt.Errorf("encode row group: column %d: %w", c, err)
			return s.err
		}
		s.long = long
	}
	segs, err := s.spool.put(s.spool.cols[c], pw.data)
	s.spool.cols[c] = segs
	if err != nil {
		s.err = fmt.Errorf("encode row group: %w", err)
		return s.err
	}
	pw.base -= len(pw.data)
	pw.data = pw.data[:0]
	return nil
}

// longHeaders reports whether a page of data, whole pages of a byte array
// column, has a header whose bounds trimPageStatistics leaves out: such a
// row group is finished in one buffer, where that is done.
func longHeaders(data []byte) (bool, error) {
	for off := 0; off < len(data); {
		r := new(thrift.CompactProtocol).NewReaderFromBytes(data[off:])
		var h format.PageHeader
		if err := thrift.NewDecoder(r).Decode(&h); err != nil {
			return false, fmt.Errorf("page header at byte %d: %w", off, err)
		}
		if st := pageStatistics(&h); st != nil && longBounds(st) {
			return true, nil
		}
		if h.CompressedPageSize < 0 {
			return false, fmt.Errorf("page at byte %d has size %d", off, h.CompressedPageSize)
		}
		off += r.BytesRead() + int(h.CompressedPageSize)
	}
	return false, nil
}

// releaseSpool gives back the blocks of a stream's spool and removes its
// file, when it has one.
func (s *RowGroupStream) releaseSpool() error {
	if s.spool == nil {
		return nil
	}
	err := s.spool.release()
	s.spool = nil
	return err
}

// HeldOutsidePool returns the bytes of memory g holds besides the blocks
// of a [BlockPool], which the pool's budget counts: none for a row group
// a stream left in pooled blocks and a temporary file, the blocks made
// beyond a pool for one left in memory, else [EncodedRowGroup.Size].
func (g *EncodedRowGroup) HeldOutsidePool() int64 {
	if g.pages == nil {
		return g.held
	}
	var n int64
	for _, b := range g.pages.spool.blocks {
		if !b.pooled {
			n += int64(cap(b.b))
		}
	}
	return n
}
