package sinks

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// This file locates the row group in the in-memory single-row-group file
// parquet-go writes for it: the column chunks, their metadata, repaired
// and trimmed where parquet-go's are unusable, and their page index.

// parse locates the row group in the in-memory file data.
func (e *RowGroupEncoder) parse(data []byte) (*EncodedRowGroup, error) {
	meta, footerStart, err := readFooter(data)
	if err != nil {
		return nil, err
	}
	g := &EncodedRowGroup{opts: e.opts, shape: e.shape, held: int64(cap(data))}
	switch len(meta.RowGroups) {
	case 0:
		return g, nil
	case 1:
	default:
		return nil, fmt.Errorf("in-memory file has %d row groups, want 1", len(meta.RowGroups))
	}
	return e.locate(g, data, meta.RowGroups[0], footerStart)
}

// locate fills g with row group rg of the in-memory file data, whose
// footer (or end) is at footerStart.
func (e *RowGroupEncoder) locate(g *EncodedRowGroup, data []byte, rg format.RowGroup, footerStart int) (*EncodedRowGroup, error) {
	if len(rg.Columns) != len(e.leaves) {
		return nil, fmt.Errorf("in-memory row group has %d column chunks, want %d", len(rg.Columns), len(e.leaves))
	}

	// parquet-go writes [magic][column chunks][page index][footer]; the
	// column chunks are copied as one block, and the page index, whose
	// offset index holds absolute offsets, is kept aside to be rewritten.
	end := int64(footerStart)
	for i := range rg.Columns {
		c := &rg.Columns[i]
		if c.ColumnIndexOffset > 0 {
			end = min(end, c.ColumnIndexOffset)
		}
		if c.OffsetIndexOffset > 0 {
			end = min(end, c.OffsetIndexOffset)
		}
	}
	const start = int64(len(parquetMagic))
	within := func(off, n int64, lo, hi int64) bool { return off >= lo && n >= 0 && off+n <= hi }
	for i := range rg.Columns {
		c := &rg.Columns[i]
		md := &c.MetaData
		first := md.DataPageOffset
		if md.DictionaryPageOffset > 0 {
			first = min(first, md.DictionaryPageOffset)
		}
		if !within(first, md.TotalCompressedSize, start, end) {
			return nil, fmt.Errorf("column chunk %d at [%d, +%d) lies outside the data region [%d, %d)", i, first, md.TotalCompressedSize, start, end)
		}
		if md.BloomFilterOffset > 0 && !within(md.BloomFilterOffset, int64(md.BloomFilterLength), start, end) {
			return nil, fmt.Errorf("bloom filter of column chunk %d lies outside the data region", i)
		}
	}
	g.data = data[start:end]
	if string(data[:start]) == parquetMagic {
		g.file = data[:end]
	}
	g.numRows = rg.NumRows
	g.meta = rg
	g.columnIndex = make([][]byte, len(rg.Columns))
	g.offsetIndex = make([]*format.OffsetIndex, len(rg.Columns))
	for i := range rg.Columns {
		c := &rg.Columns[i]
		if c.OffsetIndexOffset > 0 {
			off, n := c.OffsetIndexOffset, int64(c.OffsetIndexLength)
			if !within(off, n, end, int64(footerStart)) {
				return nil, fmt.Errorf("offset index of column chunk %d lies outside the page index", i)
			}
			oi := new(format.OffsetIndex)
			if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[off:off+n], oi); err != nil {
				return nil, fmt.Errorf("decode offset index of column chunk %d: %w", i, err)
			}
			g.offsetIndex[i] = oi
		}
		kind := e.leaves[i].kind
		if kind < 0 {
			// A NULL-typed column: see leafLayout.physical.
			c.MetaData.Type = e.leaves[i].physical
		}
		st := &c.MetaData.Statistics
		if e.leaves[i].unordered || isNaN(kind, st.MinValue) || isNaN(kind, st.MaxValue) || isNaN(kind, st.Min) || isNaN(kind, st.Max) {
			// Written without bounds (see unorderedType), or with NaN
			// bounds, which the format forbids (parquet-go writes them
			// for a chunk of NaNs only): no min/max, and no column index,
			// whose min/max are required.
			st.Min, st.Max, st.MinValue, st.MaxValue = nil, nil, nil, nil
		} else if c.ColumnIndexOffset > 0 && g.offsetIndex[i] != nil {
			off, n := c.ColumnIndexOffset, int64(c.ColumnIndexLength)
			if !within(off, n, end, int64(footerStart)) {
				return nil, fmt.Errorf("column index of column chunk %d lies outside the page index", i)
			}
			ci, err := checkColumnIndex(data[off:off+n], len(g.offsetIndex[i].PageLocations), kind)
			if err != nil {
				return nil, fmt.Errorf("column index of column chunk %d: %w", i, err)
			}
			g.columnIndex[i] = ci
		}
		if kind == parquet.ByteArray && len(st.MinValue)+len(st.MaxValue)+len(st.Min)+len(st.Max) > MaxStatisticsBytes {
			// Long values would be copied whole into the footer: a 256 MB
			// string made a 536 MB footer that readers refuse. Left out,
			// as parquet-java and Arrow C++ leave out statistics over 4 KiB
			// (the column index keeps parquet-go's 16-byte truncations).
			st.Min, st.Max, st.MinValue, st.MaxValue = nil, nil, nil, nil
		}
		// The index locations are the file writer's to set.
		c.ColumnIndexOffset, c.ColumnIndexLength = 0, 0
		c.OffsetIndexOffset, c.OffsetIndexLength = 0, 0
	}
	g.meta = rg
	if err := g.trimPageStatistics(e.leaves, start); err != nil {
		return nil, err
	}
	return g, nil
}

// checkColumnIndex returns the thrift-encoded column index raw of a column
// chunk of pages data pages of kind, repaired, or nil when it is unusable
// and must be left out. The format requires one null_pages, min_values and
// max_values entry per page (empty min/max for pages of nulls only), and
// readers that use the page index check this. parquet-go v0.32 omits the
// entries of null pages of FIXED_LEN_BYTE_ARRAY columns, shifting the
// others onto the wrong pages; they are put back. An index that is wrong in
// another way, or has NaN bounds (a page of NaNs only), is dropped: a
// missing column index only costs readers the ability to skip pages.
func checkColumnIndex(raw []byte, pages int, kind parquet.Kind) ([]byte, error) {
	ci := new(format.ColumnIndex)
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), raw, ci); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if len(ci.NullPages) != pages || len(ci.NullCounts) != 0 && len(ci.NullCounts) != pages {
		return nil, nil
	}
	for i := range ci.MinValues {
		if isNaN(kind, ci.MinValues[i]) || i < len(ci.MaxValues) && isNaN(kind, ci.MaxValues[i]) {
			return nil, nil
		}
	}
	if len(ci.MinValues) == pages && len(ci.MaxValues) == pages {
		return raw, nil
	}
	nonNull := 0
	for _, null := range ci.NullPages {
		if !null {
			nonNull++
		}
	}
	if len(ci.MinValues) != nonNull || len(ci.MaxValues) != nonNull {
		return nil, nil
	}
	minValues := make([][]byte, 0, pages)
	maxValues := make([][]byte, 0, pages)
	j := 0
	for _, null := range ci.NullPages {
		if null {
			minValues = append(minValues, []byte{})
			maxValues = append(maxValues, []byte{})
			continue
		}
		minValues = append(minValues, ci.MinValues[j])
		maxValues = append(maxValues, ci.MaxValues[j])
		j++
	}
	ci.MinValues, ci.MaxValues = minValues, maxValues
	fixed, err := thrift.Marshal(new(thrift.CompactProtocol), ci)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return fixed, nil
}

// isNaN reports whether b is the PLAIN encoding of a FLOAT or DOUBLE NaN.
func isNaN(kind parquet.Kind, b []byte) bool {
	switch {
	case kind == parquet.Float && len(b) == 4:
		return math.IsNaN(float64(math.Float32frombits(binary.LittleEndian.Uint32(b))))
	case kind == parquet.Double && len(b) == 8:
		return math.IsNaN(math.Float64frombits(binary.LittleEndian.Uint64(b)))
	}
	return false
}

// readFooter decodes the footer of the complete Parquet file data, and
// returns it with its offset. The metadata does not alias data.
func readFooter(data []byte) (*format.FileMetaData, int, error) {
	const tail = 4 + len(parquetMagic)
	if len(data) < len(parquetMagic)+tail || string(data[:len(parquetMagic)]) != parquetMagic || string(data[len(data)-len(parquetMagic):]) != parquetMagic {
		return nil, 0, fmt.Errorf("not a parquet file of %d bytes", len(data))
	}
	n := int(binary.LittleEndian.Uint32(data[len(data)-tail:]))
	start := len(data) - tail - n
	if n < 0 || start < len(parquetMagic) {
		return nil, 0, fmt.Errorf("footer length %d exceeds the file", n)
	}
	meta := new(format.FileMetaData)
	// thrift.Unmarshal decodes a copy of its input.
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[start:start+n], meta); err != nil {
		return nil, 0, fmt.Errorf("decode footer: %w", err)
	}
	return meta, start, nil
}
