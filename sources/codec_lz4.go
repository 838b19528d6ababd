package sources

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/parquet-go/parquet-go/format"
	"github.com/pierrec/lz4/v4"
)

// LZ4 comes in two Parquet codecs. LZ4_RAW (codec 7) is one LZ4 block
// per page. LZ4 (codec 5, deprecated) was never specified beyond "LZ4"
// and writers disagree: parquet-mr frames the data as Hadoop's
// BlockCompressorStream does, a sequence of blocks each preceded by its
// decoded and its encoded length (4 bytes each, big-endian), and early
// parquet-cpp wrote one bare LZ4 block. Like Arrow C++, a page of codec 5
// is read as Hadoop blocks when they account for every byte and decode to
// the lengths they declare, and as one bare block otherwise.
//
// parquet-go v0.32's own LZ4_RAW decoder returns the right bytes in a new
// buffer when the page's buffer is under three times the compressed size,
// and the decoder keeps its old buffer whenever the result has the
// declared length: such pages decode into stale bytes (parquet-go issue
// 608). Decoding into the page's buffer, as below, cannot do that.

// lz4Hadoop names codec 5 to the decoder; its data is decoded by
// decodeLZ4. Nothing writes it.
type lz4Hadoop struct{}

func (lz4Hadoop) String() string                            { return "LZ4" }
func (lz4Hadoop) CompressionCodec() format.CompressionCodec { return format.Lz4 }

func (lz4Hadoop) Encode(dst, _ []byte) ([]byte, error) {
	return dst[:0], errors.New("the deprecated LZ4 codec is not written (LZ4_RAW is)")
}

func (lz4Hadoop) Decode(dst, _ []byte) ([]byte, error) {
	return dst[:0], errors.New("LZ4 is decoded by the capped codec")
}

// decodeLZ4Raw decodes src, one LZ4 block, into dst.
func decodeLZ4Raw(dst, src []byte) (int, error) {
	n, err := uncompressBlock(src, dst)
	if err != nil {
		return 0, fmt.Errorf("corrupt LZ4 block, or one inflating past the page's declared size of %d bytes", len(dst))
	}
	return n, nil
}

// decodeLZ4 decodes src, the data of a page of codec 5, into dst: as
// Hadoop-framed blocks, or else as one bare block.
func decodeLZ4(dst, src []byte) (int, error) {
	if n, ok := decodeHadoop(dst, src); ok {
		return n, nil
	}
	n, err := uncompressBlock(src, dst)
	if err != nil {
		return 0, fmt.Errorf("neither Hadoop-framed LZ4 blocks nor one LZ4 block, decoding to at most the page's declared %d bytes", len(dst))
	}
	return n, nil
}

// decodeHadoop decodes the Hadoop-framed blocks of src into dst and
// returns their length, or false unless the blocks account for all of
// src and each decodes to the length it declares, within dst.
func decodeHadoop(dst, src []byte) (int, bool) {
	n := 0
	for len(src) > 0 {
		if len(src) < 8 {
			return 0, false
		}
		size := int64(binary.BigEndian.Uint32(src))
		end := 8 + int64(binary.BigEndian.Uint32(src[4:]))
		if end > int64(len(src)) || size > int64(len(dst)-n) {
			return 0, false
		}
		k, err := uncompressBlock(src[8:end], dst[n:n+int(size)])
		if err != nil || int64(k) != size {
			return 0, false
		}
		n, src = n+k, src[end:]
	}
	return n, true
}

// uncompressBlock is lz4.UncompressBlock, whose amd64 decoder faults on
// an empty dst (pierrec/lz4 v4.1.29): the one block decoding to nothing
// is a lone token of no literals, checked here.
func uncompressBlock(src, dst []byte) (int, error) {
	if len(dst) > 0 {
		return lz4.UncompressBlock(src, dst)
	}
	if len(src) == 1 && src[0] == 0 {
		return 0, nil
	}
	return 0, errors.New("LZ4 block longer than its 0 bytes")
}
