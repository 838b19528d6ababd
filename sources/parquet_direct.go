package sources

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/bits"
	"sync/atomic"
	"weak"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
)

// Direct page decoding. The Parquet decoder (parquet-go) reads a page into
// a buffer, decompresses it into a second, decodes its levels and values
// into more (offsets for byte arrays), all from pools that the collector
// empties at every cycle: under the soft memory limit cycles are frequent,
// and most pages of a split were decoded into fresh memory, which the
// runtime zeroes and the kernel faults in (a third of a split's
// allocations on benchmarks/peers.sh's mixed shape). A batch then copies
// the values out of those buffers.
//
// For the pages most files hold, ReadBatch decodes itself: a column chunk
// of fixed-width values (not booleans) or byte arrays, not encrypted, read
// through the input's ReaderAt or, over a [Fetcher], through the chunk's
// window (parquet_fetch.go), whose data pages (v1 or v2) hold PLAIN or dictionary
// (PLAIN_DICTIONARY, RLE_DICTIONARY) values, or delta-encoded ones
// (parquet_delta.go: DELTA_LENGTH_BYTE_ARRAY as parquet-go writes strings,
// DELTA_BYTE_ARRAY, DELTA_BINARY_PACKED integers, BYTE_STREAM_SPLIT),
// and RLE definition
// levels, and whose dictionary page is PLAIN. Each page is read into a buffer
// kept from earlier pages, decompressed into another (or used as it is,
// uncompressed) and its values appended from there to the batch's column:
// fixed-width values copied, byte arrays copied from after their length
// prefixes, dictionary indexes gathered. The buffers go back to a small
// pool of their own (pageBuffers), bounded by count and size, which the
// collector does not empty. Anything else, found before the chunk is
// read or at any page, is left to parquet-go: the column is cut back to
// where it was and read again that way. The rows, values and levels are
// those parquet-go's pages give (TestDirectMatchesPages), and the checks
// of page headers (checkPageHeader) are made again on each page read.

// directOff, set by tests, leaves every chunk to parquet-go.
var directOff bool

// directStats counts the column chunks decoded directly, and those left
// to parquet-go (before or while they were read), for tests and
// benchmarks.
var directStats struct{ direct, left atomic.Int64 }

// errDecompress marks the errors of a page's decompression.
var errDecompress = errors.New("decompressing")

// errNotDirect reports a page that direct decoding leaves to parquet-go.
var errNotDirect = errors.New("page left to the Parquet decoder")

// readDirect appends the rows of column chunk c to col by direct
// decoding, and reports false, with col as it was, when the chunk is left
// to parquet-go.
func (r *chunkReader) readDirect(ctx context.Context, c int, chunk parquet.ColumnChunk, col *columnar.Column, md *format.ColumnMetaData) (bool, error) {
	plan, ok := r.directPlan(c, chunk, col)
	if !ok || directOff {
		directStats.left.Add(1)
		return false, nil
	}
	defs, fixed, offsets, data := len(col.Defs), len(col.Fixed), len(col.Offsets), len(col.Bytes)
	bufs := getPageBuffers()
	err := r.decodeDirect(ctx, c, plan, col, md, bufs)
	putPageBuffers(bufs)
	if errors.Is(err, errNotDirect) {
		col.Defs, col.Fixed, col.Offsets, col.Bytes = col.Defs[:defs], col.Fixed[:fixed], col.Offsets[:offsets], col.Bytes[:data]
		r.dict, r.dictMax = nil, 0
		directStats.left.Add(1)
		return false, nil
	}
	directStats.direct.Add(1)
	return true, err
}

// decodeDirect reads the pages of plan and appends their rows within
// [plan.lo, plan.hi) to col.
func (r *chunkReader) decodeDirect(ctx context.Context, c int, plan directChunk, col *columnar.Column, md *format.ColumnMetaData, bufs *pageBuffers) error {
	full := &r.p.file.Metadata().RowGroups[r.rg].Columns[c].MetaData
	r.dict, r.dictMax, r.presized = nil, 0, false
	var compact thrift.CompactProtocol
	pos := plan.pos
	k := 0
	for _, sp := range plan.spans {
		end := sp.off + sp.n
		if err := r.readSpan(c, plan.r, sp, plan.hi == math.MaxInt64, full, bufs); err != nil {
			return err
		}
		for off := sp.off; off < end && pos < plan.hi; k++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			next, rows, err := r.directPage(ctx, c, plan, col, md, full, bufs, &compact, off, end, pos, k)
			if err != nil {
				return err
			}
			off, pos = next, pos+rows
		}
	}
	if n := col.Rows(); int64(n) != r.want {
		return r.fail(c, fmt.Errorf("footer declares %d rows, found %d", r.want, n))
	}
	return nil
}

// directPage decodes the page at off, of the span ending at end, page k
// of the chunk, whose first row is pos, and returns where the next page
// starts and the rows the page holds. A data page straddling the edge of
// plan's rows is decompressed once for the units reading it
// (parquet_direct_edges.go).
func (r *chunkReader) directPage(ctx context.Context, c int, plan directChunk, col *columnar.Column, md, full *format.ColumnMetaData, bufs *pageBuffers, compact *thrift.CompactProtocol, off, end, pos int64, k int) (next, rows int64, err error) {
	src, inSpan := bufs.span.source(plan.r, off, end)
	h, hn, err := readPageHeaderInto(src, compact, off, end-off, &bufs.header)
	if err != nil {
		return 0, 0, r.fail(c, fmt.Errorf("page header at byte %d: %w", off, err))
	}
	if err := r.p.checkPageHeader(c, full, h, end-off-hn); err != nil {
		if errors.Is(err, ErrUnsupported) {
			return 0, 0, &InputError{Path: r.p.name, RowGroup: r.rg, Column: r.p.layout[c].Path, Err: fmt.Errorf("page at byte %d: %w", off, err)}
		}
		return 0, 0, r.fail(c, fmt.Errorf("page at byte %d: %w", off, err))
	}
	size := int(h.CompressedPageSize)
	next = off + hn + int64(size)
	n, _ := dataPageValues(h) // the page's values: rows, as nothing repeats
	codec := full.Codec
	var body []byte
	var keep func(levels, values []byte)
	if n > 0 && plan.hi != math.MaxInt64 && pos < plan.hi && pos+n > plan.lo && (pos < plan.lo || pos+n > plan.hi) &&
		h.UncompressedPageSize <= maxEdgePageBytes {
		key := edgeKey{p: weak.Make(r.p), rg: r.rg, c: c, off: off}
		pg, claimed, err := edges.claim(ctx, key)
		if err != nil {
			return 0, 0, err
		}
		if pg != nil {
			body, codec = pg.data, format.Uncompressed
			defer edges.release(pg)
		}
		if claimed {
			kept := false
			keep = func(levels, values []byte) { edges.put(key, levels, values); kept = true }
			defer func() {
				if !kept {
					edges.drop(key)
				}
			}()
		}
	}
	if body == nil {
		if inSpan {
			// checkPageHeader kept the body within the span.
			body = bufs.span.slice(off+hn, size)
		} else if w, windowed := plan.r.(*window); windowed {
			if b, ok := w.bytes(off+hn, size); ok {
				body = b // the window's own, used before it is read again
			}
		}
		if body == nil && !inSpan {
			body = sized(bufs.comp, size)
			bufs.comp = body
			if n, err := plan.r.ReadAt(body, off+hn); n < size {
				return 0, 0, r.fail(c, fmt.Errorf("page at byte %d: %w", off, err))
			}
		}
		if h.CRC != 0 && uint32(h.CRC) != crc32.ChecksumIEEE(body) {
			return 0, 0, r.fail(c, fmt.Errorf("page at byte %d: crc32 checksum mismatch", off))
		}
	}
	switch h.Type {
	case format.DictionaryPage:
		err = r.directDictionary(c, col, h, body, codec, bufs)
	case format.DataPage, format.DataPageV2:
		rows, err = r.directData(c, col, h, body, codec, bufs, pos, plan, md, keep)
	default:
		return next, 0, nil // index pages and unknown ones: parquet-go skips them too
	}
	if err != nil {
		if errors.Is(err, errNotDirect) {
			return 0, 0, err
		}
		if errors.Is(err, errDecompress) {
			// As parquet-go names the page it failed to decompress.
			return 0, 0, r.fail(c, fmt.Errorf("decoding page %d of column %q: %w", k, r.p.layout[c].Path, err))
		}
		return 0, 0, r.fail(c, fmt.Errorf("page %d: %w", k, err))
	}
	return next, rows, nil
}

// directDictionary decodes a dictionary page, unless the chunk already has
// its dictionary.
func (r *chunkReader) directDictionary(c int, col *columnar.Column, h *format.PageHeader, body []byte, codec format.CompressionCodec, bufs *pageBuffers) error {
	if r.dict != nil {
		return nil
	}
	v := &h.DictionaryPageHeader.V
	//lint:ignore SA1019 Parquet 1.0 writers (DuckDB among them) mark dictionary pages PLAIN_DICTIONARY
	if v.Encoding != format.Plain && v.Encoding != format.PlainDictionary {
		return errNotDirect
	}
	decode := func() (*columnar.Column, error) {
		plain, err := decompress(codec, body, int(h.UncompressedPageSize), bufs)
		if err != nil {
			return nil, fmt.Errorf("%w dictionary page: %w", errDecompress, err)
		}
		dict := &columnar.Column{Type: columnar.Type{Kind: col.Kind, Width: col.Width}}
		n := int(v.NumValues)
		if col.Width == 0 {
			_, err = dict.AppendPlainByteArrays(n, nil, plain)
		} else {
			need := int64(n) * int64(col.Width)
			if need > int64(len(plain)) {
				return nil, fmt.Errorf("dictionary: %d values of %d bytes in %d bytes", n, col.Width, len(plain))
			}
			err = dict.AppendFixed(n, nil, plain[:need])
		}
		if err != nil {
			return nil, fmt.Errorf("dictionary: %w", err)
		}
		return dict, nil
	}
	return r.useDictionary(c, decode)
}

// directData decodes a data page holding rows [pos, pos+n) of the chunk
// and appends those within [plan.lo, plan.hi) to col. It returns n.
func (r *chunkReader) directData(c int, col *columnar.Column, h *format.PageHeader, body []byte, codec format.CompressionCodec, bufs *pageBuffers, pos int64, plan directChunk, md *format.ColumnMetaData, keep func(levels, values []byte)) (int64, error) {
	var n int
	var enc format.Encoding
	var levels, values []byte
	if h.Type == format.DataPage {
		v := &h.DataPageHeader.V
		n, enc = int(v.NumValues), v.Encoding
		if pos+int64(n) <= plan.lo {
			return int64(n), nil // before the range: not decoded
		}
		if !directEncoding(enc, format.Type(col.Kind)) || col.MaxDef > 0 && v.DefinitionLevelEncoding != format.RLE {
			return 0, errNotDirect
		}
		plain, err := decompress(codec, body, int(h.UncompressedPageSize), bufs)
		if err != nil {
			return 0, fmt.Errorf("%w data page v1: %w", errDecompress, err)
		}
		if keep != nil {
			keep(nil, plain)
		}
		values = plain
		if col.MaxDef > 0 {
			if len(plain) < 4 {
				return 0, fmt.Errorf("%d bytes hold no definition levels", len(plain))
			}
			size := binary.LittleEndian.Uint32(plain)
			if int64(size) > int64(len(plain)-4) {
				return 0, fmt.Errorf("%d bytes of definition levels in a page of %d", size, len(plain))
			}
			levels, values = plain[4:4+size], plain[4+size:]
		}
	} else {
		v := &h.DataPageHeaderV2.V
		n, enc = int(v.NumValues), v.Encoding
		if pos+int64(n) <= plan.lo {
			return int64(n), nil
		}
		// checkPageHeader checked the levels' lengths against the page's.
		if !directEncoding(enc, format.Type(col.Kind)) || v.RepetitionLevelsByteLength != 0 {
			return 0, errNotDirect
		}
		split := int(v.DefinitionLevelsByteLength)
		levels = body[:split]
		values = body[split:]
		if !v.IsCompressed.Valid || v.IsCompressed.V {
			var err error
			if values, err = decompress(codec, values, int(h.UncompressedPageSize)-split, bufs); err != nil {
				return 0, fmt.Errorf("%w data page v2: %w", errDecompress, err)
			}
		}
		if keep != nil {
			keep(levels, values)
		}
		if col.MaxDef == 0 {
			levels = nil
		}
	}
	var defs []byte
	defined := n
	if col.MaxDef > 0 {
		// At most 8 bits wide: each level fits a byte.
		bufs.defs = sized(bufs.defs, n)
		defs = bufs.defs
		var err error
		if defined, err = decodeLevels(defs, levels, bits.Len8(col.MaxDef), col.MaxDef, &bufs.pad); err != nil {
			return 0, fmt.Errorf("definition levels: %w", err)
		}
	}
	// parquet-go's rows read as many values as a v2 header says are not
	// null: a count the levels contradict is damage, refused as there.
	if h.Type == format.DataPageV2 && int(h.DataPageHeaderV2.V.NumNulls) != n-defined {
		return 0, fmt.Errorf("the page header counts %d nulls, its definition levels %d", h.DataPageHeaderV2.V.NumNulls, n-defined)
	}
	// The rows of the page within the range, and their values.
	from, to := int(max(plan.lo-pos, 0)), int(min(plan.hi-pos, int64(n)))
	if rows := int64(col.Rows()) + int64(to-from); rows > r.want {
		return 0, fmt.Errorf("brings the column to %d rows, but the footer declares %d", rows, r.want)
	}
	roomFixed(col, to-from, r.want, presizeLimit(md))
	vfrom, vto := from, to
	if defs != nil {
		// decodeLevels counted the page's defined values: without nulls
		// the rows are the values, and the page's end is all of them.
		if defined != n {
			vfrom, vto = definedIn(defs[:from], col.MaxDef), defined
			if to != n {
				vto = vfrom + definedIn(defs[from:to], col.MaxDef)
			}
		}
		defs = defs[from:to]
	}
	switch enc {
	case format.Plain:
		if col.Width == 0 {
			return int64(n), r.directByteArrays(col, to-from, defs, values, vfrom, defined)
		}
		w := col.Width
		if int64(defined)*int64(w) > int64(len(values)) {
			return 0, fmt.Errorf("%d bytes of values for %d defined rows of width %d", len(values), defined, w)
		}
		return int64(n), col.AppendFixed(to-from, defs, values[vfrom*w:vto*w])
	//lint:ignore SA1019 Parquet 1.0 writers (DuckDB among them) mark dictionary-encoded pages PLAIN_DICTIONARY
	case format.PlainDictionary, format.RLEDictionary:
		if r.dict == nil {
			return 0, errors.New("dictionary-encoded page without a dictionary")
		}
		if len(values) < 1 || values[0] > 32 {
			return 0, fmt.Errorf("dictionary indexes of bit width %d", func() int {
				if len(values) < 1 {
					return -1
				}
				return int(values[0])
			}())
		}
		bufs.indexes = sized(bufs.indexes, defined)
		indexes := bufs.indexes
		if err := decodeHybrid(indexes, values[1:], int(values[0]), &bufs.pad); err != nil {
			return 0, fmt.Errorf("dictionary indexes: %w", err)
		}
		if !r.presized {
			presizeIndexed(col, r.dict, r.want, md)
			r.presized = true
		}
		indexes = indexes[vfrom:vto]
		if col.Width == 0 && int64(len(col.Bytes))+int64(len(indexes))*r.dictMax > MaxColumnChunkBytes &&
			int64(len(col.Bytes))+indexedBytes(indexes, r.dict) > MaxColumnChunkBytes {
			return 0, errBatchTooLarge
		}
		return int64(n), appendIndexed(col, to-from, defs, indexes, r.dict)
	case format.DeltaLengthByteArray:
		return int64(n), directDeltaLengths(col, to-from, defs, values, vfrom, vto, defined, bufs)
	case format.DeltaByteArray:
		return int64(n), directDeltaBytes(col, to-from, defs, values, vfrom, vto, defined, bufs)
	case format.DeltaBinaryPacked:
		return int64(n), directDeltaInts(col, to-from, defs, values, vfrom, vto, defined, bufs)
	case format.ByteStreamSplit:
		return int64(n), directByteStreamSplit(col, to-from, defs, values, vfrom, vto, defined, bufs)
	}
	return 0, errNotDirect
}

// directByteArrays appends rows of a page of PLAIN byte arrays: rows
// [from, from+rows) whose levels are defs, the first of whose values is
// the page's vfrom-th; the page holds defined values.
func (r *chunkReader) directByteArrays(col *columnar.Column, rows int, defs, values []byte, vfrom, defined int) error {
	// Skip the values before the range.
	at := 0
	for k := range vfrom {
		if len(values)-at < 4 {
			return fmt.Errorf("byte array value %d: length past the page's %d bytes", k, len(values))
		}
		size := int64(binary.LittleEndian.Uint32(values[at:]))
		if size > int64(len(values)-at-4) {
			return fmt.Errorf("byte array value %d of %d bytes overruns the page's %d bytes", k, size, len(values))
		}
		at += 4 + int(size)
	}
	if int64(len(col.Bytes))+int64(len(values)-at) > MaxColumnChunkBytes {
		return errBatchTooLarge
	}
	_, err := col.AppendPlainByteArrays(rows, defs, values[at:])
	return err
}
