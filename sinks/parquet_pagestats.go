package sinks

import (
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// longBounds reports whether statistics hold min/max longer than
// MaxStatisticsBytes together.
func longBounds(st *format.Statistics) bool {
	return len(st.MinValue)+len(st.MaxValue)+len(st.Min)+len(st.Max) > MaxStatisticsBytes
}

// pageStatistics returns the statistics of a data page header, or nil.
func pageStatistics(h *format.PageHeader) *format.Statistics {
	switch h.Type {
	case format.DataPage:
		return &h.DataPageHeader.V.Statistics
	case format.DataPageV2:
		return &h.DataPageHeaderV2.V.Statistics
	}
	return nil
}

// page is one page of a column chunk of g.data: its header decoded, where
// it lies in the in-memory file and how long its header is.
type page struct {
	header    format.PageHeader
	off       int64
	headerLen int64
}

// chunkPages decodes the page headers of column chunk c of g, whose first
// page is at file offset first; base is the file offset of g.data[0].
func (g *EncodedRowGroup) chunkPages(c *format.ColumnChunk, first, base int64) ([]page, error) {
	end := first + c.MetaData.TotalCompressedSize
	var pages []page
	for off := first; off < end; {
		r := new(thrift.CompactProtocol).NewReaderFromBytes(g.data[off-base : end-base])
		var p page
		if err := thrift.NewDecoder(r).Decode(&p.header); err != nil {
			return nil, fmt.Errorf("page header at byte %d: %w", off, err)
		}
		p.off, p.headerLen = off, int64(r.BytesRead())
		pages = append(pages, p)
		off += p.headerLen + int64(p.header.CompressedPageSize)
		if p.header.CompressedPageSize < 0 || off > end {
			return nil, fmt.Errorf("page at byte %d overruns its column chunk", p.off)
		}
	}
	return pages, nil
}

// trimPageStatistics leaves out the min/max of data page headers of
// BYTE_ARRAY columns longer than MaxStatisticsBytes. parquet-go copies a
// page's bounds whole into its header (twice, with the deprecated fields),
// so a long value made headers of several times its size, which readers
// (splitdata's among them) refuse beyond a bound. Only the column chunks
// that hold such a header are rewritten; the offsets and sizes of every
// chunk after them, and their offset indexes, move with them. base is the
// file offset of g.data[0].
func (g *EncodedRowGroup) trimPageStatistics(leaves []leafLayout, base int64) error {
	cols := g.meta.Columns
	firsts := make([]int64, len(cols))
	var long [][]page // per column, its pages when one needs trimming
	prevEnd := base
	for i := range cols {
		md := &cols[i].MetaData
		first := md.DataPageOffset
		if md.DictionaryPageOffset > 0 {
			first = min(first, md.DictionaryPageOffset)
		}
		if first < prevEnd {
			return nil // not laid out in column order: leave as written
		}
		firsts[i], prevEnd = first, first+md.TotalCompressedSize
		if leaves[i].kind != parquet.ByteArray {
			continue
		}
		pages, err := g.chunkPages(&cols[i], first, base)
		if err != nil {
			return err
		}
		for _, p := range pages {
			if st := pageStatistics(&p.header); st != nil && longBounds(st) {
				if long == nil {
					long = make([][]page, len(cols))
				}
				long[i] = pages
				break
			}
		}
	}
	if long == nil {
		return nil
	}
	out := make([]byte, 0, len(g.data))
	compact := new(thrift.CompactProtocol)
	done := base // file offset of the old data copied so far
	for i := range cols {
		md := &cols[i].MetaData
		// Bytes before the chunk (none from parquet-go) are kept.
		out = append(out, g.data[done-base:firsts[i]-base]...)
		newFirst := base + int64(len(out))
		moved := map[int64]int64{} // old page offset -> new
		grow := map[int64]int64{}  // old page offset -> header growth
		if long[i] == nil {
			out = append(out, g.data[firsts[i]-base:firsts[i]+md.TotalCompressedSize-base]...)
		} else {
			var growth int64
			for _, p := range long[i] {
				moved[p.off] = base + int64(len(out))
				hdr := g.data[p.off-base : p.off+p.headerLen-base]
				if st := pageStatistics(&p.header); st != nil && longBounds(st) {
					st.Min, st.Max, st.MinValue, st.MaxValue = nil, nil, nil, nil
					b, err := thrift.Marshal(compact, &p.header)
					if err != nil {
						return fmt.Errorf("encode page header: %w", err)
					}
					hdr = b
				}
				out = append(out, hdr...)
				out = append(out, g.data[p.off+p.headerLen-base:p.off+p.headerLen+int64(p.header.CompressedPageSize)-base]...)
				grow[p.off] = int64(len(hdr)) - p.headerLen
				growth += grow[p.off]
			}
			md.TotalCompressedSize += growth
			md.TotalUncompressedSize += growth
			g.meta.TotalCompressedSize += growth
			g.meta.TotalByteSize += growth
		}
		shift := newFirst - firsts[i]
		relocate := func(off int64) int64 {
			if n, ok := moved[off]; ok {
				return n
			}
			return off + shift
		}
		md.DataPageOffset = relocate(md.DataPageOffset)
		if md.DictionaryPageOffset > 0 {
			md.DictionaryPageOffset = relocate(md.DictionaryPageOffset)
		}
		if oi := g.offsetIndex[i]; oi != nil {
			for k := range oi.PageLocations {
				loc := &oi.PageLocations[k]
				loc.CompressedPageSize += int32(grow[loc.Offset])
				loc.Offset = relocate(loc.Offset)
			}
		}
		done = firsts[i] + (md.TotalCompressedSize - sumGrowth(grow))
	}
	out = append(out, g.data[done-base:]...)
	g.data, g.file = out, nil
	return nil
}

// sumGrowth adds up the header growths of a chunk's pages.
func sumGrowth(grow map[int64]int64) int64 {
	var n int64
	for _, d := range grow {
		n += d
	}
	return n
}
