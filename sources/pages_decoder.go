package sources

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Pages read by parquet-go.
//
// parquet-go sizes some of its buffers by counts a page's bytes declare,
// before it decodes them, and trusts them: the runs of the
// RLE/bit-packing hybrid encoding (levels, dictionary indexes, RLE
// booleans) are decoded whole, however many values they declare past the
// page's (8 bytes declared 583 million levels), and a page of
// DELTA_LENGTH_BYTE_ARRAY or DELTA_BYTE_ARRAY byte arrays gets a buffer of
// the sum of its lengths (a 4 KiB file asked for 1.9 GB); both were found
// by FuzzReadBatch, and the runtime does not survive a failed allocation.
// The direct decoder checks these itself (parquet_hybrid.go,
// parquet_delta.go). Every read through parquet-go's pages (rows, single
// columns, batches of pages direct decoding leaves, from a file or over a
// Fetcher) first has its chunks' pages checked by checkDecoderPages: the runs of
// each hybrid-encoded section may declare at most MaxPageValues values in
// all (as the direct decoder's), delta byte array lengths must decode and
// fit as the direct decoder requires (and make FIXED_LEN_BYTE_ARRAY
// values of their width), a DELTA_BINARY_PACKED header may declare no
// more values than its page, and PLAIN booleans and fixed-width values
// must have the bits or bytes of each defined value (parquet-go otherwise
// reads stale bits of a pooled buffer; a required column's page size says
// so from its header). Pages of required columns in other encodings (PLAIN but
// booleans, BYTE_STREAM_SPLIT) have only their headers read; the others
// are read, and decompressed, twice: about 10% more CPU on the row path
// of the mixed shape.

// checkDecoderPages checks the pages of column c of row group rg, read
// from r, as the comment above says: those of spans, the bytes of whole
// pages a range reads, or when nil every page of the chunk.
func (p *Parquet) checkDecoderPages(r io.ReaderAt, rg, c int, spans []span) error {
	cc := &p.file.Metadata().RowGroups[rg].Columns[c]
	m := &cc.MetaData
	if cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 {
		return nil
	}
	if spans == nil {
		start, end, _, ok := p.chunkBytes(m)
		if !ok {
			return nil // checkPages refuses it
		}
		spans = []span{{start, end - start}}
	}
	bufs := getPageBuffers()
	defer putPageBuffers(bufs)
	for _, sp := range spans {
		if err := p.checkDecoderSpan(r, rg, c, m, sp, bufs); err != nil {
			return err
		}
	}
	return nil
}

// checkDecoderSpan checks the pages of span sp of column c of row group
// rg, whose metadata is m.
func (p *Parquet) checkDecoderSpan(r io.ReaderAt, rg, c int, m *format.ColumnMetaData, sp span, bufs *pageBuffers) error {
	var compact thrift.CompactProtocol
	for off, end := sp.off, sp.off+sp.n; off < end; {
		h, n, err := readPageHeaderInto(r, &compact, off, end-off, &bufs.header)
		if err == nil {
			err = p.checkPageHeader(c, m, h, end-off-n)
		}
		if err == nil {
			err = p.checkDecoderPage(r, c, m, h, off+n, bufs)
		}
		if err != nil {
			err = fmt.Errorf("page at byte %d: %w", off, err)
			if !errors.Is(err, ErrUnsupported) {
				err = fmt.Errorf("%w: %w", ErrCorrupt, err)
			}
			return &InputError{Path: p.name, RowGroup: rg, Column: p.layout[c].Path, Err: err}
		}
		off += n + int64(h.CompressedPageSize)
	}
	return nil
}

// checkDecoderPage checks the page of header h, of a chunk of metadata m,
// whose body starts at off, if it is a data page with levels or values
// in the hybrid encoding, or of byte arrays in a delta encoding.
func (p *Parquet) checkDecoderPage(r io.ReaderAt, c int, m *format.ColumnMetaData, h *format.PageHeader, off int64, bufs *pageBuffers) error {
	var enc format.Encoding
	var most int64 // the page's values: a bound on the lengths it holds
	switch h.Type {
	case format.DataPage:
		enc, most = h.DataPageHeader.V.Encoding, int64(h.DataPageHeader.V.NumValues)
	case format.DataPageV2:
		enc, most = h.DataPageHeaderV2.V.Encoding, int64(h.DataPageHeaderV2.V.NumValues)
	default:
		return nil
	}
	// The schema's type, not the chunk metadata's, which may lie: it is
	// the schema's that parquet-go decodes by.
	leaf := p.layout[c]
	levels := leaf.MaxRep > 0 || leaf.MaxDef > 0
	//lint:ignore SA1019 Parquet 1.0 writers mark dictionary-encoded pages PLAIN_DICTIONARY
	dict := enc == format.RLEDictionary || enc == format.PlainDictionary
	delta := enc == format.DeltaLengthByteArray || enc == format.DeltaByteArray
	// DELTA_BINARY_PACKED: parquet-go sizes its values by the count the
	// header declares (1 GiB for a FIXED_LEN_BYTE_ARRAY page's prefix
	// lengths, FuzzReadBatch/93513a2a9311ccf4).
	deltaInts := enc == format.DeltaBinaryPacked
	bools := leaf.Kind == parquet.Boolean && enc == format.RLE
	// PLAIN booleans: parquet-go reads the bits of the defined values
	// from a pooled buffer whether or not the page holds them, so a page
	// short of them read earlier pages' bits (FuzzReadBatch/d6f83b7ca6990444).
	plainBools := leaf.Kind == parquet.Boolean && enc == format.Plain
	// PLAIN fixed-width values likewise: a page short of its defined
	// values' bytes read a pooled buffer's (FuzzReadBatch/76ac8e57d04001dd,
	// a value that changed from run to run). Without levels every value
	// is defined, and the header's size says whether they are there.
	var width int64
	if enc == format.Plain && leaf.Kind != parquet.ByteArray {
		width = plainBytes(leaf)
	}
	if width > 0 && !levels {
		size := int64(h.UncompressedPageSize)
		if h.Type == format.DataPageV2 {
			size -= int64(h.DataPageHeaderV2.V.RepetitionLevelsByteLength) + int64(h.DataPageHeaderV2.V.DefinitionLevelsByteLength)
		}
		if size < most*width {
			return fmt.Errorf("%d values of %d bytes in %d bytes", most, width, size)
		}
		return nil
	}
	plainFixed := width > 0
	if !levels && !dict && !delta && !deltaInts && !bools && !plainBools {
		return nil
	}
	body := sized(bufs.comp, int(h.CompressedPageSize))
	bufs.comp = body
	if n, err := r.ReadAt(body, off); n < len(body) {
		return fmt.Errorf("reading the page: %w", err)
	}
	codec := m.Codec
	var values, defLevels []byte
	if h.Type == format.DataPage {
		plain, err := decompress(codec, body, int(h.UncompressedPageSize), bufs)
		if err != nil {
			return fmt.Errorf("%w data page v1: %w", errDecompress, err)
		}
		// The levels before the values, each behind its 4-byte length.
		for _, max := range []int{leaf.MaxRep, leaf.MaxDef} {
			if max == 0 {
				continue
			}
			if len(plain) < 4 || int64(binary.LittleEndian.Uint32(plain)) > int64(len(plain)-4) {
				return errors.New("levels overrun the page")
			}
			size := binary.LittleEndian.Uint32(plain)
			if err := checkRuns("levels", plain[4:4+size], bits.Len(uint(max))); err != nil {
				return err
			}
			defLevels = plain[4 : 4+size] // the second section, if two
			plain = plain[4+size:]
		}
		values = plain
	} else {
		v := &h.DataPageHeaderV2.V
		// checkPageHeader checked the levels' lengths.
		rep, def := body[:v.RepetitionLevelsByteLength], body[v.RepetitionLevelsByteLength:v.RepetitionLevelsByteLength+v.DefinitionLevelsByteLength]
		if err := checkRuns("repetition levels", rep, bits.Len(uint(leaf.MaxRep))); err != nil {
			return err
		}
		if err := checkRuns("definition levels", def, bits.Len(uint(leaf.MaxDef))); err != nil {
			return err
		}
		if !dict && !delta && !deltaInts && !bools && !plainBools && !plainFixed {
			return nil
		}
		defLevels = def
		values = body[v.RepetitionLevelsByteLength+v.DefinitionLevelsByteLength:]
		if !v.IsCompressed.Valid || v.IsCompressed.V {
			var err error
			size := int(h.UncompressedPageSize - v.RepetitionLevelsByteLength - v.DefinitionLevelsByteLength)
			if values, err = decompress(codec, values, size, bufs); err != nil {
				return fmt.Errorf("%w data page v2: %w", errDecompress, err)
			}
		}
	}
	// defined counts the page's defined values from its levels.
	defined := func() (int, error) {
		if leaf.MaxDef == 0 {
			return int(most), nil
		}
		bufs.defs = sized(bufs.defs, int(most))
		n, err := decodeLevels(bufs.defs, defLevels, bits.Len(uint(leaf.MaxDef)), byte(leaf.MaxDef), &bufs.pad)
		if err != nil {
			return 0, fmt.Errorf("definition levels: %w", err)
		}
		return n, nil
	}
	switch {
	case plainBools, plainFixed:
		defined, err := defined()
		if err != nil {
			return err
		}
		if plainBools && int64(len(values))*8 < int64(defined) {
			return fmt.Errorf("%d booleans in %d bytes", defined, len(values))
		}
		if plainFixed && int64(len(values)) < int64(defined)*width {
			return fmt.Errorf("%d values of %d bytes in %d bytes", defined, width, len(values))
		}
		return nil
	case dict:
		if len(values) == 0 {
			return nil // a page of nulls
		}
		if err := checkRuns("dictionary indexes", values[1:], int(values[0])); err != nil {
			return err
		}
		// Runs short of the defined values: parquet-go read the rest
		// from a pooled buffer, other values on each read path
		// (FuzzReadBatch/2b047eb7eed4afde). Decoded as direct decoding
		// decodes them, so both refuse the same pages.
		defined, err := defined()
		if err != nil {
			return err
		}
		bufs.indexes = sized(bufs.indexes, defined)
		if err := decodeHybrid(bufs.indexes, values[1:], int(values[0]), &bufs.pad); err != nil {
			return fmt.Errorf("dictionary indexes: %w", err)
		}
		return nil
	case bools:
		if len(values) < 4 || int64(binary.LittleEndian.Uint32(values)) > int64(len(values)-4) {
			return nil // parquet-go refuses it before decoding
		}
		runs := values[4 : 4+binary.LittleEndian.Uint32(values)]
		if err := checkRuns("booleans", runs, 1); err != nil {
			return err
		}
		// As PLAIN ones, RLE booleans short of the defined values were
		// read from a pooled buffer (FuzzReadBatch/a5701ba82e0ffc26).
		defined, err := defined()
		if err != nil {
			return err
		}
		if n := runsDeclared(runs, 1); n < uint64(defined) {
			return fmt.Errorf("%d booleans in runs of %d", defined, n)
		}
		return nil
	case deltaInts:
		if count, ok := deltaCount(values); ok && count > uint64(most) {
			return fmt.Errorf("delta header declares %d values in a page of %d", count, most)
		}
		return nil
	case !delta:
		return nil
	}
	if enc == format.DeltaLengthByteArray {
		lengths, data, err := deltaLengths(values, most, &bufs.indexes, bufs)
		if err != nil {
			return fmt.Errorf("byte array lengths: %w", err)
		}
		bufs.offsets = sized(bufs.offsets, len(lengths)+1)
		_, err = deltaOffsets(bufs.offsets, lengths, len(data))
		return err
	}
	prefixes, rest, err := deltaLengths(values, most, &bufs.prefixes, bufs)
	if err != nil {
		return fmt.Errorf("byte array prefix lengths: %w", err)
	}
	suffixes, data, err := deltaLengths(rest, most, &bufs.indexes, bufs)
	switch {
	case err != nil:
		return fmt.Errorf("byte array suffix lengths: %w", err)
	case len(suffixes) != len(prefixes):
		return fmt.Errorf("%d prefix lengths and %d suffix lengths", len(prefixes), len(suffixes))
	}
	bufs.offsets = sized(bufs.offsets, len(suffixes)+1)
	if _, err := deltaOffsets(bufs.offsets, suffixes, len(data)); err != nil {
		return err
	}
	var total, prev int64
	for k, n := range prefixes {
		if n < 0 || int64(n) > prev {
			return fmt.Errorf("byte array value %d: prefix of %d bytes, the value before has %d", k, n, prev)
		}
		prev = int64(n) + int64(suffixes[k])
		// parquet-go's FIXED_LEN_BYTE_ARRAY decoder trusts the lengths:
		// a value of another width took bytes of a pooled buffer
		// (FuzzReadBatch/f6cbaca158c237c2).
		if leaf.Kind == parquet.FixedLenByteArray && prev != int64(leaf.Length) {
			return fmt.Errorf("byte array value %d of %d bytes in a column of %d", k, prev, leaf.Length)
		}
		if total += prev; total > MaxColumnChunkBytes {
			return fmt.Errorf("%w: byte arrays of more than %d bytes in a page", ErrUnsupported, int64(MaxColumnChunkBytes))
		}
	}
	return nil
}

// deltaLengths decodes the DELTA_BINARY_PACKED lengths at the start of
// src into *buf, as many as their header declares (at most most, the
// page's values, which checkPageHeader held to MaxPageValues), and
// returns them with the bytes past them.
func deltaLengths(src []byte, most int64, buf *[]int32, bufs *pageBuffers) ([]int32, []byte, error) {
	if len(src) == 0 {
		return nil, src, nil // a page of nulls
	}
	count, ok := deltaCount(src)
	if !ok {
		return nil, nil, errors.New("delta header unreadable")
	}
	if count > uint64(most) {
		return nil, nil, fmt.Errorf("delta header declares %d values in a page of %d", count, most)
	}
	*buf = sized(*buf, int(count))
	tail, err := decodeDelta(*buf, src, &bufs.pad)
	return *buf, tail, err
}

// checkRuns refuses a section of runs of the RLE/bit-packing hybrid
// encoding, values of width bits, that declare more than MaxPageValues
// values in all.
func checkRuns(what string, src []byte, width int) error {
	if runsDeclared(src, width) > MaxPageValues {
		return fmt.Errorf("%s: %w", what, errRunsDeclare)
	}
	return nil
}

// runsDeclared returns how many values the runs of src, of the
// RLE/bit-packing hybrid encoding and values of width bits, declare, up
// to the first header that does not read or run that overruns src; at
// most MaxPageValues+1.
func runsDeclared(src []byte, width int) uint64 {
	bytesPer := uint64(width+7) / 8
	var n uint64
	for len(src) > 0 && n <= MaxPageValues {
		header, k := binary.Uvarint(src)
		if k <= 0 {
			break
		}
		src = src[k:]
		count, skip := header>>1, bytesPer
		if header&1 != 0 {
			count, skip = min(header>>1, MaxPageValues)*8, min(header>>1, MaxPageValues)*uint64(width)
		}
		n += min(count, MaxPageValues+1)
		if skip > uint64(len(src)) {
			break
		}
		src = src[skip:]
	}
	return min(n, MaxPageValues+1)
}

// deltaCount returns the value count a DELTA_BINARY_PACKED header at the
// start of src declares (its third number), and false if it does not
// read.
func deltaCount(src []byte) (uint64, bool) {
	var count uint64
	for range 3 {
		v, n := binary.Uvarint(src)
		if n <= 0 {
			return 0, false
		}
		count, src = v, src[n:]
	}
	return count, true
}
