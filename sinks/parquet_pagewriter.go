package sinks

import (
	"bytes"
	"fmt"
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
// batch path's top-level numeric, string and binary columns, PLAIN or
// with a dictionary (parquet_pagedict.go), are written straight from
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
//     length, then the PLAIN values (or dictionary indexes, 4 bytes a
//     value in the page's size) of the non-null rows, compressed
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

// ownColumn reports whether splitdata's page writer writes leaf column c:
// a top-level column, required or optional, PLAIN or dictionary encoded,
// of INT32, INT64, FLOAT or DOUBLE with signed order (unsigned integers
// are compared as such by parquet-go, and are left to it), or a
// BYTE_ARRAY without a logical type or a STRING. Nested, BOOLEAN, INT96,
// FIXED_LEN_BYTE_ARRAY and other byte array types (decimals, JSON, ...)
// are parquet-go's, as are all columns of streams whose pages go to
// temporary files and of the row path.
func (e *RowGroupEncoder) ownColumn(c int) bool {
	leaf := &e.leaves[c]
	if len(leaf.names) != 1 || leaf.unordered || leaf.typ == nil || e.layout[c].MaxRep != 0 || e.layout[c].MaxDef > 1 {
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
	typ        parquet.Type
	width      int
	maxDef     byte
	path       []string
	codec      compress.Codec
	compressed bool
	limit      int64 // a page is closed after a chunk once its size reaches it

	// The page being filled: its rows' definition levels (optional
	// columns), its non-null values PLAIN encoded, or with a dictionary
	// their indexes, its row count, and the rows of the current chunk of
	// chunkRows.
	defs []byte
	vals []byte
	idx  []int32

	// room holds an optional column's PLAIN values at room[head:], where
	// vals starts while no append moved it: the page's definition levels
	// go in front of them (see prefixLevels).
	room    []byte
	head    int
	rows    int
	nonNull int
	chunk   int

	// scratch says whether parquet-go's byte array buffer would hold a
	// spare values buffer: it swaps one in for a page of one value, and
	// a page's bounds are nil, not empty, when its values buffer is (see
	// flush).
	scratch bool

	// The chunk's dictionary, when it has one (see parquet_pagedict.go).
	dict      *pageDict
	keep      *pageDict // a dictionary kept for the next chunk with one
	dictPage  []byte
	dictCodec compress.Codec // compresses dictPage (see dictionaryCodec)

	// Scratch reused from page to page: body and comp are used only
	// when a page cannot be put together in place (see place).
	levels  []byte
	indexes []byte
	body    []byte
	comp    []byte

	// The last page's body and compressed sizes, from which the next
	// page's compressed size is guessed (see place).
	lastBody, lastPage int64
	header             bytes.Buffer
	enc                thrift.Encoder
	rle                rle.Encoding
	dictEnc            rle.DictionaryEncoding
	aligned            bool // indexes as 0.6.0 wrote them (see encodeIndexes)

	// The chunk so far: its pages are data[base:]. A direct writer's data
	// is the row group's bytes, its chunk going after those of the columns
	// before it (see RowGroupStream.direct); another's is its own buffer,
	// base 0.
	direct bool
	data   []byte
	base   int
	// moved, when set, is called after each page is written: a stream
	// that keeps its pages in a spool moves them out of data there, so
	// that data holds one page and is kept for the next row group (see
	// releasePageWriter).
	moved        func() error
	numRows      int64
	nulls        int64
	uncompressed int64
	unencoded    int64 // byte array values' bytes, lengths left out
	pages        int32
	dictPages    int32 // of pages, those of indexes
	locations    []format.PageLocation
	indexer      parquet.ColumnIndexer
	bounded      bool   // whether a page had bounds
	minValue     []byte // the chunk's bounds, PLAIN encoded, once bounded
	maxValue     []byte
	defHist      []int64 // per level, the chunk's
	pageHists    []int64 // per page, per level
}

// newPageWriter returns the page writer of leaf c of e's schema, with a
// dictionary when dict is set, writing its pages into the row group's
// bytes when direct: one released by an earlier row group, whose buffers
// have grown to a chunk's size, or a new one.
func (e *RowGroupEncoder) newPageWriter(c int, codec compress.Codec, dict, direct bool) *pageWriter {
	w := e.pagers[c].get()
	if w == nil {
		w = e.makePageWriter(c, codec)
	}
	if w.direct = direct; direct {
		w.data = nil
		return w.withDict(dict)
	}
	// The chunk gets the last chunk's size and an eighth at once, rather
	// than growing to it by doubling (only capacity, never bytes).
	if hint := int(e.chunkHints[c].Load()); cap(w.data) < hint {
		w.data = make([]byte, 0, hint)
	}
	return w.withDict(dict)
}

// withDict gives w a dictionary when dict is set, and returns w.
func (w *pageWriter) withDict(dict bool) *pageWriter {
	if dict {
		if w.dict = w.keep; w.dict == nil {
			w.dict = newPageDict(w.width)
		}
		w.keep = nil
	}
	return w
}

// makePageWriter returns a new page writer of leaf c of e's schema.
func (e *RowGroupEncoder) makePageWriter(c int, codec compress.Codec) *pageWriter {
	leaf := &e.leaves[c]
	w := &pageWriter{
		kind:       leaf.kind,
		typ:        leaf.typ,
		maxDef:     byte(e.layout[c].MaxDef),
		path:       leaf.names,
		codec:      codec,
		compressed: codec != nil && codec.CompressionCodec() != format.Uncompressed,
		limit:      int64(int32(float64(e.opts.pageBufferSize()) * 0.98)),
		indexer:    leaf.typ.NewColumnIndexer(e.config.ColumnIndexSizeLimit(leaf.names)),
		aligned:    e.opts.AlignedIndexRuns,
	}
	w.dictCodec = e.opts.dictionaryCodec(codec)
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
	n := int64(len(w.vals)) + 4*int64(len(w.idx))
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
			w.nonNull += bytes.Count(w.defs[at:], []byte{w.maxDef})
		}
		w.index()
		lo += take
		if err := w.endChunk(take); err != nil {
			return err
		}
	}
	return nil
}

// index moves the values just gathered into w.vals into the dictionary,
// as indexes, while the chunk has a dictionary it has not fallen back
// from.
func (w *pageWriter) index() {
	if w.dict == nil || w.dict.plain {
		return
	}
	w.idx = w.dict.appendIndexes(w.idx, w.vals)
	w.vals = w.vals[:0]
}

// flush writes the page being filled, if it holds rows.
func (w *pageWriter) flush() error {
	if w.rows == 0 {
		return nil
	}
	nonNull := w.nonNull
	nulls := int64(w.rows - nonNull)
	indexed := w.dict != nil && !w.dict.plain
	// parquet-go checks the dictionary's size before it writes the page,
	// and the page is written with indexes all the same.
	fallback := indexed && w.dict.size > DictionaryMaxBytes
	vals, valEncoding := w.vals, format.Plain
	if indexed {
		var err error
		if w.indexes, err = w.encodeIndexes(w.indexes[:0]); err != nil {
			return fmt.Errorf("column %q: encode dictionary indexes: %w", w.path, err)
		}
		vals, valEncoding = w.indexes, format.RLEDictionary
	}
	body := vals
	if w.maxDef > 0 {
		var err error
		if w.levels, err = w.rle.EncodeLevels(w.levels[:0], w.defs); err != nil {
			return fmt.Errorf("column %q: encode definition levels: %w", w.path, err)
		}
		body = w.prefixLevels(vals, indexed)
	}
	if int64(len(body)) > math.MaxInt32 {
		return fmt.Errorf("column %q: page of %d bytes exceeds the format's limit", w.path, len(body))
	}

	var lo, hi []byte
	var ok bool
	if indexed {
		lo, hi, ok = w.dictBounds()
	} else {
		lo, hi, ok = w.bounds(nonNull)
	}
	var minValue, maxValue parquet.Value
	var st format.Statistics
	st.NullCount = nulls
	if ok {
		st.Min, st.Max, st.MinValue, st.MaxValue = lo, hi, lo, hi
		minValue, maxValue = w.value(lo), w.value(hi)
	}
	if w.width == 0 && !indexed {
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
	if w.width == 0 && longBounds(&st) {
		// Left out here as trimPageStatistics would leave them out of the
		// finished row group, the same bytes: a streamed row group whose
		// pages all are the page writer's is then never joined in one
		// buffer to trim them (see StreamReadsBack). The column index and
		// the chunk's bounds keep them, as they did.
		st.Min, st.Max, st.MinValue, st.MaxValue = nil, nil, nil, nil
	}
	h := format.PageHeader{
		Type:                 format.DataPage,
		UncompressedPageSize: int32(len(body)),
		DataPageHeader: thrift.New(format.DataPageHeader{
			NumValues:               int32(w.rows),
			Encoding:                valEncoding,
			DefinitionLevelEncoding: format.RLE,
			RepetitionLevelEncoding: format.RLE,
			Statistics:              st,
		}),
	}
	pos := len(w.data)
	headerLen, pageLen, err := w.place(&h, body)
	if err != nil {
		return err
	}

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
		Offset:             int64(pos - w.base),
		CompressedPageSize: int32(headerLen + pageLen),
		FirstRowIndex:      w.numRows,
	})
	if w.maxDef > 0 {
		at := len(w.pageHists)
		w.pageHists = slices.Grow(w.pageHists, len(w.defHist))[:at+len(w.defHist)]
		clear(w.pageHists[at:])
		if w.maxDef == 1 {
			// Levels are 0 or 1, and nonNull counts the 1s.
			w.defHist[0] += nulls
			w.defHist[1] += int64(nonNull)
			w.pageHists[at] = nulls
			w.pageHists[at+1] = int64(nonNull)
		} else {
			for _, d := range w.defs {
				w.defHist[d]++
				w.pageHists[at+int(d)]++
			}
		}
	}
	w.uncompressed += headerLen + int64(len(body))
	w.numRows += int64(w.rows)
	w.nulls += nulls
	w.pages++
	if indexed {
		w.dictPages++
	}
	w.defs, w.vals, w.idx, w.rows, w.nonNull = w.defs[:0], w.vals[:0], w.idx[:0], 0, 0
	if w.maxDef > 0 && !indexed {
		w.reserveLevels()
	}
	if fallback {
		w.dict.plain = true
	}
	if w.moved != nil {
		return w.moved()
	}
	return nil
}
