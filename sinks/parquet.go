package sinks

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// parquetMagic opens and closes every Parquet file.
const parquetMagic = "PAR1"

// rowBatch is how many rows Encode reads per call to ReadRows. parquet-go's
// writer consumes rows 64 at a time; a few such chunks per read amortise the
// reader's call overhead without holding many rows.
const rowBatch = 256

// RowGroupEncoder encodes rows into self-contained row groups that a
// [ParquetFileWriter] appends to a file. An encoder is immutable after
// construction and safe for concurrent use: encoding independent row groups
// on several goroutines is how Parquet output uses more than one core. The
// bytes of an [EncodedRowGroup] depend only on the rows, the schema and the
// options, never on which goroutine encoded it or when.
//
// Each row group is encoded by parquet-go's own writer into an in-memory
// single-row-group Parquet file, whose footer is then parsed to find the
// column chunks, their metadata and their page index.
type RowGroupEncoder struct {
	opts   ParquetOptions
	config *parquet.WriterConfig
	leaves []leafLayout
	shape  *fileShape

	// sizeHint is the capacity given to the next in-memory file, taken from
	// the previous one, to spare most of a buffer's regrowth. It only ever
	// affects capacity, never bytes.
	sizeHint atomic.Int64
}

// NewRowGroupEncoder returns an encoder of rows of schema with the given
// options. The schema usually comes from an input file
// (parquet.File.Schema); flat and nested schemas (lists, maps, structs,
// optional and repeated fields) are supported. The encodings and codecs the
// schema's nodes report are ignored: the output's are fixed by opts (see
// [ParquetOptions]).
func NewRowGroupEncoder(schema *parquet.Schema, opts ParquetOptions) (*RowGroupEncoder, error) {
	if err := opts.Validate(); err != nil {
		return nil, fmt.Errorf("new row group encoder: %w", err)
	}
	codec, err := opts.codec()
	if err != nil {
		return nil, fmt.Errorf("new row group encoder: %w", err)
	}
	out, leaves, err := outputSchema(schema, codec, opts.Dictionary)
	if err != nil {
		return nil, fmt.Errorf("new row group encoder: %w", err)
	}
	config, err := opts.writerConfig(out, codec)
	if err != nil {
		return nil, fmt.Errorf("new row group encoder: %w", err)
	}
	shape, err := shapeOf(config)
	if err != nil {
		return nil, fmt.Errorf("new row group encoder: %w", err)
	}
	return &RowGroupEncoder{opts: opts, config: config, leaves: leaves, shape: shape}, nil
}

// Encode reads rows from rows until io.EOF and encodes them as one row
// group; zero rows give an empty group, which [ParquetFileWriter.Append]
// skips. Rows must be parquet.Row values as parquet-go produces them for the
// encoder's schema: one or more values per leaf column, in column order,
// with repetition and definition levels set. A row that does not fit the
// schema is reported as an error wrapping [ErrInvalidRow] with its index
// in the group; an error from rows is returned wrapped.
//
// The whole row group is held in memory, compressed: about
// [EncodedRowGroup.Size] bytes plus one page per column while encoding.
func (e *RowGroupEncoder) Encode(rows parquet.RowReader) (*EncodedRowGroup, error) {
	if rows == nil {
		return nil, errors.New("encode row group: row reader is nil")
	}
	var buf bytes.Buffer
	buf.Grow(int(e.sizeHint.Load()))
	w := parquet.NewGenericWriter[any](&buf, e.config)

	batch := make([]parquet.Row, rowBatch)
	var n int64
	for stalls := 0; ; {
		k, rerr := rows.ReadRows(batch)
		for i, row := range batch[:k] {
			if err := checkRow(row, e.leaves); err != nil {
				return nil, fmt.Errorf("encode row group: row %d: %w", n+int64(i), err)
			}
		}
		if k > 0 {
			if _, err := w.WriteRows(batch[:k]); err != nil {
				return nil, fmt.Errorf("encode row group: rows %d to %d: %w", n, n+int64(k)-1, err)
			}
			n += int64(k)
			stalls = 0
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return nil, fmt.Errorf("encode row group: read rows after row %d: %w", n, rerr)
		}
		// Like io.ReadFull, give up on a reader that keeps returning nothing.
		if k == 0 {
			if stalls++; stalls == 100 {
				return nil, fmt.Errorf("encode row group: read rows after row %d: %w", n, io.ErrNoProgress)
			}
		}
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: %w", n, err)
	}
	data := buf.Bytes()
	e.sizeHint.Store(int64(len(data) + len(data)/8))

	g, err := e.parse(data)
	if err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: %w", n, err)
	}
	if g.numRows != n {
		return nil, fmt.Errorf("encode row group: wrote %d rows but the encoded group holds %d", n, g.numRows)
	}
	return g, nil
}

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
	rg := meta.RowGroups[0]
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
	g.numRows = rg.NumRows
	g.meta = rg
	g.columnIndex = make([][]byte, len(rg.Columns))
	g.offsetIndex = make([]*format.OffsetIndex, len(rg.Columns))
	for i := range rg.Columns {
		c := &rg.Columns[i]
		if c.ColumnIndexOffset > 0 {
			off, n := c.ColumnIndexOffset, int64(c.ColumnIndexLength)
			if !within(off, n, end, int64(footerStart)) {
				return nil, fmt.Errorf("column index of column chunk %d lies outside the page index", i)
			}
			g.columnIndex[i] = data[off : off+n]
		}
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
		// The index locations are the file writer's to set.
		c.ColumnIndexOffset, c.ColumnIndexLength = 0, 0
		c.OffsetIndexOffset, c.OffsetIndexLength = 0, 0
	}
	return g, nil
}

// EncodedRowGroup is one encoded row group: its column-chunk bytes, their
// metadata and page index, with offsets not yet placed in a file. It is
// immutable and may be shared between goroutines; appending it does not
// modify it.
type EncodedRowGroup struct {
	opts    ParquetOptions
	shape   *fileShape
	numRows int64
	held    int64

	data        []byte          // column chunks; offsets in meta are data's in-memory file offsets
	meta        format.RowGroup // as written in the in-memory file, page index locations cleared
	columnIndex [][]byte        // per column, thrift-encoded ColumnIndex; nil when absent
	offsetIndex []*format.OffsetIndex
}

// NumRows returns the number of rows in g.
func (g *EncodedRowGroup) NumRows() int64 { return g.numRows }

// Size returns the number of bytes g holds, for memory accounting: the
// buffer holding its encoded column chunks, page index and metadata. It is
// at least the number of bytes [ParquetFileWriter.Append] writes for g.
func (g *EncodedRowGroup) Size() int64 { return g.held }

// fileShape is what every file of one schema shares: its schema elements
// and column orders as parquet-go writes them, and their encoding, used to
// check that a row group is appended to a file of its own schema.
type fileShape struct {
	version  int32
	elements []format.SchemaElement
	orders   []format.ColumnOrder
	key      string
}

// shapeOf writes an empty file with config in memory and keeps the schema
// part of its footer, so that the final footer describes the schema exactly
// as parquet-go's writer does.
func shapeOf(config *parquet.WriterConfig) (*fileShape, error) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[any](&buf, config)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("write empty file: %w", err)
	}
	meta, _, err := readFooter(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("empty file: %w", err)
	}
	key, err := thrift.Marshal(new(thrift.CompactProtocol), &format.FileMetaData{
		Schema:       meta.Schema,
		ColumnOrders: meta.ColumnOrders,
	})
	if err != nil {
		return nil, fmt.Errorf("encode schema: %w", err)
	}
	return &fileShape{
		version:  meta.Version,
		elements: meta.Schema,
		orders:   meta.ColumnOrders,
		key:      string(key),
	}, nil
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
