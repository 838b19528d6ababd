package sinks

import (
	"slices"
	"sync"

	"github.com/parquet-go/parquet-go/format"
)

// This file holds what a page writer does once its chunk's rows are all
// written: the chunk's metadata and page index, and the writer's reuse.

// releasePageWriter resets w, the page writer of column c, and keeps it
// for the next row group, unless its page scratch outgrew
// PooledWriterBytes. The chunk it finished must no longer be used.
//
// A writer whose pages a stream moved into its spool page by page
// (w.moved) keeps its chunk buffer, which held one page at a time: the
// next row group's pages go into memory already faulted in, where each
// streamed row group used to grow a buffer per column anew (about 15 MB
// of allocations a row group of the peers' wide shape). Its size is
// bounded by a page's (see reservePage; a larger one is dropped with the
// writer, by scratchSize), and writers are kept only up to the most in
// use at once (pagerList). Other writers
// keep no chunk buffer: a direct writer's pages went to the row group's
// bytes, and another stream's chunk buffer held its whole chunk; kept
// writers would hold those idle outside the memory budget, so the next
// chunk starts at the size hint instead.
func (e *RowGroupEncoder) releasePageWriter(c int, w *pageWriter) {
	if !w.direct && w.moved == nil {
		e.chunkHints[c].Store(int64(len(w.data) + len(w.data)/8))
	}
	if w.moved != nil && !w.direct {
		w.data = w.data[:0]
	} else {
		w.data = nil
	}
	w.base, w.direct, w.moved = 0, false, nil
	if w.scratchSize() > PooledWriterBytes(int64(e.opts.pageBufferSize())) {
		e.pagers[c].drop()
		return
	}
	w.defs, w.vals, w.idx, w.rows, w.chunk = w.defs[:0], w.vals[:0], w.idx[:0], 0, 0
	w.numRows, w.nulls, w.uncompressed, w.unencoded, w.pages, w.dictPages = 0, 0, 0, 0, 0, 0
	if w.dict != nil {
		w.dict.reset()
		w.keep, w.dict = w.dict, nil
	}
	w.nonNull, w.scratch = 0, false
	w.locations = w.locations[:0]
	w.indexer.Reset()
	w.bounded, w.minValue, w.maxValue = false, w.minValue[:0], w.maxValue[:0]
	clear(w.defHist)
	w.pageHists = w.pageHists[:0]
	e.pagers[c].put(w)
}

// reservePage gives w's chunk buffer room for one page compressed in
// place (see place): a page of up to 9/8 of the page size (a page closes
// after the chunk of rows that takes it to its limit), at the codec's
// largest output, after a header. A stream whose pages move to its spool
// after each page (w.moved) then compresses every page straight into the
// buffer it keeps from row group to row group; a larger page, or a codec
// that does not say its bound, takes the copying route.
func (w *pageWriter) reservePage() {
	bound := w.compressBound(int(w.limit + w.limit/8))
	if bound < 0 {
		return
	}
	if n := bound + pageHeaderRoom; cap(w.data) < n {
		w.data = make([]byte, 0, n) // w.data is empty: the chunk is new
	}
}

// pageHeaderRoom is the room reservePage leaves for a page's header: its
// sizes, levels and encodings, and its statistics, whose bounds are a
// byte array column's least and greatest values (longer ones take the
// copying route).
const pageHeaderRoom = 4 << 10

// PooledPricerBytes is the most scratch a dictionary pricer keeps for
// the next row group (parquet_dictprice.go): the sample of a chunk's
// first rows ends once they reach DictionarySampleBytes, so a pricer of
// short values, the usual case (about 60 KiB for the 20 strings of
// benchmarks/peers.sh's wide shape), is kept; one that priced long
// distinct values (a PLAIN copy of a column's sample, its dictionary and
// a compressed body) is made anew for each row group. Pricers are kept in
// a keptList, at most as many as row groups priced at once: a memory
// plan counts this for each (pipeline's heldScratch and keptPages).
const PooledPricerBytes = DictionarySampleBytes

// PooledReencoderBytes is the most scratch an index re-encoder of pages
// of pageBytes uncompressed keeps for the next row group
// (parquet_rle_chunks.go): the pages it re-encoded aside
// (ReencodedAsideBytes and a page at most) and its page buffers (a page
// decompressed, re-encoded and compressed, its indexes and levels),
// counted at twice PooledWriterBytes. One holding more lets go of its
// pages aside, and beyond that is let go. Re-encoders are kept in a
// keptList, at most as many as row groups re-encoded at once, which a
// memory plan counts.
func PooledReencoderBytes(pageBytes int64) int64 {
	return ReencodedAsideBytes + 2*PooledWriterBytes(pageBytes)
}

// PooledWriterBytes is the most page scratch (scratchSize) a page writer
// of pages of pageBytes uncompressed keeps for the next row group; one
// holding more is dropped, and the next row group makes its own. It is
// four buffers of a page and an eighth (a page closes after the chunk of
// rows that takes it past its size): the values, their encoding's room,
// the encoded body, and the compressed page (or, streaming, the chunk
// buffer reservePage keeps), and pooledWriterSlack for the levels and
// statistics. The memory plan counts it for each writer of a streaming
// job (pipeline's keptPages), so it must not exceed what is counted
// there. Measured on the shapes of benchmarks/peers.sh: at most 4.34
// pages (mixed, streamed; a PLAIN column whose four buffers are all in
// use), wide 2.33 (a dictionary column's indexes and chunk buffer);
// flights' first column, which holds a dictionary and falls back to
// PLAIN, 5.33 pages, and is made anew each row group (1.4 MB). Until
// session 17 the bound was max(16 MiB, 8 pages): a writer whose page had
// held a value of up to 16 MiB was kept holding it, uncounted.
func PooledWriterBytes(pageBytes int64) int64 {
	return pageBytes*9/2 + pooledWriterSlack
}

// pooledWriterSlack is the part of PooledWriterBytes that does not
// scale with the page size.
const pooledWriterSlack = 16 << 10

// scratchSize returns the capacity of w's page buffers, in bytes.
func (w *pageWriter) scratchSize() int64 {
	n := cap(w.data) + cap(w.defs) + cap(w.vals) + cap(w.room) + cap(w.levels) + cap(w.indexes) + cap(w.body) + cap(w.comp) + 4*cap(w.idx)
	if w.keep != nil {
		n += w.keep.scratchSize()
	}
	if w.dict != nil {
		n += w.dict.scratchSize()
	}
	return int64(n)
}

// pagerList holds the page writers of one column that row groups
// released, for the next ones (see keptList).
type pagerList = keptList[*pageWriter]

// keptList holds values (page writers, pricers, re-encoders) that their
// users released, for the next ones: at most as many as were in use at
// once, so that idle ones never hold more than their users held at their
// peak, and a memory plan that counts each user's scratch counts them. A
// sync.Pool, which the garbage collector empties, made a run's page
// writers anew after each collection (under a tight memory limit, every
// few row groups), their buffers in fresh memory the system faults in
// page by page; and it bounds neither how many values it keeps nor, with
// a private slot per processor, that no more are made than are in use. A
// value never put back nor dropped (that of a stream abandoned after an
// error) counts as in use for good, raising the peak by one. It is safe
// for concurrent use; its zero value is empty.
type keptList[T any] struct {
	mu   sync.Mutex
	free []T
	out  int // values handed out and not yet put back or dropped
	peak int // the most handed out at once
}

// get returns a kept value, or the zero value; the caller makes one
// then. Either way the value counts as handed out until put or dropped.
func (l *keptList[T]) get() T {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out++
	l.peak = max(l.peak, l.out)
	var v T
	n := len(l.free)
	if n == 0 {
		return v
	}
	v = l.free[n-1]
	l.free[n-1] = *new(T)
	l.free = l.free[:n-1]
	return v
}

// put keeps v, handed out by get, for a later get while fewer than the
// peak are kept.
func (l *keptList[T]) put(v T) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out--
	if len(l.free) < l.peak {
		l.free = append(l.free, v)
	}
}

// drop counts a value handed out by get as no longer in use, not kept.
func (l *keptList[T]) drop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.out--
}

// kept returns the number of values l keeps.
func (l *keptList[T]) kept() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.free)
}

// ownChunk is a column chunk the page writer finished and placed in a row
// group's bytes: the metadata parquet-go's writer would give it and its
// page index, offsets those of the row group's bytes.
type ownChunk struct {
	meta        format.ColumnChunk
	columnIndex format.ColumnIndex
	offsetIndex format.OffsetIndex
}

// finishInto writes the last page and places the chunk at the end of rg,
// the row group's bytes so far, returning them with the chunk. A direct
// writer's pages are already there (w.data is rg grown by them from
// w.base), and only its dictionary page is moved in before them; another
// writer's chunk is copied.
func (w *pageWriter) finishInto(rg []byte) ([]byte, *ownChunk, error) {
	if err := w.flush(); err != nil {
		return rg, nil, err
	}
	// Sorted, as parquet-go sorts them.
	encodings := []format.Encoding{format.Plain}
	if w.maxDef > 0 {
		encodings = append(encodings, format.RLE)
	}
	var stats []format.PageEncodingStats
	if n := w.pages - w.dictPages; n > 0 {
		stats = append(stats, format.PageEncodingStats{PageType: format.DataPage, Encoding: format.Plain, Count: n})
	}
	var dict []byte
	if w.dict != nil {
		encodings = append(encodings, format.RLEDictionary)
		if w.dictPages > 0 {
			stats = append(stats, format.PageEncodingStats{PageType: format.DataPage, Encoding: format.RLEDictionary, Count: w.dictPages})
		}
		stats = append(stats, format.PageEncodingStats{PageType: format.DictionaryPage, Encoding: format.Plain, Count: 1})
		var err error
		if dict, err = w.dictionaryPage(); err != nil {
			return rg, nil, err
		}
	}
	start := len(rg)
	if w.direct {
		rg, start = w.data, w.base
		if len(dict) > 0 {
			// The dictionary is complete only now, and goes first: the
			// pages move up in place, which costs a copy of the chunk's
			// pages but no memory.
			end := len(rg)
			rg = appendDoubling(rg, dict)
			copy(rg[start+len(dict):], rg[start:end])
			copy(rg[start:], dict)
		}
		w.data = nil
	} else {
		rg = appendDoubling(rg, dict)
		rg = appendDoubling(rg, w.data)
	}
	at := int64(start + len(dict)) // the first data page
	md := format.ColumnMetaData{
		Type:                  format.Type(w.kind),
		Encoding:              encodings,
		PathInSchema:          w.path,
		Codec:                 format.Uncompressed,
		NumValues:             w.numRows,
		TotalUncompressedSize: w.uncompressed,
		TotalCompressedSize:   int64(len(rg) - start),
		DataPageOffset:        at,
		Statistics: format.Statistics{
			NullCount: w.nulls,
		},
		EncodingStats: stats,
		SizeStatistics: format.SizeStatistics{
			UnencodedByteArrayDataBytes: w.unencoded,
			DefinitionLevelHistogram:    slices.Clone(w.defHist),
		},
	}
	if dict != nil {
		md.DictionaryPageOffset = int64(start)
	}
	for k := range w.locations {
		w.locations[k].Offset += at
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
	return rg, &ownChunk{
		meta:        format.ColumnChunk{MetaData: md},
		columnIndex: ci,
		offsetIndex: format.OffsetIndex{PageLocations: w.locations},
	}, nil
}
