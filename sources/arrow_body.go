package sources

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// MaxArrowBatchBytes is the most bytes the compressed buffers of one Arrow
// record batch (or dictionary batch) may declare once decompressed, in
// total. The decoder allocates each buffer at its declared size before it
// decompresses it, so a batch is refused before that when its declared
// sizes exceed this, or exceed what its compressed bytes can possibly
// decode to. Uncompressed buffers are bounded by the file's size instead.
const MaxArrowBatchBytes = 1 << 30

// maxArrowDecoded is MaxArrowBatchBytes, lowered by the fuzz tests to fit
// their address-space limit.
var maxArrowDecoded int64 = MaxArrowBatchBytes

// Body compression codecs (the CompressionType enum of Message.fbs).
const (
	codecLZ4Frame = 0
	codecZSTD     = 1
)

// zstdMinWindow is the largest window a zstd frame may ask for whatever
// the buffer's declared size: the window of the highest non-ultra levels.
// A frame may ask for more only if the buffer declares at least half that
// (a compressor told the size rounds the window up to a power of two).
// The decoder allocates twice the window.
const zstdMinWindow = 8 << 20

// checkBody checks the buffers of the record batch or dictionary batch
// whose message flatbuffer is meta and whose body lies at [off, off+n) of
// the input, before arrow-go decodes it: every buffer must lie inside the
// body and, in a compressed batch, the uncompressed size prefixing each
// buffer must be one its compressed bytes can produce, within
// [MaxArrowBatchBytes] for the whole batch. arrow-go allocates each
// buffer at that size before decompressing, and its zstd decoder sizes
// its window from the frame header, so neither may come from the file
// unchecked.
func (a *Arrow) checkBody(meta []byte, off, n int64) error {
	rb, views, err := a.batchTable(meta)
	if err != nil {
		return err
	}
	if p, err := rb.field(4, 4); err != nil {
		return fmt.Errorf("variadic buffer counts: %w", err)
	} else if p >= 0 {
		// An absent vector reads as zeros; a present one must hold a
		// count for every view column.
		if _, counts, err := rb.vector(4, 8); err != nil {
			return fmt.Errorf("variadic buffer counts: %w", err)
		} else if counts < views {
			return fmt.Errorf("%d variadic buffer counts for %d view columns", counts, views)
		}
	}
	start, count, err := rb.vector(2, 16)
	if err != nil {
		return fmt.Errorf("buffers: %w", err)
	}
	codec, err := bodyCodec(rb)
	if err != nil {
		return err
	}
	var total int64
	for k := range count {
		p := rb.buf[start+16*k:]
		boff := int64(binary.LittleEndian.Uint64(p))
		blen := int64(binary.LittleEndian.Uint64(p[8:]))
		if boff < 0 || blen < 0 || boff > n || blen > n-boff {
			return fmt.Errorf("buffer %d [%d, +%d) lies outside the body of %d bytes", k, boff, blen, n)
		}
		if codec < 0 || blen == 0 {
			continue
		}
		if blen < 8 {
			return fmt.Errorf("compressed buffer %d of %d bytes has no length prefix", k, blen)
		}
		var pre [8]byte
		if _, err := a.r.ReadAt(pre[:], off+boff); err != nil {
			return fmt.Errorf("read buffer %d: %w", k, err)
		}
		size := int64(binary.LittleEndian.Uint64(pre[:]))
		if size == -1 || size == 0 {
			continue // stored uncompressed, or nothing to decode
		}
		if size < 0 {
			return fmt.Errorf("compressed buffer %d declares %d bytes", k, size)
		}
		if total += size; total > maxArrowDecoded || total < 0 {
			return fmt.Errorf("compressed buffers declare more than %d bytes once decompressed (the most a record batch may hold)", maxArrowDecoded)
		}
		src := io.NewSectionReader(a.r, off+boff+8, blen-8)
		var most int64
		if codec == codecZSTD {
			most, err = zstdBound(src, size)
		} else {
			most, err = lz4Bound(src)
		}
		if err != nil {
			return fmt.Errorf("compressed buffer %d: %w", k, err)
		}
		if size > most {
			return fmt.Errorf("compressed buffer %d declares %d bytes, but its %d compressed bytes hold at most %d", k, size, blen-8, most)
		}
	}
	return nil
}

// bodyCodec returns the body compression codec of record batch table rb,
// -1 when its body is not compressed.
func bodyCodec(rb fbTable) (int, error) {
	p, err := rb.field(3, 4)
	if err != nil {
		return 0, fmt.Errorf("compression: %w", err)
	}
	if p < 0 {
		return -1, nil
	}
	bc, err := rb.table(3)
	if err != nil {
		return 0, fmt.Errorf("compression: %w", err)
	}
	c, err := bc.uint8(0)
	if err != nil {
		return 0, fmt.Errorf("compression: %w", err)
	}
	if c != codecLZ4Frame && c != codecZSTD {
		return 0, fmt.Errorf("%w: body compression codec %d", ErrUnsupported, c)
	}
	return int(c), nil
}

// batchTable returns the RecordBatch table of a record batch message or
// the one inside a dictionary batch message, and the number of view
// columns it holds.
func (a *Arrow) batchTable(meta []byte) (fbTable, int, error) {
	msg, err := fbRoot(meta)
	if err != nil {
		return fbTable{}, 0, err
	}
	kind, err := msg.uint8(1)
	if err != nil {
		return fbTable{}, 0, err
	}
	t, err := msg.table(2)
	if err != nil {
		return fbTable{}, 0, err
	}
	switch kind {
	case msgRecordBatch:
		return t, a.views.record, nil
	case msgDictionaryBatch:
		id, err := t.int64(0)
		if err != nil {
			return fbTable{}, 0, err
		}
		rb, err := t.table(1)
		return rb, a.views.dicts[id], err
	}
	return fbTable{}, 0, fmt.Errorf("message of type %d has no body to check", kind)
}

// lz4MaxRatio bounds what an LZ4 block decodes to per byte: a match
// length grows by at most 255 per byte of its encoding.
const lz4MaxRatio = 255

// lz4Bound returns the most bytes the LZ4 frame data in r can decode to.
// The block size the frame header states bounds the decoder's buffers, so
// only the declared size needs this bound.
func lz4Bound(r *io.SectionReader) (int64, error) {
	n := r.Size()
	return n*lz4MaxRatio + 64<<10, nil
}

// zstd frame constants (RFC 8878).
const (
	zstdMagic         = 0xFD2FB528
	zstdSkippableMask = 0xFFFFFFF0
	zstdSkippable     = 0x184D2A50
	zstdMaxBlock      = 128 << 10
)

// zstdBound walks the zstd frames in r without decompressing them and
// returns the most bytes they can decode to: the sum of their blocks'
// sizes (raw and RLE blocks state theirs; a compressed block holds at
// most 128 KiB). It refuses a frame whose window the decoder could not
// allocate for a buffer of declared bytes, and a frame whose stated
// content size exceeds declared.
func zstdBound(r *io.SectionReader, declared int64) (int64, error) {
	br := &cursor{r: r, end: r.Size()}
	var total int64
	for frame := 0; ; frame++ {
		if frame > 0 && br.off == br.end {
			return total, nil
		}
		var hdr [4]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return 0, fmt.Errorf("zstd frame %d: %w", frame, eofIsCorrupt(err))
		}
		magic := binary.LittleEndian.Uint32(hdr[:])
		if magic&zstdSkippableMask == zstdSkippable {
			if _, err := io.ReadFull(br, hdr[:]); err != nil {
				return 0, fmt.Errorf("zstd frame %d: %w", frame, eofIsCorrupt(err))
			}
			if _, err := br.Discard(int(binary.LittleEndian.Uint32(hdr[:]))); err != nil {
				return 0, fmt.Errorf("zstd frame %d: %w", frame, eofIsCorrupt(err))
			}
			continue
		}
		if magic != zstdMagic {
			return 0, fmt.Errorf("zstd frame %d: bad magic %#x", frame, magic)
		}
		n, err := zstdFrame(br, declared)
		if err != nil {
			return 0, fmt.Errorf("zstd frame %d: %w", frame, err)
		}
		total += n
	}
}

// zstdFrame reads one frame after its magic and returns the most bytes it
// can decode to.
func zstdFrame(br *cursor, declared int64) (int64, error) {
	fhd, err := br.ReadByte()
	if err != nil {
		return 0, eofIsCorrupt(err)
	}
	fcsFlag := fhd >> 6
	single := fhd&0x20 != 0
	checksum := fhd&0x04 != 0
	if fhd&0x08 != 0 {
		return 0, errors.New("reserved bit set in the frame header")
	}
	didSize := [4]int{0, 1, 2, 4}[fhd&3]
	fcsSize := [4]int{0, 2, 4, 8}[fcsFlag]
	if fcsFlag == 0 && single {
		fcsSize = 1
	}
	var window uint64
	if !single {
		wd, err := br.ReadByte()
		if err != nil {
			return 0, eofIsCorrupt(err)
		}
		exp := uint(wd >> 3)
		base := uint64(1) << (10 + exp)
		window = base + base/8*uint64(wd&7)
	}
	var buf [12]byte
	if _, err := io.ReadFull(br, buf[:didSize+fcsSize]); err != nil {
		return 0, eofIsCorrupt(err)
	}
	if didSize > 0 {
		return 0, fmt.Errorf("%w: zstd frame needs a dictionary", ErrUnsupported)
	}
	if fcsSize > 0 {
		var fcs uint64
		for i := fcsSize - 1; i >= 0; i-- {
			fcs = fcs<<8 | uint64(buf[i])
		}
		if fcsSize == 2 {
			fcs += 256
		}
		if fcs > uint64(declared) {
			return 0, fmt.Errorf("frame content size %d exceeds the buffer's %d bytes", fcs, declared)
		}
		if single {
			window = fcs
		}
	}
	if window > zstdMinWindow && window > 2*uint64(declared) {
		return 0, fmt.Errorf("window of %d bytes for a buffer of %d", window, declared)
	}
	var total int64
	for {
		var bh [3]byte
		if _, err := io.ReadFull(br, bh[:]); err != nil {
			return 0, eofIsCorrupt(err)
		}
		v := uint32(bh[0]) | uint32(bh[1])<<8 | uint32(bh[2])<<16
		last := v&1 != 0
		size := int64(v >> 3)
		switch (v >> 1) & 3 {
		case 0: // raw
			total += size
			_, err = br.Discard(int(size))
		case 1: // RLE: one byte repeated size times
			total += size
			_, err = br.Discard(1)
		case 2: // compressed
			total += zstdMaxBlock
			_, err = br.Discard(int(size))
		default:
			return 0, errors.New("reserved block type")
		}
		if err != nil {
			return 0, eofIsCorrupt(err)
		}
		if last {
			break
		}
	}
	if checksum {
		if _, err := br.Discard(4); err != nil {
			return 0, eofIsCorrupt(err)
		}
	}
	return total, nil
}

// cursor reads a range of an io.ReaderAt from its start, and skips
// without reading.
type cursor struct {
	r        io.ReaderAt
	off, end int64
}

func (c *cursor) Read(p []byte) (int, error) {
	if c.off >= c.end {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), c.end-c.off)]
	n, err := c.r.ReadAt(p, c.off)
	c.off += int64(n)
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// ReadByte reads one byte.
func (c *cursor) ReadByte() (byte, error) {
	var b [1]byte
	if _, err := io.ReadFull(c, b[:]); err != nil {
		return 0, err
	}
	return b[0], nil
}

// Discard skips n bytes, io.ErrUnexpectedEOF if fewer remain.
func (c *cursor) Discard(n int) (int, error) {
	if int64(n) > c.end-c.off {
		c.off = c.end
		return 0, io.ErrUnexpectedEOF
	}
	c.off += int64(n)
	return n, nil
}

// eofIsCorrupt turns an end of data inside a structure into
// io.ErrUnexpectedEOF.
func eofIsCorrupt(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
