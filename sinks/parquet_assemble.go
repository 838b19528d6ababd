package sinks

import (
	"bytes"
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// This file joins the column chunks of splitdata's page writer with those
// parquet-go writes for the other columns into one row group, laid out as
// parquet-go lays out its own: the chunks in column order, then the page
// index.

// subConfig returns the configuration of parquet-go's writer for the
// columns c of e's schema without own[c], dict[c] saying which are
// dictionary encoded (dict may be nil). Its schema is e's with the
// top-level fields of own columns left out; since own columns are
// top-level leaves, the other columns keep their paths and levels, and
// parquet-go writes each column chunk from its values alone, so their
// bytes are those of the whole schema's writer.
func (e *RowGroupEncoder) subConfig(dict, own []bool) (*parquet.WriterConfig, error) {
	key := make([]byte, len(own))
	for c := range own {
		switch {
		case own[c]:
			key[c] = 2
		case dict != nil && dict[c]:
			key[c] = 1
		}
	}
	return e.cachedConfig(key, func() (*parquet.WriterConfig, error) {
		b := schemaRewriter{codec: e.codec, dict: func(c int, _ parquet.Kind) bool { return dict != nil && dict[c] }}
		root := b.rewrite(e.schema, nil)
		var fields []parquet.Field
		var leaves []leafLayout
		c := 0
		for _, f := range root.fields {
			n := countLeaves(f)
			if !(f.Leaf() && own[c]) {
				fields = append(fields, f)
				leaves = append(leaves, b.leaves[c:c+n]...)
			}
			c += n
		}
		sub := &outNode{Node: root.Node, fields: fields}
		return e.opts.writerConfig(parquet.NewSchema(e.schema.Name(), sub), leaves, e.codec)
	})
}

// countLeaves returns the number of leaf columns of n.
func countLeaves(n parquet.Node) int {
	if n.Leaf() {
		return 1
	}
	k := 0
	for _, f := range n.Fields() {
		k += countLeaves(f)
	}
	return k
}

// assemble returns the row group of n rows whose column c is chunks[c]
// where set, else the next column chunk of the in-memory file sub that
// parquet-go wrote for the other columns (nil when there are none).
func (e *RowGroupEncoder) assemble(chunks []*ownChunk, sub []byte, n int64) (*EncodedRowGroup, error) {
	var subRG *format.RowGroup
	if sub != nil {
		meta, _, err := readFooter(sub)
		if err != nil {
			return nil, err
		}
		if len(meta.RowGroups) != 1 {
			return nil, fmt.Errorf("in-memory file has %d row groups, want 1", len(meta.RowGroups))
		}
		subRG = &meta.RowGroups[0]
	}
	buf := e.buffer()
	buf.WriteString(parquetMagic)
	// parquet-go writes an empty list of sorting columns, not none.
	rg := format.RowGroup{Columns: make([]format.ColumnChunk, len(chunks)), NumRows: n, FileOffset: int64(len(parquetMagic)), SortingColumns: []format.SortingColumn{}}
	columnIndex := make([][]byte, len(chunks))
	offsetIndex := make([]*format.OffsetIndex, len(chunks))
	compact := new(thrift.CompactProtocol)
	j := 0 // the next column chunk of sub
	for c, own := range chunks {
		pos := int64(buf.Len())
		if own != nil {
			// The dictionary page first, as parquet-go lays a chunk out.
			rg.Columns[c] = own.meta
			if own.dict != nil {
				buf.Write(own.dict)
				rg.Columns[c].MetaData.DictionaryPageOffset = pos
			}
			data := int64(buf.Len())
			buf.Write(own.data)
			rg.Columns[c].MetaData.DataPageOffset = data
			oi := &own.offsetIndex
			for k := range oi.PageLocations {
				oi.PageLocations[k].Offset += data
			}
			offsetIndex[c] = oi
			ci, err := thrift.Marshal(compact, &own.columnIndex)
			if err != nil {
				return nil, fmt.Errorf("encode column index of column %d: %w", c, err)
			}
			columnIndex[c] = ci
		} else {
			if subRG == nil || j >= len(subRG.Columns) {
				return nil, fmt.Errorf("no column chunk for column %d", c)
			}
			cc := subRG.Columns[j]
			j++
			md := &cc.MetaData
			first := md.DataPageOffset
			if md.DictionaryPageOffset > 0 {
				first = min(first, md.DictionaryPageOffset)
			}
			if first < int64(len(parquetMagic)) || md.TotalCompressedSize < 0 || first+md.TotalCompressedSize > int64(len(sub)) {
				return nil, fmt.Errorf("column chunk %d lies outside the in-memory file", c)
			}
			buf.Write(sub[first : first+md.TotalCompressedSize])
			shift := pos - first
			md.DataPageOffset += shift
			if md.DictionaryPageOffset > 0 {
				md.DictionaryPageOffset += shift
			}
			if cc.ColumnIndexOffset > 0 {
				off, m := cc.ColumnIndexOffset, int64(cc.ColumnIndexLength)
				if off+m > int64(len(sub)) || m < 0 {
					return nil, fmt.Errorf("column index of column %d lies outside the in-memory file", c)
				}
				columnIndex[c] = sub[off : off+m]
			}
			if cc.OffsetIndexOffset > 0 {
				off, m := cc.OffsetIndexOffset, int64(cc.OffsetIndexLength)
				if off+m > int64(len(sub)) || m < 0 {
					return nil, fmt.Errorf("offset index of column %d lies outside the in-memory file", c)
				}
				oi := new(format.OffsetIndex)
				if err := thrift.Unmarshal(compact, sub[off:off+m], oi); err != nil {
					return nil, fmt.Errorf("decode offset index of column %d: %w", c, err)
				}
				for k := range oi.PageLocations {
					oi.PageLocations[k].Offset += shift
				}
				offsetIndex[c] = oi
			}
			cc.ColumnIndexOffset, cc.ColumnIndexLength = 0, 0
			cc.OffsetIndexOffset, cc.OffsetIndexLength = 0, 0
			rg.Columns[c] = cc
		}
		rg.TotalByteSize += rg.Columns[c].MetaData.TotalUncompressedSize
		rg.TotalCompressedSize += rg.Columns[c].MetaData.TotalCompressedSize
	}
	for c, ci := range columnIndex {
		if ci != nil {
			rg.Columns[c].ColumnIndexOffset = int64(buf.Len())
			rg.Columns[c].ColumnIndexLength = int32(len(ci))
			buf.Write(ci)
		}
	}
	for c, oi := range offsetIndex {
		if oi != nil {
			b, err := thrift.Marshal(compact, oi)
			if err != nil {
				return nil, fmt.Errorf("encode offset index of column %d: %w", c, err)
			}
			rg.Columns[c].OffsetIndexOffset = int64(buf.Len())
			rg.Columns[c].OffsetIndexLength = int32(len(b))
			buf.Write(b)
		}
	}
	data := buf.Bytes()
	e.sizeHint.Store(int64(len(data) + len(data)/8))
	g := &EncodedRowGroup{opts: e.opts, shape: e.shape, held: int64(cap(data))}
	g, err := e.locate(g, data, rg, len(data))
	if err != nil {
		return nil, err
	}
	g.buf, g.free = buf, e.free
	return g, nil
}

// recycle gives buf back to e's free buffers, when there is room.
func (e *RowGroupEncoder) recycle(buf *bytes.Buffer) {
	select {
	case e.free <- buf:
	default:
	}
}
