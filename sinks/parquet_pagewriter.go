package sinks

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
	"slices"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
)

// This file holds splitdata's own page writer: the column chunks of the
// batch path's PLAIN top-level numeric, string and binary columns are
// written straight from
// the columnar batches, where parquet-go's ColumnWriter takes one
// parquet.Value per row, buffers them, and computes each page's bounds
// twice. The bytes are parquet-go v0.32's for the same rows, byte for byte
// (a differential test holds both paths to it), so every choice that
// decides bytes is parquet-go's:
//
//   - pages are cut only after a chunk of chunkRows rows counted from the
//     row group's first row, when the page's size as parquet-go's column
//     buffer accounts it (8 or 4 bytes a value, a byte array's bytes and 4;
//     an optional column adds 5 bytes a row and counts non-null values
//     only) has reached 98% of the page buffer size;
//   - data pages are version 1: RLE definition levels with their 4-byte
//     length, then the PLAIN values of the non-null rows, compressed
//     together, the CRC taken over the compressed bytes;
//   - page statistics hold min and max in both the deprecated and the new
//     fields; float bounds skip NaNs (a page of NaNs only has its first
//     value as both); byte arrays compare by bytes, and a page's empty
//     bounds are left out where parquet-go's buffer is nil; the chunk
//     keeps the first of equal bounds;
//   - the column index is made by parquet-go's own indexer of the leaf's
//     type, one call per page; the offset index and the size statistics
//     (definition level histograms) as its writer fills them.
//
// Columns the writer does not cover stay with parquet-go (see ownColumn).

// ownColumn reports whether splitdata's page writer writes leaf column c
// of a chunk whose encoding is dict[c] (dict may be nil: none): a
// top-level column, required or optional, PLAIN encoded, of INT32, INT64,
// FLOAT or DOUBLE with signed order (unsigned integers are compared as
// such by parquet-go, and are left to it), or a BYTE_ARRAY without a
// logical type or a STRING. Nested, BOOLEAN, INT96, FIXED_LEN_BYTE_ARRAY,
// other byte array types (decimals, JSON, ...) and dictionary-encoded
// columns are parquet-go's, as are all columns of streams whose pages go
// to temporary files and of the row path.
func (e *RowGroupEncoder) ownColumn(c int, dict []bool) bool {
	leaf := &e.leaves[c]
	if len(leaf.names) != 1 || leaf.unordered || leaf.typ == nil || e.layout[c].MaxRep != 0 || e.layout[c].MaxDef > 1 {
		return false
	}
	if dict != nil && dict[c] {
		return false
	}
	switch leaf.kind {
	case parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
	case parquet.ByteArray:
		// Strings and plain binary, ordered by their bytes.
		if lt := leaf.typ.LogicalType(); lt != nil {
			if _, ok := lt.Value.(*format.StringType); !ok {
				return false
			}
		}
		if ct := leaf.typ.ConvertedType(); ct != nil && *ct != deprecated.UTF8 {
			return false
		}
	default:
		return false
	}
	if lt := leaf.typ.LogicalType(); lt != nil {
		if it, ok := lt.Value.(*format.IntType); ok && !it.IsSigned {
			return false
		}
	}
	if ct := leaf.typ.ConvertedType(); ct != nil {
		switch *ct {
		case deprecated.Uint8, deprecated.Uint16, deprecated.Uint32, deprecated.Uint64:
			return false
		}
	}
	return true
}

// pageWriter writes one column chunk of a column [RowGroupEncoder.ownColumn]
// covers. It is for one goroutine and one row group.
type pageWriter struct {
	kind       parquet.Kind
	width      int
	maxDef     byte
	path       []string
	codec      compress.Codec
	compressed bool
	limit      int64 // a page is closed after a chunk once its size reaches it

	// The page being filled: its rows' definition levels (optional
	// columns), its non-null values PLAIN encoded, its row count, and the
	// rows of the current chunk of chunkRows.
	defs    []byte
	vals    []byte
	rows    int
	nonNull int
	chunk   int

	// scratch says whether parquet-go's byte array buffer would hold a
	// spare values buffer: it swaps one in for a page of one value, and
	// a page's bounds are nil, not empty, when its values buffer is (see
	// flush).
	scratch bool

	// Scratch reused from page to page.
	levels []byte
	body   []byte
	comp   []byte
	header bytes.Buffer
	enc    thrift.Encoder
	rle    rle.Encoding

	// The chunk so far.
	data         []byte // its pages
	numRows      int64
	nulls        int64
	uncompressed int64
	unencoded    int64 // byte array values' bytes, lengths left out
	pages        int32
	locations    []format.PageLocation
	indexer      parquet.ColumnIndexer
	bounded      bool   // whether a page had bounds
	minValue     []byte // the chunk's bounds, PLAIN encoded, once bounded
	maxValue     []byte
	defHist      []int64 // per level, the chunk's
	pageHists    []int64 // per page, per level
}

// newPageWriter returns the page writer of leaf c of e's schema: one
// released by an earlier row group, whose buffers have grown to a chunk's
// size, or a new one.
func (e *RowGroupEncoder) newPageWriter(c int, codec compress.Codec) *pageWriter {
	w, ok := e.pagers[c].Get().(*pageWriter)
	if !ok {
		w = e.makePageWriter(c, codec)
	}
	// The chunk gets the last chunk's size and an eighth at once, rather
	// than growing to it by doubling (only capacity, never bytes).
	if hint := int(e.chunkHints[c].Load()); cap(w.data) < hint {
		w.data = make([]byte, 0, hint)
	}
	return w
}

// makePageWriter returns a new page writer of leaf c of e's schema.
func (e *RowGroupEncoder) makePageWriter(c int, codec compress.Codec) *pageWriter {
	leaf := &e.leaves[c]
	w := &pageWriter{
		kind:       leaf.kind,
		maxDef:     byte(e.layout[c].MaxDef),
		path:       leaf.names,
		codec:      codec,
		compressed: codec != nil && codec.CompressionCodec() != format.Uncompressed,
		limit:      int64(int32(float64(e.opts.pageBufferSize()) * 0.98)),
		indexer:    leaf.typ.NewColumnIndexer(e.config.ColumnIndexSizeLimit(leaf.names)),
	}
	switch leaf.kind {
	case parquet.Int32, parquet.Float:
		w.width = 4
	case parquet.Int64, parquet.Double:
		w.width = 8
	}
	if w.maxDef > 0 {
		w.rle = rle.Encoding{BitWidth: bits.Len8(w.maxDef)}
		w.defHist = make([]int64, int(w.maxDef)+1)
	}
	w.enc.Reset(new(thrift.CompactProtocol).NewWriter(&w.header))
	return w
}

// size returns the page's size as parquet-go's column buffer counts it:
// a byte array value counts its bytes and a 4-byte offset, the size of
// its PLAIN encoding.
func (w *pageWriter) size() int64 {
	n := int64(len(w.vals))
	if w.maxDef > 0 {
		n += 5 * int64(w.rows)
	}
	return n
}

// endChunk counts take rows into the current chunk and closes the page
// when a chunk completes and the page is full.
func (w *pageWriter) endChunk(take int) error {
	w.rows += take
	if w.chunk += take; w.chunk == chunkRows {
		w.chunk = 0
		if w.size() >= w.limit {
			return w.flush()
		}
	}
	return nil
}

// writeRows writes rows [lo, hi) of column c of r.
func (w *pageWriter) writeRows(r columnar.Rows, c, lo, hi int) error {
	for lo < hi {
		take := min(chunkRows-w.chunk, hi-lo)
		at := len(w.defs)
		if w.width == 0 {
			w.defs, w.vals = r.AppendPlain(w.defs, w.vals, c, lo, lo+take)
		} else {
			w.defs, w.vals = r.AppendFixed(w.defs, w.vals, c, lo, lo+take)
		}
		if w.maxDef == 0 {
			w.nonNull += take
		} else {
			for _, d := range w.defs[at:] {
				if d == w.maxDef {
					w.nonNull++
				}
			}
		}
		lo += take
		if err := w.endChunk(take); err != nil {
			return err
		}
	}
	return nil
}

// writeValues writes one value per row (the sample, held as values).
func (w *pageWriter) writeValues(vals []parquet.Value) error {
	for len(vals) > 0 {
		take := min(chunkRows-w.chunk, len(vals))
		for i := range vals[:take] {
			v := &vals[i]
			if w.maxDef > 0 {
				w.defs = append(w.defs, byte(v.DefinitionLevel()))
			}
			if v.IsNull() {
				continue
			}
			w.nonNull++
			switch w.kind {
			case parquet.ByteArray:
				b := v.ByteArray()
				w.vals = binary.LittleEndian.AppendUint32(w.vals, uint32(len(b)))
				w.vals = append(w.vals, b...)
			case parquet.Int32:
				w.vals = binary.LittleEndian.AppendUint32(w.vals, uint32(v.Int32()))
			case parquet.Float:
				w.vals = binary.LittleEndian.AppendUint32(w.vals, math.Float32bits(v.Float()))
			case parquet.Int64:
				w.vals = binary.LittleEndian.AppendUint64(w.vals, uint64(v.Int64()))
			case parquet.Double:
				w.vals = binary.LittleEndian.AppendUint64(w.vals, math.Float64bits(v.Double()))
			}
		}
		vals = vals[take:]
		if err := w.endChunk(take); err != nil {
			return err
		}
	}
	return nil
}

// flush writes the page being filled, if it holds rows.
func (w *pageWriter) flush() error {
	if w.rows == 0 {
		return nil
	}
	nonNull := w.nonNull
	nulls := int64(w.rows - nonNull)
	body := w.vals
	if w.maxDef > 0 {
		var err error
		if w.levels, err = w.rle.EncodeLevels(w.levels[:0], w.defs); err != nil {
			return fmt.Errorf("column %q: encode definition levels: %w", w.path, err)
		}
		w.body = binary.LittleEndian.AppendUint32(w.body[:0], uint32(len(w.levels)))
		w.body = append(w.body, w.levels...)
		w.body = append(w.body, w.vals...)
		body = w.body
	}
	if int64(len(body)) > math.MaxInt32 {
		return fmt.Errorf("column %q: page of %d bytes exceeds the format's limit", w.path, len(body))
	}
	page := body
	if w.compressed {
		var err error
		if w.comp, err = w.codec.Encode(w.comp[:0], body); err != nil {
			return fmt.Errorf("column %q: compress page: %w", w.path, err)
		}
		page = w.comp
	}

	lo, hi, ok := w.bounds(nonNull)
	var minValue, maxValue parquet.Value
	var st format.Statistics
	st.NullCount = nulls
	if ok {
		st.Min, st.Max, st.MinValue, st.MaxValue = lo, hi, lo, hi
		minValue, maxValue = w.value(lo), w.value(hi)
	}
	if w.width == 0 {
		// parquet-go's page bounds of byte arrays point into its values
		// buffer, which is nil for a page whose values are all empty,
		// unless the page holds one value (a buffer is then swapped in,
		// live if it held bytes before); nil bounds are left out of the
		// header, empty ones written.
		valueBytes := len(w.vals) - 4*nonNull
		w.unencoded += int64(valueBytes)
		live := valueBytes > 0
		if nonNull == 1 {
			live = live || w.scratch
			w.scratch = valueBytes > 0
		}
		if ok && !live {
			st.Min, st.Max, st.MinValue, st.MaxValue = nil, nil, nil, nil
		}
	}
	h := format.PageHeader{
		Type:                 format.DataPage,
		UncompressedPageSize: int32(len(body)),
		CompressedPageSize:   int32(len(page)),
		CRC:                  int32(crc32.ChecksumIEEE(page)),
		DataPageHeader: thrift.New(format.DataPageHeader{
			NumValues:               int32(w.rows),
			Encoding:                format.Plain,
			DefinitionLevelEncoding: format.RLE,
			RepetitionLevelEncoding: format.RLE,
			Statistics:              st,
		}),
	}
	w.header.Reset()
	if err := w.enc.Encode(&h); err != nil {
		return fmt.Errorf("column %q: encode page header: %w", w.path, err)
	}
	headerLen := int64(w.header.Len())

	w.indexer.IndexPage(int64(w.rows), nulls, minValue, maxValue)
	if ok {
		if !w.bounded || w.compare(hi, w.maxValue) > 0 {
			w.maxValue = append(w.maxValue[:0], hi...)
		}
		if !w.bounded || w.compare(lo, w.minValue) < 0 {
			w.minValue = append(w.minValue[:0], lo...)
		}
		w.bounded = true
	}
	w.locations = append(w.locations, format.PageLocation{
		Offset:             int64(len(w.data)),
		CompressedPageSize: int32(headerLen + int64(len(page))),
		FirstRowIndex:      w.numRows,
	})
	if w.maxDef > 0 {
		at := len(w.pageHists)
		w.pageHists = slices.Grow(w.pageHists, len(w.defHist))[:at+len(w.defHist)]
		clear(w.pageHists[at:])
		for _, d := range w.defs {
			w.defHist[d]++
			w.pageHists[at+int(d)]++
		}
	}
	w.data = append(w.data, w.header.Bytes()...)
	w.data = append(w.data, page...)
	w.uncompressed += headerLen + int64(len(body))
	w.numRows += int64(w.rows)
	w.nulls += nulls
	w.pages++
	w.defs, w.vals, w.rows, w.nonNull = w.defs[:0], w.vals[:0], 0, 0
	return nil
}

// releasePageWriter resets w, the page writer of column c, and keeps it
// for the next row group unless its chunk outgrew maxPooledChunk. The
// chunk it finished must no longer be used.
func (e *RowGroupEncoder) releasePageWriter(c int, w *pageWriter) {
	e.chunkHints[c].Store(int64(len(w.data) + len(w.data)/8))
	if cap(w.data) > maxPooledChunk {
		return
	}
	w.defs, w.vals, w.rows, w.chunk = w.defs[:0], w.vals[:0], 0, 0
	w.data, w.numRows, w.nulls, w.uncompressed, w.unencoded, w.pages = w.data[:0], 0, 0, 0, 0, 0
	w.nonNull, w.scratch = 0, false
	w.locations = w.locations[:0]
	w.indexer.Reset()
	w.bounded, w.minValue, w.maxValue = false, w.minValue[:0], w.maxValue[:0]
	clear(w.defHist)
	w.pageHists = w.pageHists[:0]
	e.pagers[c].Put(w)
}

// maxPooledChunk bounds the chunk buffer of a page writer kept for the
// next row group: pooled writers are freed by the garbage collector when
// idle, as parquet-go's page buffers are, and larger ones are not kept.
const maxPooledChunk = 64 << 20

// ownChunk is a column chunk the page writer finished: its pages and the
// metadata parquet-go's writer would give them, offsets relative to the
// chunk's first byte.
type ownChunk struct {
	data        []byte
	meta        format.ColumnChunk
	columnIndex format.ColumnIndex
	offsetIndex format.OffsetIndex
}

// finish writes the last page and returns the chunk.
func (w *pageWriter) finish() (*ownChunk, error) {
	if err := w.flush(); err != nil {
		return nil, err
	}
	encodings := []format.Encoding{format.Plain}
	if w.maxDef > 0 {
		encodings = append(encodings, format.RLE)
	}
	md := format.ColumnMetaData{
		Type:                  format.Type(w.kind),
		Encoding:              encodings,
		PathInSchema:          w.path,
		Codec:                 format.Uncompressed,
		NumValues:             w.numRows,
		TotalUncompressedSize: w.uncompressed,
		TotalCompressedSize:   int64(len(w.data)),
		Statistics: format.Statistics{
			NullCount: w.nulls,
		},
		EncodingStats: []format.PageEncodingStats{{PageType: format.DataPage, Encoding: format.Plain, Count: w.pages}},
		SizeStatistics: format.SizeStatistics{
			UnencodedByteArrayDataBytes: w.unencoded,
			DefinitionLevelHistogram:    slices.Clone(w.defHist),
		},
	}
	if w.bounded {
		// Copies, since the row group keeps them; an empty string is
		// written as an empty value, not left out, as parquet-go does.
		md.Statistics.MinValue = append([]byte{}, w.minValue...)
		md.Statistics.MaxValue = append([]byte{}, w.maxValue...)
	}
	if w.codec != nil {
		md.Codec = w.codec.CompressionCodec()
	}
	ci := w.indexer.ColumnIndex()
	ci.RepetitionLevelHistogram = nil
	ci.DefinitionLevelHistogram = slices.Clone(w.pageHists)
	return &ownChunk{
		data:        w.data,
		meta:        format.ColumnChunk{MetaData: md},
		columnIndex: ci,
		offsetIndex: format.OffsetIndex{PageLocations: w.locations},
	}, nil
}
