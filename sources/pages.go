package sources

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/rowcheck"
)

// Page-header windows: a header is read from a window of this many bytes,
// grown up to maxHeaderWindow for headers with large statistics.
const (
	headerWindow    = 4 << 10
	maxHeaderWindow = 16 << 20
)

// MaxPageBytes is the largest page an input may hold, uncompressed, as its
// header declares it. A page is the smallest unit the decoder reads: it is
// decompressed whole into a buffer of its declared size, which its values
// are then decoded from, so a page costs about three times this transiently
// (its compressed bytes, the buffer, decoded values and offsets).
// Mainstream writers cut pages at about 1 MiB; larger ones come from single
// values of hundreds of megabytes.
const MaxPageBytes = 256 << 20

// MaxPageValues is the most values (nulls included) a page may hold.
// Decoding a page allocates levels, offsets, dictionary indexes or
// delta-decoded values per value, up to 16 bytes each, however few bytes
// run-length, dictionary or delta encoding made of them: this many values
// take at most MaxPageBytes. Mainstream writers cut pages at 20,000 rows.
const MaxPageValues = MaxPageBytes / 16

// checkPages walks the page headers of every column chunk of row group rg
// before the decoder reads it, and refuses a chunk whose pages do not add
// up: a page that overruns its chunk, claims more uncompressed bytes than
// the whole chunk (or pages that do together), more values than the chunk
// or its own bytes can hold, or a chunk whose data pages hold a different
// number of values than the footer says. The decoder trusts these sizes,
// allocates by them and reads past them: a damaged header could otherwise
// exhaust memory (an allocation the runtime cannot recover from) or yield
// other pages' bytes as values. Pages above [MaxPageBytes] or
// [MaxPageValues] are refused as unsupported. The decompressed size of
// each page is then capped by the codecs (codec.go) at what its header
// declares. Encrypted chunks are not walked (their headers are encrypted;
// the decoder checks them).
//
// A row group whose headers passed once (here or in pageLocations, which
// checks them as it walks them) is not read again: the units of a row group
// cut at its pages had each header read by the cutting, and a unit of the
// whole row group read them all again before its decoder read them a third
// time.
func (p *Parquet) checkPages(rg int) error {
	md := p.file.Metadata()
	if rg >= len(md.RowGroups) {
		return nil
	}
	if p.pagesChecked(rg) {
		return nil
	}
	for c := range md.RowGroups[rg].Columns {
		if err := p.checkColumnPages(p.r, rg, c); err != nil {
			return err
		}
	}
	p.markChecked(rg)
	return nil
}

// pagesChecked tells whether row group rg's page headers all passed.
func (p *Parquet) pagesChecked(rg int) bool {
	return rg < len(p.checked) && p.checked[rg].Load()
}

// markChecked records that row group rg's page headers all passed.
func (p *Parquet) markChecked(rg int) {
	if rg < len(p.checked) {
		p.checked[rg].Store(true)
	}
}

// checkColumnPages checks the page headers of column c of row group rg,
// read from r, as checkPages does.
func (p *Parquet) checkColumnPages(r io.ReaderAt, rg, c int) error {
	return p.checkWalkColumn(r, rg, c, nil)
}

// checkWalkColumn is checkColumnPages handing each header that passes to
// w, when not nil: the walk for page locations (parquet_pagelocs.go)
// takes the headers of the same read.
func (p *Parquet) checkWalkColumn(r io.ReaderAt, rg, c int, w *pageWalk) error {
	cc := &p.file.Metadata().RowGroups[rg].Columns[c]
	if cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 {
		return nil
	}
	if err := p.checkChunkPages(r, c, &cc.MetaData, w); err != nil {
		if !errors.Is(err, ErrUnsupported) {
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return &InputError{Path: p.name, RowGroup: rg, Column: p.layout[c].Path, Err: err}
	}
	return nil
}

// chunkBytes returns where the column chunk of metadata m lies: bytes
// [start, end) of the file, from its first page (a dictionary or data
// page), and base, the offset the decoder starts reading it at (its
// dictionary page's, if it names one). ok is false when the bytes are not
// inside the file's data (the magic bytes and footer excluded).
func (p *Parquet) chunkBytes(m *format.ColumnMetaData) (start, end, base int64, ok bool) {
	start = m.DataPageOffset
	if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
		start = m.DictionaryPageOffset
	}
	base = m.DataPageOffset
	if m.DictionaryPageOffset != 0 {
		base = m.DictionaryPageOffset
	}
	end = start + m.TotalCompressedSize
	ok = start >= 4 && m.TotalCompressedSize >= 0 && end >= start && end <= p.size-8
	return start, end, base, ok
}

// checkChunkPages checks the page headers, read from r, of column c's
// chunk whose metadata is m, and hands each that passes to w, if not nil.
func (p *Parquet) checkChunkPages(r io.ReaderAt, c int, m *format.ColumnMetaData, w *pageWalk) error {
	start, end, _, ok := p.chunkBytes(m)
	if !ok {
		return fmt.Errorf("column chunk at bytes [%d, %d) lies outside the file's %d bytes of data", start, end, p.size-8)
	}
	var values, declared int64
	var compact thrift.CompactProtocol
	var scratch []byte // one window for every header
	for off := start; off < end; {
		h, n, err := readPageHeaderInto(r, &compact, off, end-off, &scratch)
		if err != nil {
			return fmt.Errorf("page header at byte %d: %w", off, err)
		}
		if err := p.checkPageHeader(c, m, h, end-off-n); err != nil {
			return fmt.Errorf("page at byte %d: %w", off, err)
		}
		if w != nil {
			w.page(off, h)
		}
		declared += int64(h.UncompressedPageSize)
		if declared > m.TotalUncompressedSize {
			return fmt.Errorf("page at byte %d brings the pages to %d bytes uncompressed, more than the column chunk's %d", off, declared, m.TotalUncompressedSize)
		}
		v, _ := dataPageValues(h)
		values += v
		off += n + int64(h.CompressedPageSize)
	}
	if values != m.NumValues {
		return fmt.Errorf("data pages hold %d values, the footer says %d", values, m.NumValues)
	}
	return nil
}

// checkPageHeader checks the sizes and counts the header h of a page of
// column c declares, where room bytes of the chunk m follow the header:
// everything the decoder allocates by.
func (p *Parquet) checkPageHeader(c int, m *format.ColumnMetaData, h *format.PageHeader, room int64) error {
	size, usize := int64(h.CompressedPageSize), int64(h.UncompressedPageSize)
	switch {
	case size < 0 || usize < 0:
		return errors.New("negative size")
	case size > room:
		return fmt.Errorf("%d bytes overrun the column chunk, which has %d left", size, room)
	case usize > m.TotalUncompressedSize:
		return fmt.Errorf("%d bytes uncompressed, more than the whole column chunk's %d", usize, m.TotalUncompressedSize)
	case usize > MaxPageBytes:
		return fmt.Errorf("%w: %d bytes uncompressed; pages above %d bytes are refused (MaxPageBytes)", ErrUnsupported, usize, MaxPageBytes)
	case m.Codec == format.Uncompressed && size != usize:
		// Both sizes are the page's bytes; the decoders read by one or the
		// other, so a page that disagrees would read differently on each
		// path (FuzzReadBatch/64510c9a2732fb7c).
		return fmt.Errorf("uncompressed page of %d bytes declares %d bytes uncompressed", size, usize)
	}
	var n int64
	switch h.Type {
	case format.DataPage:
		if !h.DataPageHeader.Valid {
			return errors.New("data page without its header")
		}
		n = int64(h.DataPageHeader.V.NumValues)
	case format.DataPageV2:
		if !h.DataPageHeaderV2.Valid {
			return errors.New("data page v2 without its header")
		}
		v := &h.DataPageHeaderV2.V
		n = int64(v.NumValues)
		levels := int64(v.RepetitionLevelsByteLength) + int64(v.DefinitionLevelsByteLength)
		if v.RepetitionLevelsByteLength < 0 || v.DefinitionLevelsByteLength < 0 || levels > min(size, usize) {
			return fmt.Errorf("%d bytes of levels in a page of %d bytes (%d compressed)", levels, usize, size)
		}
		if v.IsCompressed.Valid && !v.IsCompressed.V && size != usize {
			return fmt.Errorf("page of %d bytes marked uncompressed declares %d bytes uncompressed", size, usize)
		}
		if v.NumNulls < 0 || int64(v.NumNulls) > n {
			return fmt.Errorf("%d nulls among %d values", v.NumNulls, n)
		}
		// Every row holds one value at least (a null or empty list
		// holds its level).
		if v.NumRows < 0 || int64(v.NumRows) > n {
			return fmt.Errorf("%d rows in a page of %d values", v.NumRows, n)
		}
	case format.DictionaryPage:
		if !h.DictionaryPageHeader.Valid {
			return errors.New("dictionary page without its header")
		}
		n = int64(h.DictionaryPageHeader.V.NumValues)
		// Dictionaries are plainly encoded: every value takes its
		// bytes (a byte array its 4-byte length at least).
		if each := plainBytes(p.layout[c]); n > 0 && each > 0 && n > usize/each {
			return fmt.Errorf("dictionary of %d values in %d bytes", n, usize)
		}
	}
	switch {
	case n < 0:
		return fmt.Errorf("%d values", n)
	case n > MaxPageValues:
		return fmt.Errorf("%w: %d values; pages of more than %d values are refused (MaxPageValues)", ErrUnsupported, n, MaxPageValues)
	}
	return nil
}

// plainBytes returns the fewest bytes a value of leaf takes plainly
// encoded, or 0 for booleans (bits).
func plainBytes(leaf rowcheck.Leaf) int64 {
	switch leaf.Kind {
	case parquet.Int32, parquet.Float, parquet.ByteArray:
		return 4
	case parquet.Int64, parquet.Double:
		return 8
	case parquet.Int96:
		return 12
	case parquet.FixedLenByteArray:
		return int64(leaf.Length)
	}
	return 0
}

// readPageHeader decodes the page header at off, which may extend at most
// limit bytes, and returns it with its encoded length.
func readPageHeader(r io.ReaderAt, compact *thrift.CompactProtocol, off, limit int64) (*format.PageHeader, int64, error) {
	var scratch []byte
	return readPageHeaderInto(r, compact, off, limit, &scratch)
}

// readPageHeaderInto is readPageHeader reading into *scratch, which it
// grows as needed and leaves for the next header.
func readPageHeaderInto(r io.ReaderAt, compact *thrift.CompactProtocol, off, limit int64, scratch *[]byte) (*format.PageHeader, int64, error) {
	for window := int64(headerWindow); ; window *= 4 {
		*scratch = sized(*scratch, int(min(window, limit)))
		buf := *scratch
		k, err := r.ReadAt(buf, off)
		if k < len(buf) {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return nil, 0, err
		}
		h := new(format.PageHeader)
		rd := compact.NewReaderFromBytes(buf)
		err = thrift.NewDecoder(rd).Decode(h)
		if err == nil {
			return h, int64(rd.BytesRead()), nil
		}
		truncated := errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
		if !truncated || int64(len(buf)) == limit || window >= maxHeaderWindow {
			return nil, 0, err
		}
	}
}

// dataPageValues returns the values of the data page of header h, and
// false (with 0) when h is not a data page's.
func dataPageValues(h *format.PageHeader) (int64, bool) {
	switch h.Type {
	case format.DataPage:
		return int64(h.DataPageHeader.V.NumValues), true
	case format.DataPageV2:
		return int64(h.DataPageHeaderV2.V.NumValues), true
	}
	return 0, false
}
