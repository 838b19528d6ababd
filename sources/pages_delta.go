package sources

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Byte arrays in a delta encoding, read by parquet-go.
//
// Before it decodes a data page of DELTA_LENGTH_BYTE_ARRAY or
// DELTA_BYTE_ARRAY byte arrays, parquet-go allocates a buffer of the sum
// of the lengths the page's length headers decode to
// (EstimateDecodeByteArraySize), trusting them: a few damaged bytes may
// claim gigabytes (a 4 KiB file asked for 1.9 GB, found by FuzzReadBatch).
// The direct decoder checks those lengths itself (parquet_delta.go);
// every read through parquet-go's pages (rows, single columns, batches
// over a Fetcher or of pages direct decoding leaves) first has the pages
// of such a chunk checked by checkDeltaPages, which decodes their lengths
// as the direct decoder does and refuses what it refuses: lengths that
// do not decode, a negative one, suffix lengths adding up past the page,
// a prefix longer than the value before, or values adding up past
// MaxColumnChunkBytes. Only chunks whose footer lists one of the two
// encodings are read twice.

// checkDeltaPages checks the delta-encoded byte array pages of column c of
// row group rg, read from r, as the package comment above says.
func (p *Parquet) checkDeltaPages(r io.ReaderAt, rg, c int) error {
	cc := &p.file.Metadata().RowGroups[rg].Columns[c]
	m := &cc.MetaData
	if m.Type != format.ByteArray || !listsDeltaBytes(m) || cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 {
		return nil
	}
	start, end, _, ok := p.chunkBytes(m)
	if !ok {
		return nil // checkPages refuses it
	}
	bufs := getPageBuffers()
	defer putPageBuffers(bufs)
	var compact thrift.CompactProtocol
	for off, k := start, 0; off < end; k++ {
		h, n, err := readPageHeaderInto(r, &compact, off, end-off, &bufs.header)
		if err == nil {
			err = p.checkPageHeader(c, m, h, end-off-n)
		}
		if err == nil {
			err = p.checkDeltaPage(r, c, m.Codec, h, off+n, bufs)
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

// listsDeltaBytes reports whether the footer of a chunk lists a delta
// encoding of byte arrays.
func listsDeltaBytes(m *format.ColumnMetaData) bool {
	for _, e := range m.Encoding {
		if e == format.DeltaLengthByteArray || e == format.DeltaByteArray {
			return true
		}
	}
	return false
}

// checkDeltaPage checks the page of header h whose body starts at off, if
// it is a data page of byte arrays in a delta encoding.
func (p *Parquet) checkDeltaPage(r io.ReaderAt, c int, codec format.CompressionCodec, h *format.PageHeader, off int64, bufs *pageBuffers) error {
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
	if enc != format.DeltaLengthByteArray && enc != format.DeltaByteArray {
		return nil
	}
	body := sized(bufs.comp, int(h.CompressedPageSize))
	bufs.comp = body
	if n, err := r.ReadAt(body, off); n < len(body) {
		return fmt.Errorf("reading the page: %w", err)
	}
	var values []byte
	if h.Type == format.DataPage {
		plain, err := decompress(codec, body, int(h.UncompressedPageSize), bufs)
		if err != nil {
			return fmt.Errorf("%w data page v1: %w", errDecompress, err)
		}
		// The levels before the values, each behind its 4-byte length.
		leaf := p.layout[c]
		for _, present := range []bool{leaf.MaxRep > 0, leaf.MaxDef > 0} {
			if !present {
				continue
			}
			if len(plain) < 4 || int64(binary.LittleEndian.Uint32(plain)) > int64(len(plain)-4) {
				return errors.New("levels overrun the page")
			}
			plain = plain[4+binary.LittleEndian.Uint32(plain):]
		}
		values = plain
	} else {
		v := &h.DataPageHeaderV2.V
		values = body[v.RepetitionLevelsByteLength+v.DefinitionLevelsByteLength:] // checkPageHeader checked them
		if !v.IsCompressed.Valid || v.IsCompressed.V {
			var err error
			size := int(h.UncompressedPageSize - v.RepetitionLevelsByteLength - v.DefinitionLevelsByteLength)
			if values, err = decompress(codec, values, size, bufs); err != nil {
				return fmt.Errorf("%w data page v2: %w", errDecompress, err)
			}
		}
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
	// The header: block size, miniblocks a block, value count.
	rest := src
	var count uint64
	for range 3 {
		v, n := binary.Uvarint(rest)
		if n <= 0 {
			return nil, nil, errors.New("delta header unreadable")
		}
		count, rest = v, rest[n:]
	}
	if count > uint64(most) {
		return nil, nil, fmt.Errorf("delta header declares %d values in a page of %d", count, most)
	}
	*buf = sized(*buf, int(count))
	tail, err := decodeDelta(*buf, src, &bufs.pad)
	return *buf, tail, err
}
