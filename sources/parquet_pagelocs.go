package sources

import (
	"sort"
	"sync"

	"github.com/parquet-go/parquet-go/format"
)

// Where the data pages of a row group's column chunks lie, for reading
// units inside row groups (parquet_range.go): from the chunks' offset
// indexes (parquet_offsetindex.go) or by walking their page headers, kept
// for the last few row groups read in ranges.

// pageLocations returns the data page locations of each column chunk of
// row group rg, from the cache, from the chunks' offset indexes when every
// chunk has one, or by checking and walking its pages.
func (p *Parquet) pageLocations(rg int) ([]chunkPages, error) {
	if locs := p.ranges.get(rg); locs != nil {
		return locs, nil
	}
	meta := p.file.Metadata().RowGroups[rg].Columns
	locs := make([]chunkPages, len(meta))
	pages := 0
	indexed := true
	for c := range meta {
		loc, ok, err := p.indexedChunk(rg, c, &meta[c])
		if err != nil {
			return nil, err
		}
		if !ok {
			indexed = false
			break
		}
		locs[c] = loc
		pages += len(loc.pages)
	}
	if !indexed {
		// The headers are checked as checkPages checks them, column by
		// column, and the pages recorded from the same read: a chunk's
		// walk was a second read of every header, on the goroutine that
		// cuts the units before any is read.
		clear(locs)
		pages = 0
		for c := range meta {
			w := p.newPageWalk(&meta[c].MetaData, &locs[c])
			if err := p.checkWalkColumn(p.r, rg, c, w); err != nil {
				return nil, err
			}
			w.finish()
			pages += len(locs[c].pages)
		}
		p.markChecked(rg)
	}
	if pages <= maxCachedPages {
		p.ranges.put(rg, locs)
	} else {
		// Too many pages to keep: each range of the row group finds
		// them again, with the same result.
		p.ranges.put(rg, nil)
	}
	return locs, nil
}

// maxCachedPages bounds the page locations the cache holds for one row
// group (24 bytes each).
const maxCachedPages = 1 << 18

// rangeCache holds the page locations of the last few row groups read in
// ranges: the units of a row group are read about together.
type rangeCache struct {
	mu      sync.Mutex
	entries []rangeEntry
}

type rangeEntry struct {
	rg   int
	locs []chunkPages
}

// rangeCacheSize is the number of row groups whose page locations are kept.
const rangeCacheSize = 4

func (c *rangeCache) get(rg int) []chunkPages {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.rg == rg {
			return e.locs
		}
	}
	return nil
}

func (c *rangeCache) put(rg int, locs []chunkPages) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.rg == rg {
			return
		}
	}
	if locs == nil {
		return
	}
	if len(c.entries) == rangeCacheSize {
		c.entries = append(c.entries[:0], c.entries[1:]...)
	}
	c.entries = append(c.entries, rangeEntry{rg, locs})
}

// chunkPages is where a column chunk's data pages lie: the chunk's pages
// before its first data page (its dictionary) are bytes [start,
// dataStart); data page k starts at pages[k].off and holds rows from
// pages[k].row. view is false for chunks read whole for any range.
// indexed: the locations come from the chunk's offset index, and the
// headers of the pages a range reads are still to be checked.
type chunkPages struct {
	view             bool
	indexed          bool
	base, start, end int64
	dataStart        int64
	pages            []pageLoc
}

// pageLoc is a data page's first byte and first row, and its bytes
// (header included) when they come from an offset index, else 0.
type pageLoc struct{ off, row, size int64 }

// pagesFor returns the data pages [k, m) holding rows [first,
// first+count): the last page starting at or before first, and the first
// starting at or after first+count. ok is false when there are none.
func (loc *chunkPages) pagesFor(first, count int64) (k, m int, ok bool) {
	k = sort.Search(len(loc.pages), func(k int) bool { return loc.pages[k].row > first }) - 1
	m = sort.Search(len(loc.pages), func(m int) bool { return loc.pages[m].row >= first+count })
	return k, m, k >= 0 && m > k
}

// pageWalk records the data pages of one column chunk in loc as its
// checked headers come (checkChunkPages), for reading ranges of the chunk
// over a view of the pages they need. nil (no walk) when the chunk's
// bytes are not where a page reader starts: it is then read whole.
type pageWalk struct {
	loc       *chunkPages
	md        *format.ColumnMetaData
	start     int64 // the chunk's first page
	end       int64 // its end
	base      int64 // where the page reader starts
	dataStart int64 // the first data page; -1: none yet
	row       int64 // the first row of the next data page
}

// newPageWalk returns the walk of the chunk of metadata md into loc, or nil
// when its pages are not walked (checkPages judges the chunk; it is read
// whole).
func (p *Parquet) newPageWalk(md *format.ColumnMetaData, loc *chunkPages) *pageWalk {
	start, end, base, ok := p.chunkBytes(md)
	if !ok || base != start {
		return nil
	}
	return &pageWalk{loc: loc, md: md, start: start, end: end, base: base, dataStart: -1}
}

// page records the page at off of header h, which checkPageHeader has
// passed: its size inside the chunk and its values not negative.
func (w *pageWalk) page(off int64, h *format.PageHeader) {
	rows, ok := dataPageValues(h)
	if !ok {
		return
	}
	if w.dataStart < 0 {
		w.dataStart = off
	}
	w.loc.pages = append(w.loc.pages, pageLoc{off: off, row: w.row})
	w.row += rows
}

// finish ends a walk whose every header has passed its check.
func (w *pageWalk) finish() {
	if w == nil {
		return
	}
	loc, md := w.loc, w.md
	// Polars writes a chunk's dictionary page at its data_page_offset
	// and no dictionary_page_offset: the walk then started there, and
	// found the pages before the first data page not to be data pages.
	polars := md.DictionaryPageOffset == 0 && w.start == md.DataPageOffset && w.dataStart > w.start
	if w.dataStart != md.DataPageOffset && !polars {
		// Pages not where the footer says: the whole chunk's read
		// reports what is wrong.
		loc.pages = nil
		return
	}
	loc.view, loc.base, loc.start, loc.end, loc.dataStart = true, w.base, w.start, w.end, w.dataStart
}
