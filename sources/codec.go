package sources

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"
	_ "unsafe" // go:linkname, for parquetCodecs

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/snappy"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/format"
)

// Page decompression.
//
// The Parquet decoder (parquet-go) decompresses a page into a buffer of
// the size its header declares, but its codecs grow that buffer for as
// long as the compressed stream goes on: a few kilobytes of zstd can ask
// for gigabytes, an allocation the Go runtime does not survive. The
// decoder offers no hook for codecs: it looks them up in an unexported
// table indexed by codec number. Importing this package replaces the
// table's entries with the codecs below, which decode into at most the
// declared size and fail when the stream holds more; they encode exactly
// as the codecs they replace, so written files do not change. The same
// table serves both read paths (ReadRowGroup and ReadBatch), and it also
// gains LZ4 (codec 5, deprecated), which the decoder lacks. Each codec
// writes into the page's buffer itself: the decoder keeps that buffer
// whenever the result has the declared length, wherever the result is
// (the cause of its LZ4_RAW misreads, codec_lz4.go).
//
// The table is the process's: every parquet-go reader of a program that
// imports this package decodes with these codecs. They take the length
// of the buffer they are given as the limit, so a caller passing nil
// (parquet-go's bloom filter reader) gets an error.
//
// The table is reached with go:linkname. installCodecs checks, before it
// writes anything, that the table holds exactly the codecs of the
// parquet-go version this was written against (v0.32.0), and a test pins
// that the replacement took effect: a parquet-go upgrade that changes the
// table makes every compressed input refused (codecErr) and that test
// fail, never memory written out of bounds.

//go:linkname parquetCodecs github.com/parquet-go/parquet-go.compressionCodecs
var parquetCodecs [format.Lz4Raw + 1]compress.Codec

// codecErr is why the capped codecs could not be installed, or nil.
var codecErr = installCodecs()

// errInflated reports page data that decompresses to more bytes than the
// page's header declares.
var errInflated = errors.New("data inflates past the page's declared size")

// inflatedError is errInflated for one codec and declared size.
func inflatedError(codec string, declared int) error {
	return fmt.Errorf("%s %w of %d bytes", codec, errInflated, declared)
}

// installCodecs replaces parquet-go's codecs by capped ones, after
// checking that the table is the one it expects.
func installCodecs() error {
	// The table of parquet-go v0.32.0, compress.go.
	want := [len(parquetCodecs)]compress.Codec{
		format.Uncompressed: &parquet.Uncompressed,
		format.Snappy:       &parquet.Snappy,
		format.Gzip:         &parquet.Gzip,
		format.Brotli:       &parquet.Brotli,
		format.Zstd:         &parquet.Zstd,
		format.Lz4Raw:       &parquet.Lz4Raw,
	}
	// Through the public lookup first, which knows the table's real
	// length: LZ4_RAW, the last entry, being found proves that the table
	// is at least as long as parquetCodecs.
	for i, c := range want {
		got := parquet.LookupCompressionCodec(format.CompressionCodec(i))
		if c == nil && got.String() != "UNSUPPORTED" || c != nil && got != c {
			return fmt.Errorf("parquet-go's codec %d is %s, not the one splitdata was built for", i, got)
		}
	}
	if parquetCodecs != want {
		return errors.New("parquet-go's codec table is not the one splitdata was built for")
	}
	parquetCodecs[format.Snappy] = &cappedCodec{Codec: &parquet.Snappy, decode: decodeSnappy}
	parquetCodecs[format.Gzip] = &cappedCodec{Codec: &parquet.Gzip, decode: gzipPool.decode}
	parquetCodecs[format.Brotli] = &cappedCodec{Codec: &parquet.Brotli, decode: brotliPool.decode}
	parquetCodecs[format.Zstd] = &cappedCodec{Codec: &parquet.Zstd, decode: decodeZstd}
	parquetCodecs[format.Lz4Raw] = &cappedCodec{Codec: &parquet.Lz4Raw, decode: decodeLZ4Raw}
	parquetCodecs[format.Lz4] = &cappedCodec{Codec: lz4Hadoop{}, decode: decodeLZ4}
	return nil
}

// checkCodec refuses column chunk c of row group rg when its codec cannot
// be decoded: one with no decoder (LZO, unknown numbers), any compressed
// chunk when the capped codecs are not installed, and a chunk whose codec
// differs from the column's chunk in row group 0, since the decoder
// decompresses every chunk of a column with the first chunk's codec.
func (p *Parquet) checkCodec(rg, c int, codec format.CompressionCodec) error {
	fail := func(err error) error {
		return &InputError{Path: p.name, RowGroup: rg, Column: p.layout[c].Path, Err: fmt.Errorf("%w: %w", ErrUnsupported, err)}
	}
	if first := p.file.Metadata().RowGroups[0].Columns[c].MetaData.Codec; codec != first {
		return fail(fmt.Errorf("column chunk compressed with %s where row group 0 uses %s (the Parquet decoder in use applies one codec per column)", codec, first))
	}
	switch {
	case codec == format.Uncompressed:
		return nil
	case codec < 0 || int(codec) >= len(parquetCodecs) || parquetCodecs[codec] == nil:
		return fail(fmt.Errorf("%s compression", codec))
	case codecErr != nil:
		return fail(fmt.Errorf("%s compression: no size-capped decoder: %w", codec, codecErr))
	}
	return nil
}

// cappedCodec is a parquet-go codec that encodes as Codec and decodes
// with decode, into at most the declared size.
type cappedCodec struct {
	compress.Codec // name, format number and encoder
	// decode decompresses src into dst and returns how many bytes it
	// wrote, or an error if src holds more than len(dst) (errInflated
	// where the codec can tell that from corruption: not LZ4's).
	decode func(dst, src []byte) (int, error)
}

// Decode decompresses src into dst, whose length is the page's declared
// uncompressed size (the decoder passes a buffer of that length), and
// fails if src holds more. Less is returned as it is: a data page v2
// declares its levels, which are not compressed, in the same size. A nil
// dst has room for nothing, so parquet-go's bloom filter reader, which
// passes nil, gets an error (splitdata skips bloom filters).
func (c *cappedCodec) Decode(dst, src []byte) ([]byte, error) {
	if len(src) == 0 {
		return dst[:0], nil // no stream, nothing to inflate
	}
	n, err := c.decode(dst[:len(dst):len(dst)], src)
	if err != nil {
		if errors.Is(err, errInflated) {
			return dst[:0], err
		}
		return dst[:0], fmt.Errorf("%s: %w", c.Codec, err)
	}
	return dst[:n], nil
}

// decodeSnappy decodes a snappy block, whose header gives its decoded
// length: checked before anything is decoded.
func decodeSnappy(dst, src []byte) (int, error) {
	n, err := snappy.DecodedLen(src)
	if err != nil {
		return 0, err
	}
	if n > len(dst) {
		return 0, inflatedError("SNAPPY", len(dst))
	}
	out, err := snappy.Decode(dst[:n], src)
	return len(out), err
}

// zstdDecoders decode with DecodeAll, which WithDecodeAllCapLimit stops at
// cap(dst) (after at most one block more, 128 KiB). A decoder does one
// DecodeAll at a time with concurrency 1: each goroutine takes its own.
var zstdDecoders = sync.Pool{New: func() any {
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(1),
		zstd.WithDecodeAllCapLimit(true),
		zstd.WithDecoderMaxMemory(MaxPageBytes))
	if err != nil {
		panic(err) // constant options: a bug
	}
	return d
}}

func decodeZstd(dst, src []byte) (int, error) {
	d := zstdDecoders.Get().(*zstd.Decoder)
	defer zstdDecoders.Put(d)
	out, err := d.DecodeAll(src, dst[:0])
	if errors.Is(err, zstd.ErrDecoderSizeExceeded) {
		return 0, inflatedError("ZSTD", len(dst))
	}
	if err == nil && len(out) > 0 && (len(dst) == 0 || &out[0] != &dst[0]) {
		// Cannot happen within the cap; the bytes must be in dst.
		return 0, errors.New("decoded outside the page's buffer")
	}
	return len(out), err
}

// streamPool holds decompressing readers of one kind, for the codecs
// that have no header giving their decoded size (gzip, brotli): their
// output is read up to the limit, then one byte more must not come.
type streamPool struct {
	name  string
	pool  sync.Pool
	reset func(s *stream) error // points s.r at s.src
}

// stream is a decompressing reader and the compressed page it reads.
type stream struct {
	src bytes.Reader
	r   io.Reader
}

var (
	gzipPool = &streamPool{name: "GZIP", reset: func(s *stream) error {
		if z, ok := s.r.(*gzip.Reader); ok {
			return z.Reset(&s.src)
		}
		z, err := gzip.NewReader(&s.src)
		if err == nil {
			s.r = z
		}
		return err
	}}
	brotliPool = &streamPool{name: "BROTLI", reset: func(s *stream) error {
		if b, ok := s.r.(*brotli.Reader); ok {
			return b.Reset(&s.src)
		}
		s.r = brotli.NewReader(&s.src)
		return nil
	}}
)

// decode reads the stream src into dst. Only a reader that read its
// stream to the end goes back to the pool: brotli's Reset keeps the input
// a reader had buffered but not decoded (andybalholm/brotli v1.2.3), which
// the next stream would start with.
func (p *streamPool) decode(dst, src []byte) (n int, err error) {
	s, _ := p.pool.Get().(*stream)
	if s == nil {
		s = new(stream)
	}
	s.src.Reset(src)
	defer func() {
		if err == nil {
			s.src.Reset(nil) // keep no page alive from the pool
			p.pool.Put(s)
		}
	}()
	if err := p.reset(s); err != nil {
		return 0, err
	}
	n, err = readUpTo(s.r, dst)
	if err != nil || n < len(dst) {
		return n, err
	}
	var probe [1]byte
	switch k, err := readUpTo(s.r, probe[:]); {
	case err != nil:
		return 0, err
	case k > 0:
		return 0, inflatedError(p.name, len(dst))
	}
	return n, nil
}

// readUpTo reads from r into buf until buf is full or r ends, and returns
// how much it read; the end of r is not an error.
func readUpTo(r io.Reader, buf []byte) (int, error) {
	n, idle := 0, 0
	for n < len(buf) {
		k, err := r.Read(buf[n:])
		n += k
		switch {
		case err == io.EOF:
			return n, nil
		case err != nil:
			return n, err
		case k > 0:
			idle = 0
		default:
			if idle++; idle > 100 {
				return n, io.ErrNoProgress
			}
		}
	}
	return n, nil
}
