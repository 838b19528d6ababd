package sinks

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"hash/maphash"

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

// pageDict is a column chunk's dictionary: its distinct values, PLAIN
// encoded in order of insertion, and an open-addressing table over them.
// It is for one goroutine.
type pageDict struct {
	width int      // 4 or 8, 0 for byte arrays
	vals  []byte   // the dictionary page's body
	offs  []uint32 // byte arrays: where each value's PLAIN encoding starts in vals
	n     int      // distinct values
	size  int64    // what parquet-go's Dictionary.Size reports
	plain bool     // the chunk fell back to PLAIN: no more values enter

	// slots holds 0 (empty) or 1 + a value's index; its length is a power
	// of two at least twice n. Values are compared, so the hash (seeded
	// at random) decides only where they are looked for.
	slots []int32
	seed  maphash.Seed
}

// newPageDict returns an empty dictionary of values of width bytes (0:
// byte arrays).
func newPageDict(width int) *pageDict {
	return &pageDict{width: width, slots: make([]int32, 64), seed: maphash.MakeSeed()}
}

// reset empties d, keeping its buffers.
func (d *pageDict) reset() {
	d.vals, d.offs = d.vals[:0], d.offs[:0]
	d.n, d.size, d.plain = 0, 0, false
	clear(d.slots)
}

// key returns the fixed-width value at vals[i:] as an integer.
func (d *pageDict) key(vals []byte, i int) uint64 {
	if d.width == 4 {
		return uint64(binary.LittleEndian.Uint32(vals[i:]))
	}
	return binary.LittleEndian.Uint64(vals[i:])
}

// at returns the byte array value of index j, without its length.
func (d *pageDict) at(j int32) []byte {
	return plainAt(d.vals, int(d.offs[j]))
}

// grow doubles the table, once more than half full, and places every
// value anew.
func (d *pageDict) grow() {
	slots := make([]int32, 2*len(d.slots))
	mask := uint64(len(slots) - 1)
	for j := range int32(d.n) {
		var h uint64
		if d.width == 0 {
			h = maphash.Bytes(d.seed, d.at(j))
		} else {
			h = maphash.Comparable(d.seed, d.key(d.vals, int(j)*d.width))
		}
		for k := h & mask; ; k = (k + 1) & mask {
			if slots[k] == 0 {
				slots[k] = j + 1
				break
			}
		}
	}
	d.slots = slots
}

// appendIndexes appends to idx the index of each PLAIN encoded value of
// vals, inserting those not in d yet, and returns idx.
func (d *pageDict) appendIndexes(idx []int32, vals []byte) []int32 {
	if d.width == 0 {
		for i := 0; i < len(vals); {
			b := plainAt(vals, i)
			idx = append(idx, d.insertBytes(b))
			i += 4 + len(b)
		}
		return idx
	}
	for i := 0; i < len(vals); i += d.width {
		idx = append(idx, d.insertFixed(vals[i:i+d.width]))
	}
	return idx
}

// insertFixed returns the index of the fixed-width value b, inserting it.
func (d *pageDict) insertFixed(b []byte) int32 {
	key := d.key(b, 0)
	mask := uint64(len(d.slots) - 1)
	k := maphash.Comparable(d.seed, key) & mask
	for ; ; k = (k + 1) & mask {
		j := d.slots[k]
		if j == 0 {
			break
		}
		if d.key(d.vals, int(j-1)*d.width) == key {
			return j - 1
		}
	}
	j := int32(d.n)
	d.vals = append(d.vals, b...)
	d.n++
	d.size += int64(d.width)
	if 2*d.n > len(d.slots) {
		d.grow()
	} else {
		d.slots[k] = j + 1
	}
	return j
}

// insertBytes returns the index of the byte array b, inserting it.
func (d *pageDict) insertBytes(b []byte) int32 {
	mask := uint64(len(d.slots) - 1)
	k := maphash.Bytes(d.seed, b) & mask
	for ; ; k = (k + 1) & mask {
		j := d.slots[k]
		if j == 0 {
			break
		}
		if bytes.Equal(d.at(j-1), b) {
			return j - 1
		}
	}
	j := int32(d.n)
	d.offs = append(d.offs, uint32(len(d.vals)))
	d.vals = binary.LittleEndian.AppendUint32(d.vals, uint32(len(b)))
	d.vals = append(d.vals, b...)
	d.n++
	d.size += int64(len(b))
	if 2*d.n > len(d.slots) {
		d.grow()
	} else {
		d.slots[k] = j + 1
	}
	return j
}

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
		a := d.at(w.idx[0])
		b := a
		for _, j := range w.idx[1:] {
			x := d.at(j)
			switch {
			case compareBytes(x, a) < 0:
				a = x
			case compareBytes(x, b) > 0:
				b = x
			}
		}
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
