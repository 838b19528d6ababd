package sources

import (
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// The offset index. A file may hold, per column chunk, an offset index:
// each data page's offset, size and first row (parquet-go and arrow-rs
// write one by default; DuckDB and pyarrow by default do not). Where every
// chunk of a row group has one, the units inside the row group find their
// pages there, with one read per column, instead of by walking every page
// header of the row group first: the walk is serial, before any unit of
// the row group can start, and takes about 0.5 s on a 5M-row row group.
//
// The index is data like any other. Its bytes are checked before they are
// decoded (the footer's walk: every list and length fits the bytes; at
// most maxOffsetIndexBytes of them), and its entries against the chunk:
// the first data page where the footer says, pages end to end up to the
// chunk's end, first rows increasing from 0 and below the row group's
// rows. Then each range checks, before decoding, the headers of the pages
// it reads, as checkPages checks every header of a whole row group, and
// each against its index entry (its bytes and its rows). A lying index
// gives an InputError naming the file, the row group and the column.

// maxOffsetIndexBytes is the largest offset index of one column chunk that
// is read (about 100,000 pages); a chunk with a larger one is walked.
const maxOffsetIndexBytes = 1 << 20

// indexedChunk returns the data page locations of column c of row group rg
// from its offset index, checked against its column chunk cc. ok is false
// when the chunk has no offset index, or one too large, or a layout the
// header walk judges (encrypted, a dictionary not first).
func (p *Parquet) indexedChunk(rg, c int, cc *format.ColumnChunk) (loc chunkPages, ok bool, err error) {
	if cc.OffsetIndexOffset <= 0 || cc.OffsetIndexLength <= 0 || cc.OffsetIndexLength > maxOffsetIndexBytes ||
		cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 {
		return loc, false, nil
	}
	md := &cc.MetaData
	start, end, base, inside := p.chunkBytes(md)
	if !inside || base != start {
		return loc, false, nil
	}
	fail := func(format string, args ...any) (chunkPages, bool, error) {
		return loc, false, &InputError{Path: p.name, RowGroup: rg, Column: p.layout[c].Path,
			Err: fmt.Errorf("%w: offset index: %s", ErrCorrupt, fmt.Sprintf(format, args...))}
	}
	off, n := cc.OffsetIndexOffset, int64(cc.OffsetIndexLength)
	if off < 4 || off > p.size-8-n {
		return fail("bytes [%d, %d) lie outside the file's %d bytes of data", off, off+n, p.size-8)
	}
	buf := make([]byte, n)
	if err := readFull(p.r, buf, off); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fail("bytes [%d, %d): %v", off, off+n, err)
		}
		return loc, false, fmt.Errorf("%s: read offset index of row group %d, column %s: %w", p.name, rg, p.layout[c].Path, err)
	}
	w := footerWalker{buf: buf, badRowGroup: -1}
	if err := w.walkStruct(inOther); err != nil {
		return fail("%v", err)
	}
	if w.off != len(buf) {
		return fail("%d bytes after its end", len(buf)-w.off)
	}
	var oi format.OffsetIndex
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), buf, &oi); err != nil {
		return fail("%v", err)
	}
	pages := oi.PageLocations
	if len(pages) == 0 {
		return fail("no pages")
	}
	rows := p.rows[rg]
	loc.pages = make([]pageLoc, len(pages))
	at := md.DataPageOffset
	if md.DictionaryPageOffset == 0 && pages[0].Offset > at && pages[0].Offset < end {
		// Polars writes a chunk's dictionary page at its
		// data_page_offset and no dictionary_page_offset: the pages
		// before the first indexed one are checked as a dictionary's
		// (checkIndexedPages refuses a data page there).
		at = pages[0].Offset
	}
	dataStart := at
	for k, pg := range pages {
		size := int64(pg.CompressedPageSize)
		switch {
		case pg.Offset != at && k == 0:
			return fail("page 0 at byte %d, the footer's first data page at %d", pg.Offset, at)
		case pg.Offset != at:
			return fail("page %d at byte %d, not where page %d ends (%d)", k, pg.Offset, k-1, at)
		case size <= 0 || size > end-pg.Offset:
			return fail("page %d of %d bytes at byte %d overruns the column chunk, which ends at %d", k, size, pg.Offset, end)
		case k == 0 && pg.FirstRowIndex != 0:
			return fail("page 0 starts at row %d", pg.FirstRowIndex)
		case k > 0 && pg.FirstRowIndex <= loc.pages[k-1].row:
			return fail("page %d starts at row %d, page %d at row %d", k, pg.FirstRowIndex, k-1, loc.pages[k-1].row)
		case pg.FirstRowIndex >= rows:
			return fail("page %d starts at row %d of a row group of %d rows", k, pg.FirstRowIndex, rows)
		}
		loc.pages[k] = pageLoc{off: pg.Offset, row: pg.FirstRowIndex, size: size}
		at = pg.Offset + size
	}
	if at != end {
		return fail("pages end at byte %d, the column chunk at %d", at, end)
	}
	loc.view, loc.indexed = true, true
	loc.base, loc.start, loc.end, loc.dataStart = base, start, end, dataStart
	return loc, true, nil
}

// checkIndexedPages checks, before they are decoded, the headers (read
// from r) of the pages of column c of row group rg that a range reads,
// whose locations came from the chunk's offset index (loc): the pages
// before its data pages (a dictionary) and data pages [k, m). Each header is checked as
// checkPages checks it, and against its index entry: its bytes, and its
// values, one per row (a schema without repeated fields).
func (p *Parquet) checkIndexedPages(r io.ReaderAt, rg, c int, loc *chunkPages, k, m int) error {
	md := &p.file.Metadata().RowGroups[rg].Columns[c].MetaData
	var compact thrift.CompactProtocol
	var scratch []byte // one window for every header
	check := func() error {
		for off := loc.start; off < loc.dataStart; {
			h, n, err := readPageHeaderInto(r, &compact, off, loc.dataStart-off, &scratch)
			if err != nil {
				return fmt.Errorf("page header at byte %d: %w", off, err)
			}
			if err := p.checkPageHeader(c, md, h, loc.dataStart-off-n); err != nil {
				return fmt.Errorf("page at byte %d: %w", off, err)
			}
			if h.Type == format.DataPage || h.Type == format.DataPageV2 {
				return fmt.Errorf("data page at byte %d, before the first data page of the offset index (%d)", off, loc.dataStart)
			}
			off += n + int64(h.CompressedPageSize)
		}
		for j := k; j < m; j++ {
			pg := loc.pages[j]
			h, n, err := readPageHeaderInto(r, &compact, pg.off, pg.size, &scratch)
			if err != nil {
				return fmt.Errorf("page header at byte %d: %w", pg.off, err)
			}
			if err := p.checkPageHeader(c, md, h, pg.size-n); err != nil {
				return fmt.Errorf("page at byte %d: %w", pg.off, err)
			}
			if got := n + int64(h.CompressedPageSize); got != pg.size {
				return fmt.Errorf("page at byte %d takes %d bytes, the offset index says %d", pg.off, got, pg.size)
			}
			rows := p.rows[rg] - pg.row
			if j+1 < len(loc.pages) {
				rows = loc.pages[j+1].row - pg.row
			}
			values, ok := dataPageValues(h)
			if !ok {
				return fmt.Errorf("page at byte %d is no data page, where the offset index lists one", pg.off)
			}
			if values != rows {
				return fmt.Errorf("page at byte %d holds %d values, the offset index gives it %d rows", pg.off, values, rows)
			}
		}
		return nil
	}
	if err := check(); err != nil {
		if !errors.Is(err, ErrUnsupported) {
			err = fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		return &InputError{Path: p.name, RowGroup: rg, Column: p.layout[c].Path, Err: err}
	}
	return nil
}
