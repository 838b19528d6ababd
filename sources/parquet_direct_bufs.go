package sources

import (
	"fmt"
	"io"
	"sync"

	"github.com/parquet-go/parquet-go/format"
)

// The page buffers of direct decoding (parquet_direct.go), kept between
// column chunks in a pool of their own.

// pageBuffers are the buffers of one goroutine decoding pages: a page's
// compressed bytes, its decompressed bytes, its definition levels and
// its dictionary indexes.
type pageBuffers struct {
	header, comp, plain, defs, pad []byte
	indexes                        []int32 // dictionary indexes, levels, or delta-decoded lengths and INT32s
	// For delta encodings (parquet_delta.go): byte array offsets, prefix
	// lengths, INT64s, values made whole, fixed-width values.
	offsets       []uint32
	prefixes      []int32
	wide          []int64
	expand, fixed []byte
	// A small span of the file read whole (directSpan): its pages'
	// headers and bodies are taken from it.
	span directSpan
}

// size returns the bytes b holds.
func (b *pageBuffers) size() int {
	return cap(b.comp) + cap(b.span.b) + cap(b.plain) + cap(b.defs) + 4*cap(b.indexes) +
		4*cap(b.offsets) + 4*cap(b.prefixes) + 8*cap(b.wide) + cap(b.expand) + cap(b.fixed)
}

// Page buffer pool bounds: at most maxPooledPageBuffers sets, each dropped
// when it holds more than maxPooledPageBytes (a page of the usual 1 MiB
// or a few, not one of the rare huge pages up to MaxPageBytes).
const (
	maxPooledPageBuffers = 8
	maxPooledPageBytes   = 16 << 20
)

// pageBufferPool keeps page buffers for the next chunks decoded. Its
// methods may be called from several goroutines at once.
var pageBufferPool struct {
	mu   sync.Mutex
	free []*pageBuffers
}

// getPageBuffers returns a set of page buffers, kept or new.
func getPageBuffers() *pageBuffers {
	pageBufferPool.mu.Lock()
	defer pageBufferPool.mu.Unlock()
	n := len(pageBufferPool.free)
	if n == 0 {
		return new(pageBuffers)
	}
	b := pageBufferPool.free[n-1]
	pageBufferPool.free[n-1] = nil
	pageBufferPool.free = pageBufferPool.free[:n-1]
	return b
}

// putPageBuffers keeps b for later, unless the pool is full or b too
// large.
func putPageBuffers(b *pageBuffers) {
	if b == nil || b.size() > maxPooledPageBytes {
		return
	}
	pageBufferPool.mu.Lock()
	defer pageBufferPool.mu.Unlock()
	if len(pageBufferPool.free) < maxPooledPageBuffers {
		pageBufferPool.free = append(pageBufferPool.free, b)
	}
}

// sized returns b with length n, its own memory if it has room. A buffer
// that falls short is replaced by one an eighth larger than n: the pages
// of a column differ by a few bytes from one row group to the next, and
// pooled buffers grown to each page's exact size were replaced time and
// again (50 MB of fresh memory per split of benchmarks/peers.sh's mixed
// shape, a page per column chunk).
func sized[T any](b []T, n int) []T {
	if cap(b) >= n {
		return b[:n]
	}
	if cap(b) == 0 {
		return make([]T, n)
	}
	return make([]T, n, n+n/8)
}

// directSpanBytes is the largest span of a column chunk read whole
// before its pages are decoded. A small chunk (the 7 columns of a 450 KB
// file of many small inputs) is then read in one call, instead of two
// per page (a window for its header, then its body); a larger one is read
// page by page, as the bytes read are the same and the buffer would be
// larger than a page. A variable for tests, which read page by page.
var directSpanBytes int64 = 1 << 20

// directSpan holds the bytes [off, off+len(b)) of a file, or none.
type directSpan struct {
	b   []byte
	off int64
}

// fill reads the n bytes at off of r into s, if n is at most
// directSpanBytes, and empties s otherwise or when the read falls short
// (the pages are then read one by one, which report the error).
func (s *directSpan) fill(r io.ReaderAt, off, n int64) {
	s.b = s.b[:0]
	if n <= 0 || n > directSpanBytes {
		return
	}
	s.b = sized(s.b, int(n))
	if k, _ := r.ReadAt(s.b, off); k < len(s.b) {
		s.b = s.b[:0]
		return
	}
	s.off = off
}

// holds reports whether s holds the bytes [off, end).
func (s *directSpan) holds(off, end int64) bool {
	return len(s.b) > 0 && off >= s.off && off <= end && end <= s.off+int64(len(s.b))
}

// source returns s, and true, if it holds the bytes [off, end), and r
// and false otherwise.
func (s *directSpan) source(r io.ReaderAt, off, end int64) (io.ReaderAt, bool) {
	if s.holds(off, end) {
		return s, true
	}
	return r, false
}

// slice returns the n bytes at off, which s holds.
func (s *directSpan) slice(off int64, n int) []byte {
	i := off - s.off
	return s.b[i : i+int64(n) : i+int64(n)]
}

// ReadAt reads the bytes at off that s holds, as a file would up to the
// end of the span (io.EOF past it).
func (s *directSpan) ReadAt(p []byte, off int64) (int, error) {
	if off < s.off || off >= s.off+int64(len(s.b)) {
		return 0, io.EOF
	}
	n := copy(p, s.b[off-s.off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// decompress returns body decompressed by codec into bufs.plain, which
// must give exactly size bytes, or body itself when it is not compressed.
// The codec is given a slice of size bytes and no more capacity: zstd's
// cap limit is the capacity, and a pooled buffer's may exceed size.
func decompress(codec format.CompressionCodec, body []byte, size int, bufs *pageBuffers) ([]byte, error) {
	if codec == format.Uncompressed {
		return body, nil
	}
	dst := sized(bufs.plain, size)
	bufs.plain = dst
	if len(body) == 0 {
		return dst[:0], nil
	}
	n, err := parquetCodecs[codec].(*cappedCodec).decode(dst[:size:size], body)
	if err != nil {
		return nil, err
	}
	if n != size {
		return nil, fmt.Errorf("%s data decompresses to %d bytes, the page declares %d", codec, n, size)
	}
	return dst[:n], nil
}

// readSpan reads span sp of column chunk c, of metadata m, from src into
// bufs.span if it is small (directSpan.fill) and whole, the span of a
// chunk read whole, and checks the chunk's page headers if they have not been
// (chunkReader.check): from bufs.span when it holds the chunk, from the
// file otherwise. The span of a range is read page by page: a page it
// shares with the range before is taken decompressed from that range's
// reader (parquet_direct_edges.go), not read again.
func (r *chunkReader) readSpan(c int, src io.ReaderAt, sp span, whole bool, m *format.ColumnMetaData, bufs *pageBuffers) error {
	bufs.span.b = bufs.span.b[:0]
	if _, windowed := src.(*window); whole && !windowed {
		// A window holds the span's bytes already: its pages are
		// taken from there (window.bytes).
		bufs.span.fill(src, sp.off, sp.n)
	}
	if !r.unchecked {
		return nil
	}
	// Only a chunk of the input's reader is unchecked (readBatch).
	var check io.ReaderAt = r.p.r
	if start, end, _, ok := r.p.chunkBytes(m); ok && bufs.span.holds(start, end) {
		check = &bufs.span
	}
	if err := r.p.checkColumnPages(check, r.rg, c); err != nil {
		return err
	}
	r.unchecked = false
	return nil
}
