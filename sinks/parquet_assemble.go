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

// assemble returns the row group of n rows whose column c is, where
// own[c] is set, the chunk own places at the end of the row group's bytes
// so far (see pageWriter.finishInto), else the next column chunk of the
// in-memory file sub that parquet-go wrote for the other columns (nil
// when there are none). The chunks are placed in column order, so that a
// direct page writer run by own writes its pages straight into the row
// group's bytes.
func (e *RowGroupEncoder) assemble(own []*pageWriter, place func(c int, rg []byte) ([]byte, *ownChunk, error), sub []byte, n int64) (*EncodedRowGroup, error) {
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
	rg := e.buffer().AvailableBuffer()
	rg = append(rg, parquetMagic...)
	// parquet-go writes an empty list of sorting columns, not none.
	meta := format.RowGroup{Columns: make([]format.ColumnChunk, len(own)), NumRows: n, FileOffset: int64(len(parquetMagic)), SortingColumns: []format.SortingColumn{}}
	columnIndex := make([][]byte, len(own))
	offsetIndex := make([]*format.OffsetIndex, len(own))
	compact := new(thrift.CompactProtocol)
	j := 0 // the next column chunk of sub
	for c, w := range own {
		pos := int64(len(rg))
		if w != nil {
			var ch *ownChunk
			var err error
			if rg, ch, err = place(c, rg); err != nil {
				return nil, err
			}
			meta.Columns[c] = ch.meta
			offsetIndex[c] = &ch.offsetIndex
			ci, err := thrift.Marshal(compact, &ch.columnIndex)
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
			rg = appendDoubling(rg, sub[first:first+md.TotalCompressedSize])
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
			meta.Columns[c] = cc
		}
		meta.TotalByteSize += meta.Columns[c].MetaData.TotalUncompressedSize
		meta.TotalCompressedSize += meta.Columns[c].MetaData.TotalCompressedSize
	}
	for c, ci := range columnIndex {
		if ci != nil {
			meta.Columns[c].ColumnIndexOffset = int64(len(rg))
			meta.Columns[c].ColumnIndexLength = int32(len(ci))
			rg = appendDoubling(rg, ci)
		}
	}
	for c, oi := range offsetIndex {
		if oi != nil {
			b, err := thrift.Marshal(compact, oi)
			if err != nil {
				return nil, fmt.Errorf("encode offset index of column %d: %w", c, err)
			}
			meta.Columns[c].OffsetIndexOffset = int64(len(rg))
			meta.Columns[c].OffsetIndexLength = int32(len(b))
			rg = appendDoubling(rg, b)
		}
	}
	e.sizeHint.Store(int64(len(rg) + len(rg)/8))
	g := &EncodedRowGroup{opts: e.opts, shape: e.shape, held: int64(cap(rg))}
	g, err := e.locate(g, rg, meta, len(rg))
	if err != nil {
		return nil, err
	}
	// The buffer the row group's bytes grew in, kept for the next.
	g.buf, g.free = bytes.NewBuffer(rg), e.free
	if err := e.indexRuns(g, own); err != nil {
		return nil, err
	}
	return g, nil
}

// appendDoubling appends b to dst, doubling dst's capacity when it is
// short: append grows a large slice by a quarter at a time, allocating
// and copying about five times its final size on the way, where a row
// group's buffer with no size hint yet (an encoder's first) costs twice.
func appendDoubling(dst, b []byte) []byte {
	if n := len(dst) + len(b); n > cap(dst) {
		grown := make([]byte, len(dst), max(n, 2*cap(dst)))
		copy(grown, dst)
		dst = grown
	}
	return append(dst, b...)
}

// recycle gives buf back to e's free buffers, when there is room.
func (e *RowGroupEncoder) recycle(buf *bytes.Buffer) {
	select {
	case e.free <- buf:
	default:
	}
}
