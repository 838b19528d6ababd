package sinks

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math/bits"

	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// The transcoder of parquet_rle_chunks.go: a page of a column chunk
// parquet-go wrote, its dictionary indexes re-encoded, its dictionary
// compressed again.

// transcoders holds runsTranscoders between row groups: their page
// scratch, grown to a page's size, would be allocated anew (and faulted
// in) for each row group. It keeps at most as many as were in use at
// once, each of at most PooledReencoderBytes (release).
var transcoders keptList[*runsTranscoder]

// release gives t back to transcoders with its page scratch, and its
// re-encoded chunks' buffer while the two take at most
// PooledReencoderBytes of pages of t's encoder's page size; a
// re-encoder whose page scratch alone takes more is let go.
func (t *runsTranscoder) release() {
	limit := PooledReencoderBytes(int64(t.e.opts.pageBufferSize()))
	t.e = nil
	if t.scratchSize() > limit {
		t.side = nil
	}
	if t.scratchSize() > limit {
		transcoders.drop()
		return
	}
	transcoders.put(t)
}

// scratchSize returns the capacity of t's buffers, in bytes.
func (t *runsTranscoder) scratchSize() int64 {
	return int64(cap(t.side) + cap(t.plain) + cap(t.body) + cap(t.comp) + 4*cap(t.idx) + cap(t.defs))
}

// runsTranscoder re-encodes the pages of a row group's chunks into out.
type runsTranscoder struct {
	e     *RowGroupEncoder
	side  []byte  // the re-encoded chunks of a row group
	plain []byte  // a page's body, decompressed
	body  []byte  // its new body
	comp  []byte  // compressed
	idx   []int32 // its indexes
	defs  []byte  // its definition levels
}

// page appends page p of column c, raw its header and data, to t.side,
// its indexes re-encoded when it is a data page of them, compressed
// again by the dictionary codec when it is a dictionary page and that
// codec is not the chunk's, and returns the length it appended and how
// much its uncompressed size (header and body) grew.
func (t *runsTranscoder) page(c int, md *format.ColumnMetaData, p page, raw []byte) (int, int64, error) {
	if p.header.Type == format.DataPageV2 {
		return 0, 0, fmt.Errorf("data page v2 (want v1)")
	}
	codec := t.e.codec
	var body []byte // the page's new body, uncompressed
	switch {
	case p.header.Type == format.DictionaryPage && t.e.recompressDictionaries() && md.Codec != format.Uncompressed:
		if err := t.decompress(&p.header, raw[p.headerLen:]); err != nil {
			return 0, 0, err
		}
		codec, body = t.e.dictCodec, t.plain
	case indexPage(&p.header) && !t.e.opts.AlignedIndexRuns:
		same, err := t.encode(c, md, p, raw)
		if err != nil {
			return 0, 0, err
		}
		if same {
			t.side = append(t.side, raw...)
			return len(raw), 0, nil
		}
		body = t.body
	default:
		t.side = append(t.side, raw...)
		return len(raw), 0, nil
	}
	page := body
	if md.Codec != format.Uncompressed {
		var err error
		if t.comp, err = codec.Encode(t.comp[:0], body); err != nil {
			return 0, 0, fmt.Errorf("compress: %w", err)
		}
		page = t.comp
	}
	h := p.header
	h.UncompressedPageSize = int32(len(body))
	h.CompressedPageSize = int32(len(page))
	h.CRC = int32(crc32.ChecksumIEEE(page))
	hb, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
	if err != nil {
		return 0, 0, fmt.Errorf("encode header: %w", err)
	}
	t.side = append(t.side, hb...)
	t.side = append(t.side, page...)
	grew := int64(len(hb)+len(body)) - (p.headerLen + int64(p.header.UncompressedPageSize))
	return len(hb) + len(page), grew, nil
}

// encode sets t.body to the uncompressed body of page p of column c, a
// data page of indexes whose header and data are raw, with its indexes
// encoded by appendIndexRuns, and reports whether that is the body the
// page holds.
func (t *runsTranscoder) encode(c int, md *format.ColumnMetaData, p page, raw []byte) (bool, error) {
	h := &p.header
	data := raw[p.headerLen:]
	plain := data
	if md.Codec != format.Uncompressed {
		if err := t.decompress(h, data); err != nil {
			return false, err
		}
		plain = t.plain
	}
	if len(plain) != int(h.UncompressedPageSize) {
		return false, fmt.Errorf("body of %d bytes, header says %d", len(plain), h.UncompressedPageSize)
	}
	layout := t.e.layout[c]
	rest := plain
	section := func() ([]byte, error) {
		if len(rest) < 4 {
			return nil, fmt.Errorf("levels cut short")
		}
		n := binary.LittleEndian.Uint32(rest)
		if uint64(n) > uint64(len(rest)-4) {
			return nil, fmt.Errorf("levels of %d bytes overrun the page", n)
		}
		s := rest[4 : 4+n]
		rest = rest[4+n:]
		return s, nil
	}
	values := int(h.DataPageHeader.V.NumValues)
	if values < 0 {
		return false, fmt.Errorf("%d values", values)
	}
	if layout.MaxRep > 0 {
		if _, err := section(); err != nil {
			return false, err
		}
	}
	if layout.MaxDef > 0 {
		levels, err := section()
		if err != nil {
			return false, err
		}
		dec := rle.Encoding{BitWidth: bits.Len8(uint8(layout.MaxDef))}
		if t.defs, err = dec.DecodeLevels(t.defs[:0], levels); err != nil {
			return false, fmt.Errorf("definition levels: %w", err)
		}
		if len(t.defs) < values {
			return false, fmt.Errorf("%d definition levels for %d values", len(t.defs), values)
		}
		defs := t.defs[:values]
		values = 0
		for _, d := range defs {
			if int(d) == layout.MaxDef {
				values++
			}
		}
	}
	var dec rle.DictionaryEncoding
	var err error
	if t.idx, err = dec.DecodeInt32(t.idx[:0], rest); err != nil {
		return false, fmt.Errorf("indexes: %w", err)
	}
	if len(t.idx) < values {
		return false, fmt.Errorf("%d indexes for %d values", len(t.idx), values)
	}
	prefix := plain[:len(plain)-len(rest)]
	t.body = append(t.body[:0], prefix...)
	t.body = appendIndexRuns(t.body, t.idx[:values])
	return bytes.Equal(t.body[len(prefix):], rest), nil
}

// decompress sets t.plain to data, the compressed body of a page whose
// header is h, decompressed by the encoder's codec.
func (t *runsTranscoder) decompress(h *format.PageHeader, data []byte) error {
	if h.UncompressedPageSize < 0 {
		return fmt.Errorf("uncompressed size %d", h.UncompressedPageSize)
	}
	var err error
	if t.plain, err = t.e.codec.Decode(t.plain[:0], data); err != nil {
		return fmt.Errorf("decompress: %w", err)
	}
	if len(t.plain) != int(h.UncompressedPageSize) {
		return fmt.Errorf("body of %d bytes, header says %d", len(t.plain), h.UncompressedPageSize)
	}
	return nil
}
