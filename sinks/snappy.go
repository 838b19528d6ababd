package sinks

import (
	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go/compress/snappy"
)

// Snappy compression levels ([ParquetOptions.CompressionLevel] with
// Compression "snappy"). Both write the raw snappy block format that every
// Parquet reader decodes; they differ in how hard the encoder looks for
// matches.
const (
	// SnappyFast, the default, is the speed class of Google's snappy, which
	// DuckDB, Arrow and Spark write (klauspost/compress s2.EncodeSnappy).
	SnappyFast = 1
	// SnappyBetter is klauspost/compress's "better" snappy mode, which
	// parquet-go uses: on gen data its pages are 4% smaller and take 1.9
	// times as long to compress. It was splitdata 0.1's only snappy
	// encoder, so it reproduces 0.1's Parquet bytes.
	SnappyBetter = 2
)

// snappyCodec is Parquet's SNAPPY codec with a choice of encoder; its
// name, format code and decoding are parquet-go's.
type snappyCodec struct {
	snappy.Codec
	better bool
}

// Encode compresses src into dst, which it reallocates when too small.
func (c *snappyCodec) Encode(dst, src []byte) ([]byte, error) {
	if c.better {
		return c.Codec.Encode(dst, src)
	}
	return s2.EncodeSnappy(dst, src), nil // reallocates a short dst
}
