package sources

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Decompressing single buffers of a compressed record batch body, for the
// key passes that read some columns of a batch (arrow_columns.go). A
// compressed buffer is its uncompressed size, a little-endian int64, then
// the compressed bytes, or -1 then the bytes as they are. It is
// decompressed as arrow-go decompresses it: exactly the declared size is
// read from an LZ4 frame or zstd reader, and what follows is ignored.
// checkBody bounded the declared sizes (within MaxArrowBatchBytes for the
// batch, and what the compressed bytes can produce) and the zstd windows
// before any of this runs.

// inflater holds the decompressors of one read, made when first needed.
type inflater struct {
	lz4  *lz4.Reader
	zstd *zstd.Decoder
}

// close releases the decompressors.
func (f *inflater) close() {
	if f != nil && f.zstd != nil {
		f.zstd.Close()
	}
}

// reader returns a reader of the data src compressed with codec.
func (f *inflater) reader(codec int, src io.Reader) (io.Reader, error) {
	switch codec {
	case codecLZ4Frame:
		if f.lz4 == nil {
			f.lz4 = lz4.NewReader(src)
		} else {
			f.lz4.Reset(src)
		}
		return f.lz4, nil
	case codecZSTD:
		if f.zstd == nil {
			d, err := zstd.NewReader(src, zstd.WithDecoderConcurrency(1))
			if err != nil {
				return nil, err
			}
			f.zstd = d
		} else if err := f.zstd.Reset(src); err != nil {
			return nil, err
		}
		return f.zstd, nil
	}
	return nil, fmt.Errorf("%w: body compression codec %d", ErrUnsupported, codec)
}

// inflated reads buffer k of a compressed body, at [off, off+size) of the
// body, decompresses it and returns its bytes [lo, hi); the decompressed
// buffer must hold at least need bytes.
func (r *rangeReader) inflated(k int, off, size, lo, hi, need int64) (*memory.Buffer, error) {
	var data []byte
	if size > 0 {
		raw := make([]byte, size) // within the body: checkBody
		if _, err := r.a.r.ReadAt(raw, r.pb.body+off); err != nil {
			return nil, fmt.Errorf("read buffer %d: %w", k, err)
		}
		if size < 8 {
			return nil, fmt.Errorf("compressed buffer %d of %d bytes has no length prefix", k, size)
		}
		n := int64(binary.LittleEndian.Uint64(raw))
		switch {
		case n == -1:
			data = raw[8:]
		case n < 0:
			return nil, fmt.Errorf("compressed buffer %d declares %d bytes", k, n)
		default:
			if r.inf == nil {
				r.inf = new(inflater)
			}
			src, err := r.inf.reader(r.pb.codec, bytes.NewReader(raw[8:]))
			if err != nil {
				return nil, fmt.Errorf("compressed buffer %d: %w", k, err)
			}
			data = make([]byte, n) // bounded by checkBody
			if _, err := io.ReadFull(src, data); err != nil {
				return nil, fmt.Errorf("decompress buffer %d: %w", k, err)
			}
		}
	}
	if n := int64(len(data)); n < need {
		return nil, fmt.Errorf("buffer %d of %d bytes, %d needed", k, n, need)
	} else if lo < 0 || hi < lo || hi > n {
		return nil, fmt.Errorf("bytes [%d, %d) outside buffer %d of %d bytes", lo, hi, k, n)
	}
	return memory.NewBufferBytes(data[lo:hi:hi]), nil
}
