package sinks

import (
	"bytes"
	"fmt"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// This file finishes a row group whose stream held its pages in a spool
// (parquet_stream_spool.go): left there, or joined in one buffer.

// finishSpool finishes a row group some of whose columns splitdata's page
// writer wrote into the spool. When they all were, and no page needs its
// statistics trimmed, the row group's pages stay where they are
// (finishSegments); else the row group is joined in one buffer as a held
// one is, its own columns' pages copied from the spool.
func (s *RowGroupStream) finishSpool() (*EncodedRowGroup, error) {
	for c, pw := range s.own {
		if pw == nil {
			continue
		}
		// The last pages, so that finishInto leaves only the dictionary.
		if err := pw.flush(); err != nil {
			return nil, fmt.Errorf("encode row group of %d rows: column %d: %w", s.n, c, err)
		}
	}
	if err := s.drain(); err != nil {
		return nil, err
	}
	defer s.releaseWriters()
	defer s.releaseSpool() // unless the row group took it
	if s.w == nil && !s.long {
		return s.finishSegments()
	}
	sub, err := s.subFile()
	if err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: %w", s.n, err)
	}
	place := func(c int, rg []byte) ([]byte, *ownChunk, error) {
		start := len(rg)
		dict, ch, err := s.finishColumn(c)
		if err != nil {
			return rg, nil, err
		}
		rg = appendDoubling(rg, dict)
		if rg, err = s.spool.appendTo(rg, s.spool.cols[c]); err != nil {
			return rg, nil, err
		}
		placeChunk(ch, int64(start), len(dict) > 0)
		return rg, ch, nil
	}
	return s.assembled(s.e.assemble(s.own, place, sub, s.n))
}

// assembled returns the row group assemble made of the stream's n rows,
// once it has recycled the buffer of parquet-go's writer (assemble copied
// what it keeps of it).
func (s *RowGroupStream) assembled(g *EncodedRowGroup, err error) (*EncodedRowGroup, error) {
	if s.buf != nil {
		s.e.recycle(s.buf)
		s.buf = nil
	}
	if err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: %w", s.n, err)
	}
	if g.numRows != s.n {
		return nil, fmt.Errorf("encode row group: wrote %d rows but the encoded group holds %d", s.n, g.numRows)
	}
	return g, nil
}

// finishColumn finishes own column c, whose pages are all in the spool,
// and returns its dictionary page (nil without one) and its chunk, whose
// offsets count from its first byte (the dictionary's).
func (s *RowGroupStream) finishColumn(c int) ([]byte, *ownChunk, error) {
	pw := s.own[c]
	moved := int64(-pw.base)
	dict, ch, err := pw.finishInto(s.scratch[:0])
	if err != nil {
		return nil, nil, fmt.Errorf("column %d: %w", c, err)
	}
	s.scratch = dict[:0]
	// finishInto saw the chunk's bytes after the dictionary as those not
	// moved, none: its pages are the bytes moved.
	ch.meta.MetaData.TotalCompressedSize += moved
	return dict, ch, nil
}

// placeChunk moves the offsets of ch to a chunk starting at start of the
// row group's in-memory file.
func placeChunk(ch *ownChunk, start int64, dict bool) {
	md := &ch.meta.MetaData
	md.DataPageOffset += start
	if dict {
		md.DictionaryPageOffset = start
	}
	for k := range ch.offsetIndex.PageLocations {
		ch.offsetIndex.PageLocations[k].Offset += start
	}
}

// finishSegments returns the row group whose every column splitdata's
// page writer wrote, its pages left in the spool: the metadata and page
// index a held row group's would have after RowGroupEncoder.locate.
func (s *RowGroupStream) finishSegments() (*EncodedRowGroup, error) {
	e := s.e
	n := len(s.own)
	meta := format.RowGroup{Columns: make([]format.ColumnChunk, n), NumRows: s.n, FileOffset: int64(len(parquetMagic)), SortingColumns: []format.SortingColumn{}}
	g := &EncodedRowGroup{opts: e.opts, shape: e.shape, numRows: s.n, columnIndex: make([][]byte, n), offsetIndex: make([]*format.OffsetIndex, n)}
	var segs []spoolSeg
	pos := int64(len(parquetMagic))
	compact := new(thrift.CompactProtocol)
	for c := range s.own {
		dict, ch, err := s.finishColumn(c)
		if err != nil {
			return nil, fmt.Errorf("encode row group of %d rows: %w", s.n, err)
		}
		dictSegs, err := s.spool.put(nil, dict)
		if err != nil {
			return nil, fmt.Errorf("encode row group of %d rows: %w", s.n, err)
		}
		placeChunk(ch, pos, len(dict) > 0)
		segs = append(segs, dictSegs...)
		segs = append(segs, s.spool.cols[c]...)
		md := &ch.meta.MetaData
		pos += md.TotalCompressedSize
		meta.TotalByteSize += md.TotalUncompressedSize
		meta.TotalCompressedSize += md.TotalCompressedSize

		// The page index: the offset index as it is, copied (the page
		// writer reuses its locations), and the column index checked as
		// locate checks a held row group's.
		g.offsetIndex[c] = &format.OffsetIndex{PageLocations: append([]format.PageLocation(nil), ch.offsetIndex.PageLocations...)}
		kind := e.leaves[c].kind
		st := &md.Statistics
		if e.leaves[c].unordered || isNaN(kind, st.MinValue) || isNaN(kind, st.MaxValue) || isNaN(kind, st.Min) || isNaN(kind, st.Max) {
			st.Min, st.Max, st.MinValue, st.MaxValue = nil, nil, nil, nil
		} else {
			ci, err := thrift.Marshal(compact, &ch.columnIndex)
			if err != nil {
				return nil, fmt.Errorf("encode row group of %d rows: encode column index of column %d: %w", s.n, c, err)
			}
			if g.columnIndex[c], err = checkColumnIndex(ci, len(ch.offsetIndex.PageLocations), kind); err != nil {
				return nil, fmt.Errorf("encode row group of %d rows: column index of column chunk %d: %w", s.n, c, err)
			}
		}
		if kind == parquet.ByteArray && longBounds(st) {
			st.Min, st.Max, st.MinValue, st.MaxValue = nil, nil, nil, nil
		}
		meta.Columns[c] = ch.meta
	}
	g.meta = meta
	g.pages = &spooledPages{spool: s.spool, segs: segs}
	g.held = g.pages.held()
	s.spool = nil // the row group's now
	return g, nil
}

// releaseWriters gives the page writers back to the encoder.
func (s *RowGroupStream) releaseWriters() {
	for c, pw := range s.own {
		if pw != nil {
			pw.base = 0 // minus the bytes moved (see drain)
			s.e.releasePageWriter(c, pw)
		}
	}
	s.own = nil
}

// subFile closes parquet-go's writer of the other columns and returns
// the in-memory file it wrote, read back from its temporary file if it
// wrote there; nil when there is none.
func (s *RowGroupStream) subFile() ([]byte, error) {
	if s.w == nil {
		return nil, nil
	}
	if err := s.w.Close(); err != nil {
		return nil, err
	}
	if s.file == nil {
		return s.buf.Bytes(), nil
	}
	if err := s.fileBuf.Flush(); err != nil {
		return nil, err
	}
	st, err := s.file.Stat()
	if err != nil {
		return nil, err
	}
	s.buf = s.e.bufferFor(int(st.Size()))
	data := s.buf.AvailableBuffer()[:st.Size()]
	if _, err := s.file.ReadAt(data, 0); err != nil {
		return nil, fmt.Errorf("read back: %w", err)
	}
	return data, nil
}

// bufferFor returns an empty buffer of at least n bytes for a row group
// read back from a temporary file: a released one when it is large
// enough (see RowGroupEncoder.buffer), else one of exactly n bytes.
func (e *RowGroupEncoder) bufferFor(n int) *bytes.Buffer {
	e.sizeHint.Store(int64(n + n/8))
	buf := e.buffer()
	if buf.Cap() < n {
		buf = bytes.NewBuffer(makeLarge(int64(n))[:0])
	}
	return buf
}
