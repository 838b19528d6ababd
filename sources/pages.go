package sources

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Page-header windows: a header is read from a window of this many bytes,
// grown up to maxHeaderWindow for headers with large statistics.
const (
	headerWindow    = 4 << 10
	maxHeaderWindow = 16 << 20
)

// checkPages walks the page headers of every column chunk of row group rg
// before the decoder reads it, and refuses a chunk whose pages do not add
// up: a page that overruns its chunk, claims more uncompressed bytes than
// the whole chunk, or a chunk whose data pages hold a different number of
// values than the footer says. The decoder trusts these sizes, allocates by
// them and reads past them: a damaged header could otherwise exhaust memory
// (an allocation the runtime cannot recover from) or yield other pages'
// bytes as values. Encrypted chunks are not walked (their headers are
// encrypted; the decoder checks them).
func (p *Parquet) checkPages(rg int) error {
	md := p.file.Metadata()
	if rg >= len(md.RowGroups) {
		return nil
	}
	for c, cc := range md.RowGroups[rg].Columns {
		if cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 {
			continue
		}
		if err := p.checkChunkPages(&cc.MetaData); err != nil {
			return &InputError{Path: p.name, RowGroup: rg, Column: p.layout[c].Path, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
		}
	}
	return nil
}

func (p *Parquet) checkChunkPages(m *format.ColumnMetaData) error {
	start := m.DataPageOffset
	if m.DictionaryPageOffset > 0 && m.DictionaryPageOffset < start {
		start = m.DictionaryPageOffset
	}
	end := start + m.TotalCompressedSize
	if start < 4 || m.TotalCompressedSize < 0 || end < start || end > p.size-8 {
		return fmt.Errorf("column chunk at bytes [%d, %d) lies outside the file's %d bytes of data", start, end, p.size-8)
	}
	var values int64
	var compact thrift.CompactProtocol
	for off := start; off < end; {
		h, n, err := readPageHeader(p.r, &compact, off, end-off)
		if err != nil {
			return fmt.Errorf("page header at byte %d: %w", off, err)
		}
		size, usize := int64(h.CompressedPageSize), int64(h.UncompressedPageSize)
		switch {
		case size < 0 || usize < 0:
			return fmt.Errorf("page at byte %d: negative size", off)
		case off+n+size > end:
			return fmt.Errorf("page at byte %d: %d bytes overrun the column chunk, which ends at byte %d", off, n+size, end)
		case usize > m.TotalUncompressedSize:
			return fmt.Errorf("page at byte %d: %d bytes uncompressed, more than the whole column chunk's %d", off, usize, m.TotalUncompressedSize)
		}
		switch h.Type {
		case format.DataPage:
			values += int64(h.DataPageHeader.V.NumValues)
		case format.DataPageV2:
			values += int64(h.DataPageHeaderV2.V.NumValues)
		}
		off += n + size
	}
	if values != m.NumValues {
		return fmt.Errorf("data pages hold %d values, the footer says %d", values, m.NumValues)
	}
	return nil
}

// readPageHeader decodes the page header at off, which may extend at most
// limit bytes, and returns it with its encoded length.
func readPageHeader(r io.ReaderAt, compact *thrift.CompactProtocol, off, limit int64) (*format.PageHeader, int64, error) {
	for window := int64(headerWindow); ; window *= 4 {
		buf := make([]byte, min(window, limit))
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
