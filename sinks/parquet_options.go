package sinks

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/gzip"
	"github.com/parquet-go/parquet-go/compress/lz4"
	"github.com/parquet-go/parquet-go/compress/uncompressed"
	"github.com/parquet-go/parquet-go/compress/zstd"
)

// Defaults applied by [ParquetOptions] to its zero fields.
const (
	// DefaultCompression is the codec used when [ParquetOptions.Compression]
	// is empty.
	DefaultCompression = "snappy"

	// DefaultPageBufferSize is the target size in bytes of one uncompressed
	// data page, used when [ParquetOptions.PageBufferSize] is zero. It is
	// parquet-go's own default (256 KiB): on gen-shaped data, smaller pages
	// cost speed and size for a page index that is only finer-grained,
	// larger pages gain under 1% in size.
	DefaultPageBufferSize = 256 * 1024

	// MaxPageBufferSize is the largest accepted
	// [ParquetOptions.PageBufferSize] (1 GiB): page sizes are 32-bit in the
	// Parquet format.
	MaxPageBufferSize = 1 << 30

	// DefaultCreatedBy is written as the footer's created_by when
	// [ParquetOptions.CreatedBy] is empty. It carries no version on purpose,
	// so that output bytes do not change when a library is upgraded.
	DefaultCreatedBy = "splitdata"

	// DictionaryMaxBytes bounds the dictionary of one column chunk
	// encoded with a dictionary ([EncodingAuto], or [EncodingPlain] with
	// [ParquetOptions.Dictionary]). A column whose dictionary has grown
	// beyond it (a high-cardinality text column) when a data page is closed
	// falls back to PLAIN for the rest of the row group, so dictionary
	// encoding costs little where it does not help. Since the check happens
	// at page boundaries, the dictionary can exceed the bound by the new
	// values of one page (a page of dictionary indexes holds up to
	// PageBufferSize/4 values). The fallback point depends only on the rows
	// and the options, so it is deterministic.
	DictionaryMaxBytes = 1 << 20
)

// Value encodings of [ParquetOptions.Encoding].
const (
	// EncodingAuto, the default since splitdata 0.5.0, decides per column
	// chunk whether a dictionary pays: from the chunk's first rows (up to
	// [DictionarySampleRows] rows or [DictionarySampleBytes] bytes), a
	// column other than BOOLEAN is dictionary-encoded (RLE_DICTIONARY) when
	// its distinct values plus their indexes take fewer bytes than its
	// PLAIN values, raw and, since splitdata 0.8.0, compressed too (see
	// [ParquetOptions.RawDictionaryPricing]); it falls back to PLAIN for the rest of the chunk once
	// its dictionary outgrows [DictionaryMaxBytes]. The decision depends
	// only on the chunk's rows, never on timing or workers.
	EncodingAuto = "auto"

	// EncodingPlain writes every column PLAIN (with
	// [ParquetOptions.Dictionary], BYTE_ARRAY columns RLE_DICTIONARY): the
	// bytes of splitdata 0.4 and earlier.
	EncodingPlain = "plain"
)

// The sample [EncodingAuto] decides from: a chunk's first rows, up to
// DictionarySampleRows rows, ending early after the row at which their
// values reach DictionarySampleBytes. Held until the decision, so it
// bounds what a row group holds before its first page.
const (
	DictionarySampleRows  = 4096
	DictionarySampleBytes = 1 << 20
)

// MaxStatisticsBytes bounds the min and max of a BYTE_ARRAY column chunk's
// statistics in the footer, together: a chunk whose bounds are longer is
// written without them (its null count is kept), as parquet-java and
// Arrow C++ do beyond the same 4 KiB. Shorter values, the usual case, are
// written as they are.
const MaxStatisticsBytes = 4096

// ErrInvalidOptions is the class of errors returned by
// [ParquetOptions.Validate]; test for it with [errors.Is].
var ErrInvalidOptions = errors.New("invalid parquet options")

// ParquetOptions configures Parquet output. The zero value selects the
// documented defaults: snappy compression, [DefaultPageBufferSize] pages,
// dictionary encoding where it pays ([EncodingAuto]) and created_by
// [DefaultCreatedBy]. Options are plain
// values with JSON tags because they are recorded in the run manifest:
// together with the rows, they determine the output bytes completely.
//
// Choices that are not options, fixed so that bytes stay reproducible:
// data pages are version 1 (the most widely readable layout, as written by
// DuckDB, Arrow and Polars by default); values are RLE_DICTIONARY or PLAIN
// as [ParquetOptions.Encoding] decides, whatever encodings the input file
// used; page statistics, column statistics and the
// page index (column and offset indexes) are written, without min/max where
// they would be wrong or too long (see the package documentation); bloom
// filters are not.
type ParquetOptions struct {
	// Compression names the page codec: "snappy" (the default when empty),
	// "zstd", "gzip", "lz4" (the LZ4_RAW codec) or "none".
	//
	// lz4 files are valid (DuckDB reads them back exactly), but parquet-go
	// v0.32's reader returns wrong values, without an error, for LZ4_RAW
	// pages that compress less than 3:1: its page buffer ignores the buffer
	// the codec allocates then (parquet-go/parquet-go issue 608, fix pending
	// in pull request 609). Do not choose lz4 for files that parquet-go, and
	// so splitdata itself, will read.
	Compression string `json:"compression"`

	// CompressionLevel selects the level of the snappy, zstd and gzip
	// codecs; 0 means the codec's default (snappy [SnappyFast], zstd 3,
	// gzip 6). snappy accepts [SnappyFast] and [SnappyBetter] (the bytes
	// of splitdata 0.1, whose only snappy encoder it was). zstd accepts 1
	// to 22 with the meaning of the zstd command line; the Go encoder
	// implements four speeds, so levels map to them as klauspost/compress
	// does: 1-2 fastest, 3-5 default, 6-9 better, 10-22 best. gzip accepts
	// 1 to 9. Other codecs have no levels and accept only 0; negative
	// values are rejected.
	CompressionLevel int `json:"compression_level,omitempty"`

	// PageBufferSize is the target size in bytes of one uncompressed data
	// page; 0 means [DefaultPageBufferSize]. It must be in
	// [0, MaxPageBufferSize].
	PageBufferSize int `json:"page_buffer_size,omitempty"`

	// Encoding selects the value encodings: [EncodingAuto] (the default
	// when empty, since splitdata 0.5.0: a dictionary per column chunk
	// where it pays) or [EncodingPlain] (splitdata 0.4's bytes).
	Encoding string `json:"encoding,omitempty"`

	// Dictionary, with Encoding [EncodingPlain], dictionary-encodes
	// BYTE_ARRAY columns (RLE_DICTIONARY, bounded by [DictionaryMaxBytes]
	// per column chunk) as splitdata 0.4's --dictionary did. With
	// [EncodingAuto] it changes nothing: dictionaries are used where they
	// pay; splitdata records it as true there.
	Dictionary bool `json:"dictionary"`

	// AlignedIndexRuns writes dictionary indexes as splitdata 0.6.0 and
	// earlier did, with parquet-go v0.32's encoder, which emits an RLE run
	// only for groups of 8 equal indexes aligned on the page's 8-value
	// grid. False, the default since splitdata 0.7.0, emits a run wherever
	// one takes fewer bytes than bit-packing (docs/algorithm.md,
	// "Dictionary indexes"): smaller files for sorted or clustered
	// columns, the same values. It changes nothing for columns written
	// without a dictionary.
	AlignedIndexRuns bool `json:"aligned_index_runs,omitempty"`

	// RawDictionaryPricing chooses dictionaries ([EncodingAuto]) and
	// compresses dictionary pages as splitdata 0.5.0 to 0.7.0 did: a
	// column chunk gets a dictionary when its sample's distinct values and
	// indexes take fewer bytes, uncompressed and with every index at its
	// full bit width, than its PLAIN values, and its dictionary page is
	// compressed as its data pages are. False, the default since
	// splitdata 0.8.0, prices both encodings of the sample as they would
	// be written: PLAIN values against the dictionary page and the
	// indexes with their runs, each compressed by the chunk's codec, the
	// dictionary page with snappy's better encoder when the data pages
	// take the fast one ([SnappyFast]), as it is then written
	// (docs/algorithm.md, "Dictionary pricing"). Sorted or clustered
	// columns, whose PLAIN values the codec compresses well, stay PLAIN.
	RawDictionaryPricing bool `json:"raw_dictionary_pricing,omitempty"`

	// CreatedBy is written verbatim as the footer's created_by; empty means
	// [DefaultCreatedBy]. Callers pin it (for example "splitdata version
	// 1.2.0") so that bytes do not change with a library upgrade. It must be
	// valid UTF-8.
	CreatedBy string `json:"created_by"`
}

// Validate reports whether o is usable, returning an error wrapping
// [ErrInvalidOptions] that names the offending field when it is not.
func (o ParquetOptions) Validate() error {
	_, err := o.codec()
	if err != nil {
		return err
	}
	if o.PageBufferSize < 0 || o.PageBufferSize > MaxPageBufferSize {
		return fmt.Errorf("%w: page_buffer_size %d is outside [0, %d]", ErrInvalidOptions, o.PageBufferSize, MaxPageBufferSize)
	}
	switch o.Encoding {
	case "", EncodingAuto, EncodingPlain:
	default:
		return fmt.Errorf("%w: unknown encoding %q (want %q or %q)", ErrInvalidOptions, o.Encoding, EncodingAuto, EncodingPlain)
	}
	if !utf8.ValidString(o.CreatedBy) {
		return fmt.Errorf("%w: created_by %q is not valid UTF-8", ErrInvalidOptions, o.CreatedBy)
	}
	return nil
}

// compressionName returns the codec name with the default applied.
func (o ParquetOptions) compressionName() string {
	if o.Compression == "" {
		return DefaultCompression
	}
	return o.Compression
}

// compressionLevel returns the compression level with snappy's default
// applied (the only codec whose level 0 is not passed on).
func (o ParquetOptions) compressionLevel() int {
	if o.compressionName() == "snappy" && o.CompressionLevel == 0 {
		return SnappyFast
	}
	return o.CompressionLevel
}

// encoding returns the value encoding with the default applied.
func (o ParquetOptions) encoding() string {
	if o.Encoding == "" {
		return EncodingAuto
	}
	return o.Encoding
}

// plainDictionary reports whether BYTE_ARRAY columns are dictionary
// encoded as splitdata 0.4 did (EncodingPlain with Dictionary).
func (o ParquetOptions) plainDictionary() bool {
	return o.encoding() == EncodingPlain && o.Dictionary
}

// pageBufferSize returns the page size with the default applied.
func (o ParquetOptions) pageBufferSize() int {
	if o.PageBufferSize == 0 {
		return DefaultPageBufferSize
	}
	return o.PageBufferSize
}

// createdBy returns the footer's created_by with the default applied.
func (o ParquetOptions) createdBy() string {
	if o.CreatedBy == "" {
		return DefaultCreatedBy
	}
	return o.CreatedBy
}

// sameEncoding reports whether o and p produce the same column-chunk bytes
// for the same rows, that is whether they differ at most in CreatedBy.
func (o ParquetOptions) sameEncoding(p ParquetOptions) bool {
	return o.compressionName() == p.compressionName() &&
		o.compressionLevel() == p.compressionLevel() &&
		o.pageBufferSize() == p.pageBufferSize() &&
		o.encoding() == p.encoding() &&
		o.plainDictionary() == p.plainDictionary() &&
		o.AlignedIndexRuns == p.AlignedIndexRuns &&
		o.RawDictionaryPricing == p.RawDictionaryPricing
}

// codec validates the compression fields and returns a new codec for them.
// Each encoder gets its own codec value; the codecs are safe for concurrent
// use.
func (o ParquetOptions) codec() (compress.Codec, error) {
	name, level := o.compressionName(), o.CompressionLevel
	if level < 0 {
		return nil, fmt.Errorf("%w: compression_level %d is negative", ErrInvalidOptions, level)
	}
	noLevel := func(c compress.Codec) (compress.Codec, error) {
		if level != 0 {
			return nil, fmt.Errorf("%w: compression %q takes no compression_level (got %d)", ErrInvalidOptions, name, level)
		}
		return c, nil
	}
	switch name {
	case "snappy":
		switch l := o.compressionLevel(); l {
		case SnappyFast:
			return &snappyCodec{}, nil
		case SnappyBetter:
			return &snappyCodec{better: true}, nil
		default:
			return nil, fmt.Errorf("%w: snappy compression_level %d is neither %d (fast, the default) nor %d (better)", ErrInvalidOptions, l, SnappyFast, SnappyBetter)
		}
	case "none":
		return noLevel(new(uncompressed.Codec))
	case "lz4":
		return noLevel(&lz4.Codec{Level: lz4.Fast})
	case "gzip":
		// Level 0 is pinned to 6, zlib's and the gzip command's default,
		// rather than left to the library: klauspost/compress reads its
		// "default" as 5, and a library's default may change.
		switch {
		case level == 0:
			level = 6
		case level > gzip.BestCompression:
			return nil, fmt.Errorf("%w: gzip compression_level %d is outside [1, 9]", ErrInvalidOptions, level)
		}
		return &gzip.Codec{Level: level}, nil
	case "zstd":
		// The mapping of zstd levels onto the four speeds of the Go encoder
		// follows klauspost/compress zstd.EncoderLevelFromZstd.
		var speed zstd.Level
		switch {
		case level == 0:
			speed = zstd.SpeedDefault
		case level < 3:
			speed = zstd.SpeedFastest
		case level < 6:
			speed = zstd.SpeedDefault
		case level < 10:
			speed = zstd.SpeedBetterCompression
		case level <= 22:
			speed = zstd.SpeedBestCompression
		default:
			return nil, fmt.Errorf("%w: zstd compression_level %d is outside [1, 22]", ErrInvalidOptions, level)
		}
		return &zstd.Codec{Level: speed}, nil
	default:
		return nil, fmt.Errorf("%w: unknown compression %q (want snappy, zstd, gzip, lz4 or none)", ErrInvalidOptions, o.Compression)
	}
}

// dictionaryCodec returns the codec of dictionary pages of chunks whose
// data pages take codec: snappy's better encoder where codec is the fast
// one, unless o writes 0.7.0's pages ([ParquetOptions.RawDictionaryPricing]),
// else codec. A dictionary page is written once per chunk and is small
// next to its data pages, so the harder encoder costs little; the fast
// one, which looks matches up by 6 bytes, leaves sorted 8-byte values
// (timestamps) uncompressed, where the better one finds the 5 high bytes
// each shares with the one before.
func (o ParquetOptions) dictionaryCodec(codec compress.Codec) compress.Codec {
	if s, ok := codec.(*snappyCodec); ok && !s.better && !o.RawDictionaryPricing {
		return &snappyCodec{better: true}
	}
	return codec
}

// writerConfig returns the parquet-go configuration that encodes one row
// group of schema (already normalised by outputSchema, with leaves) in
// memory.
func (o ParquetOptions) writerConfig(schema *parquet.Schema, leaves []leafLayout, codec compress.Codec) (*parquet.WriterConfig, error) {
	options := []parquet.WriterOption{
		schema,
		parquet.Compression(codec),
		parquet.PageBufferSize(o.pageBufferSize()),
		parquet.DataPageVersion(1),
		parquet.DataPageStatistics(true),
		parquet.CreatedBy("splitdata", "", ""),
		parquet.DictionaryMaxBytes(DictionaryMaxBytes),
	}
	for _, leaf := range leaves {
		if leaf.unordered {
			options = append(options, parquet.SkipPageBounds(leaf.names...), parquet.SkipPageStatistics(leaf.names...))
		}
	}
	cfg, err := parquet.NewWriterConfig(options...)
	if err != nil {
		return nil, fmt.Errorf("configure parquet writer: %w", err)
	}
	return cfg, nil
}

// ColumnBytes bounds the uncompressed bytes one column of a row group
// being encoded with o holds in memory besides its finished pages: the
// page being filled, and, where a dictionary may be used (EncodingAuto, or
// EncodingPlain with Dictionary), a dictionary of up to
// [DictionaryMaxBytes] plus the new values of one page. A stream
// ([RowGroupEncoder.NewStream]) with EncodingAuto also holds its sample
// until its first page: at most [DictionarySampleBytes] plus one row, in
// up to [DictionarySampleRows] rows.
func (o ParquetOptions) ColumnBytes() int64 {
	page := int64(o.pageBufferSize())
	if o.encoding() == EncodingAuto || o.plainDictionary() {
		return 2*page + DictionaryMaxBytes
	}
	return page
}
