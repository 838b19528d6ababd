package sinks

import (
	"fmt"
	"hash/crc32"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// This file holds the page writer's dictionary: a column chunk with a
// dictionary is written as parquet-go v0.32 writes it, byte for byte:
//
//   - values enter the dictionary as their chunk of chunkRows rows is
//     written, in row order, so its page lists the distinct values in
//     order of first appearance; fixed-width values are told apart by
//     their bits (parquet-go's hash tables key on them: -0 is not 0, and
//     NaNs of one payload are one value), byte arrays by their bytes;
//   - a data page holds the RLE_DICTIONARY indexes of its non-null rows
//     (one byte of bit width, the page's widest index, then the hybrid
//     runs: see encodeIndexes), and counts 4 bytes a value towards its
//     size;
//   - when a page is closed while the dictionary holds more than
//     DictionaryMaxBytes (values' bytes, a byte array's length left out),
//     the page is still written with indexes and the chunk's later pages
//     are PLAIN; the dictionary page, PLAIN, comes first in the chunk;
//   - a page's bounds are those parquet-go's dictionary finds (for
//     fixed-width values its own code computes them, so that NaN and -0
//     come out as they do there), and the unencoded byte array size
//     counts only PLAIN pages, as parquet-go's does.

// encodeIndexes appends the RLE_DICTIONARY encoding of the page's
// indexes to dst and returns it: splitdata 0.7.0's runs (parquet_rle.go),
// or parquet-go's encoder with [ParquetOptions.AlignedIndexRuns], the
// bytes of 0.6.0. parquet-go's own chunks get the same
// (parquet_rle_chunks.go).
func (w *pageWriter) encodeIndexes(dst []byte) ([]byte, error) {
	if w.aligned {
		return w.dictEnc.EncodeInt32(dst, w.idx)
	}
	return appendIndexRuns(dst, w.idx), nil
}

// dictBounds returns the PLAIN encodings of the min and max values of the
// page's indexes, as parquet-go's dictionary of typ finds them, or false
// for a page without values.
func (w *pageWriter) dictBounds() (lo, hi []byte, ok bool) {
	if len(w.idx) == 0 {
		return nil, nil, false
	}
	d := w.dict
	if d.width == 0 {
		a, b := d.byteBounds(w.idx)
		// Copies: the indexer and the chunk keep them past the page.
		return append([]byte{}, a...), append([]byte{}, b...), true
	}
	var vals encoding.Values
	switch w.kind {
	case parquet.Int32:
		vals = encoding.Int32ValuesFromBytes(d.vals)
	case parquet.Int64:
		vals = encoding.Int64ValuesFromBytes(d.vals)
	case parquet.Float:
		vals = encoding.FloatValuesFromBytes(d.vals)
	default:
		vals = encoding.DoubleValuesFromBytes(d.vals)
	}
	lv, hv := w.typ.NewDictionary(0, d.n, vals).Bounds(w.idx)
	return lv.Bytes(), hv.Bytes(), true
}

// dictionaryPage returns the dictionary page of w's chunk, its header
// and body, and counts it into the chunk's sizes and encoding stats. It
// is compressed by w.dictCodec, snappy's better encoder where the data
// pages take the fast one (since 0.8.0).
func (w *pageWriter) dictionaryPage() ([]byte, error) {
	d := w.dict
	body := d.vals
	page := body
	if w.compressed {
		var err error
		if w.comp, err = w.dictCodec.Encode(w.comp[:0], body); err != nil {
			return nil, fmt.Errorf("column %q: compress dictionary page: %w", w.path, err)
		}
		page = w.comp
	}
	h := format.PageHeader{
		Type:                 format.DictionaryPage,
		UncompressedPageSize: int32(len(body)),
		CompressedPageSize:   int32(len(page)),
		CRC:                  int32(crc32.ChecksumIEEE(page)),
		DictionaryPageHeader: thrift.New(format.DictionaryPageHeader{
			NumValues: int32(d.n),
			Encoding:  format.Plain,
		}),
	}
	w.header.Reset()
	if err := w.enc.Encode(&h); err != nil {
		return nil, fmt.Errorf("column %q: encode dictionary page header: %w", w.path, err)
	}
	w.dictPage = append(w.dictPage[:0], w.header.Bytes()...)
	w.dictPage = append(w.dictPage, page...)
	w.uncompressed += int64(w.header.Len() + len(body))
	return w.dictPage, nil
}
