package sources

import (
	"io"

	"github.com/parquet-go/parquet-go"
)

// Reads from remote storage. A local file answers the decoder's many small
// reads (a page header, then its page, column after column) from the page
// cache; an object in a bucket pays a round trip for each, and a block
// cache in front of it cannot tell which of several interleaved readers a
// block is still needed by. A Parquet input over a [Fetcher] therefore
// reads a unit column by column as the columnar decoder consumes it: the
// bytes of the column's part of the unit (its dictionary and the data
// pages holding the unit's rows) are fetched in windows of at most
// [FetchWindow] bytes, each by requests of its own made at once, and the
// unit's page headers are checked and its pages decoded from that window.
// The next column's window is fetched while a column decodes. A column's
// bytes are thus fetched once per unit, however the workers interleave,
// and a worker holds at most two columns' windows.

// Fetcher is implemented by an io.ReaderAt for which each read is a
// request over the network, such as an object in a bucket
// (storage.Object). [OpenParquet] over a Fetcher reads column chunks
// through FetchAt, in windows, instead of through ReadAt.
type Fetcher interface {
	io.ReaderAt
	// FetchAt reads len(p) bytes at off (fewer, with io.EOF, at the
	// end) by requests of its own, bypassing any read-ahead or cache:
	// the caller asks for the bytes it will use, coalesced.
	FetchAt(p []byte, off int64) (int, error)
}

// FetchWindow is the most bytes of a column chunk's span (its dictionary,
// or the data pages a unit reads) a Parquet input over a [Fetcher] holds
// at once (see [Fetcher]): beyond the decoded rows, the memory of a
// unit's read from a bucket is two columns' windows of at most two spans.
const FetchWindow = 8 << 20

// fetchWindow is FetchWindow, but for tests.
var fetchWindow int64 = FetchWindow

// span is n bytes of the file from off.
type span struct{ off, n int64 }

// window reads the bytes of spans of a file through a Fetcher. A read in a
// span is served from the span's buffer, which is refilled from where the
// read falls with at most limit bytes, never past the span's end, when it
// does not hold the read: the bytes it holds from there on are kept, and
// only those after fetched. A read outside the spans, or of limit bytes
// or more, is fetched on its own. The decoder's reads of a column chunk
// move forward, so each byte of the spans is fetched once (a page
// header's read running past the buffer does not drop the start of the
// page's body), and a window holds at most limit bytes per span.
type window struct {
	f       Fetcher
	limit   int64
	spans   []span
	bufs    []windowBuf   // one per span
	started bool          // prefetch was called
	pending chan struct{} // closed when the prefetch is done; nil then
}

// windowBuf is the bytes of the file from off held for a span.
type windowBuf struct {
	off  int64
	data []byte
}

// holds reports whether b holds the n bytes at off.
func (b *windowBuf) holds(off, n int64) bool {
	return off >= b.off && off+n <= b.off+int64(len(b.data))
}

func newWindow(f Fetcher, limit int64, spans ...span) *window {
	return &window{f: f, spans: spans, limit: limit, bufs: make([]windowBuf, len(spans))}
}

// prefetch fills the buffer of each span from its start in the
// background, once; the reads wait for it. A failed fetch leaves the
// buffer short, and the read that needs the rest fetches it again and
// reports the error.
func (w *window) prefetch() {
	if w.started {
		return
	}
	w.started = true
	done := make(chan struct{})
	w.pending = done
	go func() {
		defer close(done)
		for s, sp := range w.spans {
			if sp.n > 0 {
				_ = w.fill(s, sp.off)
			}
		}
	}()
}

// ReadAt reads len(p) bytes at file offset off.
func (w *window) ReadAt(p []byte, off int64) (int, error) {
	if w.pending != nil {
		<-w.pending
		w.pending = nil
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		s := w.spanOf(at)
		if s < 0 || int64(len(p)-n) >= w.limit {
			k, err := w.f.FetchAt(p[n:], at)
			return n + k, err
		}
		b := &w.bufs[s]
		if !b.holds(at, min(int64(len(p)-n), w.spans[s].off+w.spans[s].n-at)) {
			if err := w.fill(s, at); err != nil {
				return n, err
			}
		}
		n += copy(p[n:], b.data[at-b.off:])
	}
	return n, nil
}

// bytes returns the n bytes at off from the buffer of the span holding
// them, without copying them: valid until w is read again. A buffer not
// holding them is refilled from off first, as ReadAt would; ok is false
// when the bytes lie outside one span or are limit bytes or more (ReadAt
// fetches them on their own).
func (w *window) bytes(off int64, n int) (b []byte, ok bool) {
	if w.pending != nil {
		<-w.pending
		w.pending = nil
	}
	s := w.spanOf(off)
	end := off + int64(n)
	if s < 0 || int64(n) >= w.limit || end > w.spans[s].off+w.spans[s].n {
		return nil, false
	}
	buf := &w.bufs[s]
	if !buf.holds(off, int64(n)) {
		if err := w.fill(s, off); err != nil || !buf.holds(off, int64(n)) {
			return nil, false // ReadAt fetches them again and reports it
		}
	}
	i, j := off-buf.off, end-buf.off
	return buf.data[i:j:j], true
}

// fill makes span s's buffer hold its bytes from off, as many as limit
// allows: those it holds from off on are moved to its start, and the rest
// fetched.
func (w *window) fill(s int, off int64) error {
	b := &w.bufs[s]
	size := min(w.spans[s].off+w.spans[s].n-off, w.limit)
	var held []byte
	if off >= b.off && off < b.off+int64(len(b.data)) {
		held = b.data[off-b.off:]
	}
	data := b.data[:cap(b.data)]
	if int64(cap(data)) < size {
		data = make([]byte, size)
	}
	kept := copy(data, held) // held overlaps data's tail: copy moves it
	if int64(kept) >= size {
		b.off, b.data = off, data[:size]
		return nil
	}
	k, err := w.f.FetchAt(data[kept:size], off+int64(kept))
	b.off, b.data = off, data[:kept+k]
	switch {
	case k == 0 && err == nil:
		return io.ErrUnexpectedEOF
	case k == 0 || (err != nil && err != io.EOF):
		return err
	}
	return nil
}

// spanOf returns the index of the span holding off, or -1.
func (w *window) spanOf(off int64) int {
	for i, s := range w.spans {
		if off >= s.off && off < s.off+s.n {
			return i
		}
	}
	return -1
}

// checker returns the reader the page headers of w's spans are checked
// through before their pages are decoded: w itself when each span fits in
// its buffer, so that the decoder then reads the bytes the check fetched;
// else a windowPeek, so that the check does not fetch the whole spans
// that the decoder fetches again: the headers in the buffers (filled
// from the spans' starts by prefetch, which the decoder reads first) are
// read from there, the others by a request each.
func (w *window) checker() io.ReaderAt {
	for _, s := range w.spans {
		if s.n > w.limit {
			return windowPeek{w}
		}
	}
	return w
}

// windowPeek reads the bytes a window's buffers hold from them, and others
// through the window's Fetcher by a request of their own, leaving the
// buffers as they are.
type windowPeek struct{ w *window }

func (r windowPeek) ReadAt(p []byte, off int64) (int, error) {
	w := r.w
	if w.pending != nil {
		<-w.pending
		w.pending = nil
	}
	if s := w.spanOf(off); s >= 0 {
		b := &w.bufs[s]
		if off >= b.off && off+int64(len(p)) <= b.off+int64(len(b.data)) {
			return copy(p, b.data[off-b.off:]), nil
		}
	}
	return w.f.FetchAt(p, off)
}

// fetchChunk is a whole column chunk read over a Fetcher: through a
// window, when it has one, rather than the file's reader. prepare checks
// its page headers before it is decoded.
type fetchChunk struct {
	parquet.ColumnChunk
	file  *parquet.FileColumnChunk
	w     *window // nil: read from the file
	check func() error
}

// Pages returns the chunk's pages, read through the chunk's window.
func (c *fetchChunk) Pages() parquet.Pages {
	if c.w == nil {
		return c.ColumnChunk.Pages()
	}
	return c.file.PagesFrom(c.w)
}

// prepare checks the headers of the chunk's pages, once.
func (c *fetchChunk) prepare() error {
	if c.check == nil {
		return nil
	}
	check := c.check
	c.check = nil
	return check()
}

// chunkWindow returns the window column c of row group rg is read through
// when p's reader is a Fetcher, and whether it is: its chunk must lie
// inside the file (as checkChunkPages checks) and not be encrypted.
func (p *Parquet) chunkWindow(rg, c int) (*window, bool) {
	if p.fetch == nil {
		return nil, false
	}
	cc := &p.file.Metadata().RowGroups[rg].Columns[c]
	if cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 {
		return nil, false
	}
	start, end, _, ok := p.chunkBytes(&cc.MetaData)
	if !ok {
		return nil, false // checkChunkPages says what is wrong
	}
	return newWindow(p.fetch, fetchWindow, span{start, end - start}), true
}

// fetchWhole returns column c of row group rg, read whole over a
// Fetcher: through a window, when its chunk has one, with its page headers
// checked through the window when prepared; else from the file, checked
// from the file.
func (p *Parquet) fetchWhole(rg, c int, chunk parquet.ColumnChunk) *fetchChunk {
	fc, isFile := chunk.(*parquet.FileColumnChunk)
	w, ok := p.chunkWindow(rg, c)
	if !ok || !isFile {
		return &fetchChunk{ColumnChunk: chunk, check: func() error { return p.checkColumnPages(p.r, rg, c) }}
	}
	return &fetchChunk{ColumnChunk: chunk, file: fc, w: w, check: func() error { return p.checkColumnPages(w.checker(), rg, c) }}
}

// prefetch starts fetching the beginning of chunk's window in the
// background, if it is read through one: the columnar reader fetches the
// next column's bytes while it decodes a column.
func prefetch(chunk parquet.ColumnChunk) {
	switch c := chunk.(type) {
	case *fetchChunk:
		if c.w != nil {
			c.w.prefetch()
		}
	case *rangeChunk:
		if c.view != nil {
			if w, ok := c.view.r.(*window); ok {
				w.prefetch()
			}
		}
	}
}

// checkSource returns the reader the pages of chunk are checked through
// before parquet-go reads them (checkDecoderPages), and the spans it reads
// (nil: the whole chunk): its window's checker when it is read through
// one, so that the bytes the check reads are fetched once, else p's
// reader; a range's pages only.
func (p *Parquet) checkSource(chunk parquet.ColumnChunk) (io.ReaderAt, []span) {
	switch c := chunk.(type) {
	case *fetchChunk:
		if c.w != nil {
			return c.w.checker(), nil
		}
	case *rangeChunk:
		if c.view != nil {
			if w, ok := c.view.r.(*window); ok {
				return w.checker(), c.view.spans
			}
			return c.view.r, c.view.spans
		}
	}
	return p.r, nil
}
