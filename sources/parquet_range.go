package sources

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// Units inside a row group. A row group is what a writer chose to flush at
// once, and may hold millions of rows: decoding one whole would bound a
// job's memory by how its input was written. A range of a row group's rows
// is read from the pages that hold them: the chunks' offset indexes
// (parquet_offsetindex.go), or else the page headers (the same walk
// checkPages makes), give each data page's rows (a data page of a column
// without repeated fields holds one value or null per row), and the page
// reader is handed a view of the column chunk made of its dictionary page
// and the data pages overlapping the range, end to end, so that it reads,
// decompresses and decodes nothing else. The first and last of those pages
// are cut to the range (parquet.Page.Slice). The rows, their values and
// levels are those a read of the whole row group gives at the same places.

// RangeReader is implemented by sources whose units can be read in parts:
// rows [first, first+count) of unit i, with the memory of those rows only.
// Callers find it by type assertion.
type RangeReader interface {
	// ReadUnitRange is [Source.ReadUnit] for rows [first, first+count) of
	// unit i.
	ReadUnitRange(ctx context.Context, i int, first, count int64, batch int, fn func(rows []parquet.Row) error) error
}

// RangeBatchReader is a [BatchReader] whose units can be decoded in parts.
type RangeBatchReader interface {
	BatchReader
	// ReadBatchRangeInto is [BatchReader.ReadBatchInto] for rows [first,
	// first+count) of unit i.
	ReadBatchRangeInto(ctx context.Context, i int, first, count int64, reuse *columnar.Batch) (*columnar.Batch, error)
}

var (
	_ RangeReader      = (*Parquet)(nil)
	_ RangeBatchReader = (*Parquet)(nil)
)

// ReadBatchRangeInto decodes rows [first, first+count) of row group i into
// a batch, as [Parquet.ReadBatchInto] decodes the whole row group: the
// batch holds the rows at those places of ReadBatch's batch, and only the
// pages holding them are read. The row group's page headers are checked
// as ReadBatch checks them. A range outside the row group is an error.
func (p *Parquet) ReadBatchRangeInto(ctx context.Context, i int, first, count int64, reuse *columnar.Batch) (*columnar.Batch, error) {
	if i < 0 || i >= len(p.rows) {
		return nil, fmt.Errorf("%s: row group %d out of range [0,%d)", p.name, i, len(p.rows))
	}
	if first < 0 || count < 0 || first > p.rows[i]-count {
		return nil, fmt.Errorf("%s: rows [%d, %d) out of row group %d's %d rows", p.name, first, first+count, i, p.rows[i])
	}
	return p.readBatch(ctx, i, first, count, reuse)
}

// ReadUnitRange reads rows [first, first+count) of row group i; see
// [Parquet.ReadRowGroupRange].
func (p *Parquet) ReadUnitRange(ctx context.Context, i int, first, count int64, batch int, fn func(rows []parquet.Row) error) error {
	return p.ReadRowGroupRange(ctx, i, first, count, batch, fn)
}

// ReadRowGroupRange is [Parquet.ReadRowGroup] for rows [first,
// first+count) of row group i: it streams those rows, reading only the
// pages that hold them.
func (p *Parquet) ReadRowGroupRange(ctx context.Context, i int, first, count int64, batch int, fn func(rows []parquet.Row) error) error {
	if i < 0 || i >= len(p.rows) {
		return fmt.Errorf("%s: row group %d out of range [0,%d)", p.name, i, len(p.rows))
	}
	if first < 0 || count < 0 || first > p.rows[i]-count {
		return fmt.Errorf("%s: rows [%d, %d) out of row group %d's %d rows", p.name, first, first+count, i, p.rows[i])
	}
	if first == 0 && count == p.rows[i] {
		return p.ReadRowGroup(ctx, i, batch, fn)
	}
	if _, err := p.Layout(); err != nil {
		// Pages of repeated fields need not start rows: a range would
		// need a walk of their levels.
		return err
	}
	var chunks []parquet.ColumnChunk
	if err := guard(p.name, i, func() error { chunks = p.file.RowGroups()[i].ColumnChunks(); return nil }); err != nil {
		return err
	}
	ranged, err := p.rangeChunks(i, chunks, first, count, false)
	if err != nil {
		return err
	}
	rg := &rangeRowGroup{schema: p.file.Schema(), rows: count, chunks: ranged}
	return p.readRows(ctx, i, rg, first, count, batch, fn)
}

// PageStarts returns the first rows of the data pages of the costliest
// column chunk of row group i (the most bytes uncompressed), in order,
// from 0: the places where a unit of the row group can start without
// decoding that chunk's page twice. The page headers are checked as a read
// checks them. It returns nil, and no error, when the pages cannot be
// told: a schema with repeated fields (whose pages need not start rows),
// an encrypted chunk or pages not laid out as the footer says. The result
// is the caller's.
func (p *Parquet) PageStarts(i int) ([]int64, error) {
	if i < 0 || i >= len(p.rows) {
		return nil, fmt.Errorf("%s: row group %d out of range [0,%d)", p.name, i, len(p.rows))
	}
	if _, err := p.Layout(); err != nil {
		return nil, nil
	}
	meta := p.file.Metadata().RowGroups[i].Columns
	if len(meta) == 0 || len(meta) != len(p.layout) {
		return nil, nil
	}
	widest := 0
	for c := range meta {
		if meta[c].MetaData.TotalUncompressedSize > meta[widest].MetaData.TotalUncompressedSize {
			widest = c
		}
	}
	locs, err := p.pageLocations(i)
	if err != nil {
		return nil, err
	}
	loc := &locs[widest]
	if !loc.view || len(loc.pages) == 0 {
		return nil, nil
	}
	starts := make([]int64, len(loc.pages))
	for k, pg := range loc.pages {
		starts[k] = pg.row
	}
	return starts, nil
}

// rangeChunks returns the chunks of row group rg, each reading only rows
// [first, first+count). The row group's page headers are checked
// (checkPages) and walked once for all its ranges while it stays in the
// cache of page locations; where its chunks have offset indexes, the
// locations come from them and each range checks the headers of the pages
// it reads (checkIndexedPages). byColumn tells that the caller decodes the
// chunks one after the other and runs each one's prepare first: the checks
// of the pages a chunk reads are then made there, and over a [Fetcher] a
// chunk's window may hold FetchWindow bytes; else they are made here, and
// the chunks, read together, share that many.
func (p *Parquet) rangeChunks(rg int, chunks []parquet.ColumnChunk, first, count int64, byColumn bool) ([]parquet.ColumnChunk, error) {
	meta := p.file.Metadata().RowGroups[rg].Columns
	if len(meta) != len(chunks) || len(p.layout) != len(chunks) {
		return nil, corrupt(p.name, rg, fmt.Errorf("%d column chunks for %d columns", len(chunks), len(p.layout)))
	}
	locs, err := p.pageLocations(rg)
	if err != nil {
		return nil, err
	}
	limit := fetchWindow
	if !byColumn {
		limit = max(limit/int64(len(chunks)), minFetchWindow)
	}
	out := make([]parquet.ColumnChunk, len(chunks))
	checkAll := false
	for c, chunk := range chunks {
		loc := &locs[c]
		rc := loc.chunk(p, chunk, first, count, limit)
		if loc.indexed {
			_, isFile := chunk.(*parquet.FileColumnChunk)
			k, m, ok := loc.pagesFor(first, count)
			if !ok || !isFile {
				checkAll = true // read whole: every header is checked
			} else {
				r := io.ReaderAt(p.r)
				if rc.view != nil {
					if w, ok := rc.view.r.(*window); ok {
						r = w.checker()
					}
				}
				rc.check = func() error { return p.checkIndexedPages(r, rg, c, loc, k, m) }
				if !byColumn {
					if err := rc.prepare(); err != nil {
						return nil, err
					}
				}
			}
		}
		out[c] = rc
	}
	if checkAll {
		if err := p.checkPages(rg); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// minFetchWindow is the least a chunk's window holds when chunks are read
// together (see rangeChunks).
const minFetchWindow = 256 << 10

// chunk returns chunk reading only rows [first, first+count): over a view
// of the file holding its dictionary and the data pages overlapping the
// rows, when its pages could be walked; else over the whole chunk, whose
// pages before the range are then decoded and dropped (encrypted chunks,
// odd layouts).
func (loc *chunkPages) chunk(p *Parquet, chunk parquet.ColumnChunk, first, count, limit int64) *rangeChunk {
	rc := &rangeChunk{ColumnChunk: chunk, lo: first, hi: first + count}
	fc, ok := chunk.(*parquet.FileColumnChunk)
	if !ok || !loc.view || len(loc.pages) == 0 {
		return rc
	}
	k, m, ok := loc.pagesFor(first, count)
	if !ok {
		return rc
	}
	lo, hi := loc.pages[k].off, loc.end
	if m < len(loc.pages) {
		hi = loc.pages[m].off
	}
	spans := []span{{loc.start, loc.dataStart - loc.start}, {lo, hi - lo}}
	r := io.ReaderAt(p.r)
	if p.fetch != nil {
		r = newWindow(p.fetch, limit, spans...)
	}
	rc.view = &spanReader{r: r, base: loc.base, spans: spans}
	rc.file, rc.pos = fc, loc.pages[k].row
	return rc
}

// rangeChunk is a column chunk read for rows [lo, hi) of its row group
// only. With a view, its pages come from view, whose first data page holds
// row pos; else from the whole chunk, from row 0.
type rangeChunk struct {
	parquet.ColumnChunk
	file   *parquet.FileColumnChunk
	view   *spanReader
	pos    int64
	lo, hi int64
	check  func() error // checks the headers of the pages read, or nil
}

// prepare checks the headers of the pages the chunk reads, once, before
// they are decoded.
func (c *rangeChunk) prepare() error {
	if c.check == nil {
		return nil
	}
	err := c.check()
	c.check = nil
	return err
}

// Pages returns the pages holding rows [lo, hi), cut to them.
func (c *rangeChunk) Pages() parquet.Pages {
	if c.view == nil {
		return &rangePages{pages: c.ColumnChunk.Pages(), lo: c.lo, hi: c.hi}
	}
	return &rangePages{pages: c.file.PagesFrom(c.view), pos: c.pos, lo: c.lo, hi: c.hi}
}

// NumValues returns the values of the range: one per row, as nothing
// repeats.
func (c *rangeChunk) NumValues() int64 { return c.hi - c.lo }

// rangePages reads the pages of a column chunk holding rows [lo, hi), cut
// to them; pos is the row of the next page read.
type rangePages struct {
	pages       parquet.Pages
	pos, lo, hi int64
	read        bool // a page has been read
}

// ReadPage returns the next page's rows within [lo, hi), skipping pages
// outside, and io.EOF past hi.
func (r *rangePages) ReadPage() (parquet.Page, error) {
	for {
		if r.pos >= r.hi {
			return nil, io.EOF
		}
		r.read = true
		pg, err := r.pages.ReadPage()
		if err != nil {
			return nil, err
		}
		n := pg.NumRows()
		from, to := max(r.lo-r.pos, 0), min(r.hi-r.pos, n)
		r.pos += n
		switch {
		case from >= to:
			parquet.Release(pg)
			continue
		case from == 0 && to == n:
			return pg, nil
		}
		// The slice shares the page's reference-counted buffers, which
		// it holds a reference to.
		cut := pg.Slice(from, to)
		parquet.Release(pg)
		return cut, nil
	}
}

// SeekToRow accepts only a seek to the range's first row before any page
// is read, which the row reader makes to start: readers of a range need no
// other.
func (r *rangePages) SeekToRow(row int64) error {
	if row != 0 || r.read {
		return fmt.Errorf("internal error: seek to row %d of a row range's pages", row)
	}
	return nil
}

// Close closes the chunk's pages.
func (r *rangePages) Close() error { return r.pages.Close() }

// rangeRowGroup is rows [lo, hi) of a row group, as a row group.
type rangeRowGroup struct {
	schema *parquet.Schema
	rows   int64
	chunks []parquet.ColumnChunk
}

func (g *rangeRowGroup) NumRows() int64                          { return g.rows }
func (g *rangeRowGroup) ColumnChunks() []parquet.ColumnChunk     { return g.chunks }
func (g *rangeRowGroup) Schema() *parquet.Schema                 { return g.schema }
func (g *rangeRowGroup) SortingColumns() []parquet.SortingColumn { return nil }
func (g *rangeRowGroup) Rows() parquet.Rows                      { return parquet.NewRowGroupRowReader(g) }

// spanReader shows spans of r end to end as if they lay from offset base
// on: a column chunk's dictionary followed by some of its data pages.
// Reads past the last span end with io.EOF, where the chunk would end.
type spanReader struct {
	r     io.ReaderAt
	base  int64
	spans []span
}

// ReadAt reads the spans' bytes at virtual offset off.
func (s *spanReader) ReadAt(b []byte, off int64) (int, error) {
	v := off - s.base
	if v < 0 {
		return 0, fmt.Errorf("read at %d before the column chunk's start %d", off, s.base)
	}
	n := 0
	for _, sp := range s.spans {
		if n == len(b) {
			return n, nil
		}
		if v >= sp.n {
			v -= sp.n
			continue
		}
		want := int(min(int64(len(b)-n), sp.n-v))
		k, err := s.r.ReadAt(b[n:n+want], sp.off+v)
		n += k
		if k < want {
			if err == nil {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		v = 0
	}
	if n == len(b) {
		return n, nil
	}
	return n, io.EOF
}

// readRows streams the rows of rg, rows [first, first+want) of row group i
// of p, to fn in batches of at most batch rows, checking each row against
// the schema and that there are exactly want of them. [Parquet.ReadRowGroup]
// is the whole row group: first 0 and want its rows.
func (p *Parquet) readRows(ctx context.Context, i int, rg parquet.RowGroup, first, want int64, batch int, fn func(rows []parquet.Row) error) error {
	chunks := rg.ColumnChunks()
	for c := range p.layout {
		var src io.ReaderAt = p.r
		var spans []span
		if c < len(chunks) {
			src, spans = p.checkSource(chunks[c])
		}
		if err := p.checkDecoderPages(src, i, c, spans); err != nil {
			return err
		}
	}
	buf := make([]parquet.Row, batch)
	var rows parquet.Rows
	if err := guard(p.name, i, func() error { rows = rg.Rows(); return nil }); err != nil {
		return err
	}
	defer rows.Close()
	var got int64
	for got < want {
		if err := ctx.Err(); err != nil {
			return err
		}
		k := int(min(int64(batch), want-got))
		var n int
		var readErr error
		err := guard(p.name, i, func() error {
			n, readErr = rows.ReadRows(buf[:k])
			if readErr == io.EOF {
				return nil
			}
			return readErr
		})
		if err != nil {
			return err
		}
		if n > 0 {
			for k, row := range buf[:n] {
				if err := p.layout.Check(row); err != nil {
					return corrupt(p.name, i, fmt.Errorf("row %d: %w", first+got+int64(k), err))
				}
			}
			got += int64(n)
			if err := fn(buf[:n]); err != nil {
				return err
			}
		}
		if readErr == io.EOF {
			break
		}
		if n == 0 {
			return corrupt(p.name, i, errors.New("reader made no progress"))
		}
	}
	switch {
	case got != want && first == 0 && want == p.rows[i]:
		return corrupt(p.name, i, fmt.Errorf("footer declares %d rows, found %d", want, got))
	case got != want:
		return corrupt(p.name, i, fmt.Errorf("rows [%d, %d) hold %d rows", first, first+want, got))
	}
	return nil
}
