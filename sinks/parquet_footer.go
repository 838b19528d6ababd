package sinks

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/filemeta"
)

// ErrClosed is returned by [ParquetFileWriter.Append] and
// [ParquetFileWriter.Close] after Close was called.
var ErrClosed = errors.New("parquet file writer is closed")

// ErrIncompatibleRowGroup is returned by [ParquetFileWriter.Append] for a
// row group encoded with another schema, or with options that encode
// differently (they may differ in CreatedBy only).
var ErrIncompatibleRowGroup = errors.New("row group does not match the file")

// KeyValue is one entry of a file's key/value metadata: the type sources
// read it as ([sources.KeyValue]).
type KeyValue = filemeta.KeyValue

// ParquetFileWriter writes one Parquet file: it appends encoded row groups
// in call order, then the page index and the footer. The output depends only
// on the appended groups, in order, and on the writer's arguments; how and
// where the groups were encoded does not matter. A ParquetFileWriter is for
// a single goroutine.
//
// The file is laid out as parquet-go lays out its own: magic, the column
// chunks of every row group, the page index (all column indexes, then all
// offset indexes, whose page offsets are shifted to where the pages landed),
// the footer and the closing magic. Column chunks are copied byte for byte
// from the [EncodedRowGroup]; the writer holds only their metadata and page
// index, a few hundred bytes per column chunk.
type ParquetFileWriter struct {
	w      countingWriter
	opts   ParquetOptions
	shape  *fileShape
	kv     []format.KeyValue
	closed bool

	rowGroups   []format.RowGroup
	numRows     int64
	columnIndex [][]byte              // per row group and column; nil when absent
	offsetIndex []*format.OffsetIndex // per row group and column, shifted; nil when absent
}

// NewParquetFileWriter returns a writer of a Parquet file of schema to w.
// Groups appended to it must come from a [RowGroupEncoder] for the same
// schema and options (CreatedBy aside). kv is written as the file's
// key/value metadata in the given order; keys and values must be valid
// UTF-8. Nothing is written to w before the first Append or Close. The
// caller owns w and closes it after Close; buffering w is not needed, since
// the writer issues few, large writes.
func NewParquetFileWriter(w io.Writer, schema *parquet.Schema, opts ParquetOptions, kv []KeyValue) (*ParquetFileWriter, error) {
	if w == nil {
		return nil, errors.New("new parquet file writer: io.Writer is nil")
	}
	_, _, _, shape, err := prepare(schema, opts)
	if err != nil {
		return nil, fmt.Errorf("new parquet file writer: %w", err)
	}
	var fkv []format.KeyValue // nil when empty: the field is then omitted
	for i, e := range kv {
		if !utf8.ValidString(e.Key) || !utf8.ValidString(e.Value) {
			return nil, fmt.Errorf("new parquet file writer: key/value metadata entry %d (key %q) is not valid UTF-8", i, e.Key)
		}
		fkv = append(fkv, format.KeyValue{Key: e.Key, Value: e.Value})
	}
	return &ParquetFileWriter{w: countingWriter{w: w}, opts: opts, shape: shape, kv: fkv}, nil
}

// Append writes the column chunks of g after those already in the file.
// A group with no rows is skipped: it adds nothing to the file. Append
// returns an error wrapping [ErrIncompatibleRowGroup] for a group of
// another schema or encoding, [ErrClosed] after Close, and the error of the
// underlying io.Writer, after which the writer is unusable (every further
// call returns that error). g is not modified and may be released once
// Append returns.
func (w *ParquetFileWriter) Append(g *EncodedRowGroup) error {
	n := len(w.rowGroups)
	if w.closed {
		return fmt.Errorf("append row group %d: %w", n, ErrClosed)
	}
	if w.w.err != nil {
		return fmt.Errorf("append row group %d: earlier write failed: %w", n, w.w.err)
	}
	if g == nil || g.shape == nil {
		return fmt.Errorf("append row group %d: row group is nil or was not made by a RowGroupEncoder", n)
	}
	if g.shape.key != w.shape.key {
		return fmt.Errorf("append row group %d: %w: it was encoded for another schema", n, ErrIncompatibleRowGroup)
	}
	if !g.opts.sameEncoding(w.opts) {
		return fmt.Errorf("append row group %d: %w: encoded with %+v, file uses %+v", n, ErrIncompatibleRowGroup, g.opts, w.opts)
	}
	if g.numRows == 0 {
		return nil
	}
	// Row group ordinals are 16-bit in the format.
	if n == math.MaxInt16 {
		return fmt.Errorf("append row group %d: a parquet file holds at most %d row groups", n, math.MaxInt16)
	}
	if w.numRows > math.MaxInt64-g.numRows {
		return fmt.Errorf("append row group %d: row count overflows", n)
	}

	// Offsets in g are those of its in-memory file, where g.data started
	// right after the magic; shift them to where g.data starts here.
	var shift int64
	if w.w.n == 0 && g.file != nil && g.pages == nil {
		// The magic and the first row group in one write: a buffered
		// writer such as a bufio.Writer takes a write larger than its
		// buffer straight to its writer only while it holds nothing,
		// and would copy a buffer's worth of the row group after the
		// magic written alone. g.data lies where it lay in its file.
		w.w.write(g.file)
	} else {
		if w.w.n == 0 {
			w.w.writeString(parquetMagic)
		}
		shift = w.w.n - int64(len(parquetMagic))
		if g.pages != nil {
			g.pages.writeTo(&w.w)
		} else {
			w.w.write(g.data)
		}
	}
	if w.w.err != nil {
		return fmt.Errorf("append row group %d: %w", n, w.w.err)
	}

	rg := g.meta
	rg.Columns = slices.Clone(rg.Columns)
	for i := range rg.Columns {
		c := &rg.Columns[i]
		c.FileOffset = shiftOffset(c.FileOffset, shift)
		md := &c.MetaData
		md.DataPageOffset = shiftOffset(md.DataPageOffset, shift)
		md.DictionaryPageOffset = shiftOffset(md.DictionaryPageOffset, shift)
		md.IndexPageOffset = shiftOffset(md.IndexPageOffset, shift)
		md.BloomFilterOffset = shiftOffset(md.BloomFilterOffset, shift)
	}
	rg.FileOffset = shiftOffset(rg.FileOffset, shift)
	rg.Ordinal = int16(n)
	w.rowGroups = append(w.rowGroups, rg)
	w.numRows += g.numRows

	for i := range rg.Columns {
		var ci []byte
		if g.columnIndex[i] != nil {
			ci = slices.Clone(g.columnIndex[i]) // do not pin g's buffer
		}
		w.columnIndex = append(w.columnIndex, ci)
		var oi *format.OffsetIndex
		if src := g.offsetIndex[i]; src != nil {
			oi = &format.OffsetIndex{
				PageLocations:               slices.Clone(src.PageLocations),
				UnencodedByteArrayDataBytes: src.UnencodedByteArrayDataBytes,
			}
			for j := range oi.PageLocations {
				oi.PageLocations[j].Offset += shift
			}
		}
		w.offsetIndex = append(w.offsetIndex, oi)
	}
	return nil
}

// shiftOffset moves a file offset by shift; zero means "not set" in the
// metadata parquet-go writes (no real offset is below the magic's 4 bytes),
// and stays zero.
func shiftOffset(off, shift int64) int64 {
	if off == 0 {
		return 0
	}
	return off + shift
}

// Close writes the page index and the footer, completing the file. A file
// with no row groups is valid and carries the schema. Close does not close
// the underlying io.Writer. It returns the error of the io.Writer, if any,
// and [ErrClosed] when called again.
func (w *ParquetFileWriter) Close() error {
	if w.closed {
		return fmt.Errorf("close parquet file: %w", ErrClosed)
	}
	w.closed = true
	if w.w.err != nil {
		return fmt.Errorf("close parquet file: earlier write failed: %w", w.w.err)
	}
	if w.w.n == 0 {
		w.w.writeString(parquetMagic)
	}

	// The page index and the footer are assembled in memory and written at
	// once: they are small, and the thrift encoder writes field by field.
	var buf bytes.Buffer
	protocol := new(thrift.CompactProtocol)
	enc := thrift.NewEncoder(protocol.NewWriter(&buf))
	// columnIndex and offsetIndex hold one entry per column chunk, in file
	// order; k walks them.
	k := 0
	for r := range w.rowGroups {
		for c := range w.rowGroups[r].Columns {
			if ci := w.columnIndex[k]; ci != nil {
				chunk := &w.rowGroups[r].Columns[c]
				chunk.ColumnIndexOffset = w.w.n + int64(buf.Len())
				buf.Write(ci)
				chunk.ColumnIndexLength = int32(len(ci))
			}
			k++
		}
	}
	k = 0
	for r := range w.rowGroups {
		for c := range w.rowGroups[r].Columns {
			if oi := w.offsetIndex[k]; oi != nil {
				chunk := &w.rowGroups[r].Columns[c]
				chunk.OffsetIndexOffset = w.w.n + int64(buf.Len())
				if err := enc.Encode(oi); err != nil {
					return fmt.Errorf("close parquet file: encode offset index of row group %d, column %d: %w", r, c, err)
				}
				chunk.OffsetIndexLength = int32(w.w.n + int64(buf.Len()) - chunk.OffsetIndexOffset)
			}
			k++
		}
	}

	meta := format.FileMetaData{
		Version:          w.shape.version,
		Schema:           w.shape.elements,
		NumRows:          w.numRows,
		RowGroups:        w.rowGroups,
		KeyValueMetadata: w.kv,
		CreatedBy:        w.opts.createdBy(),
		ColumnOrders:     w.shape.orders,
	}
	if meta.RowGroups == nil {
		meta.RowGroups = []format.RowGroup{} // required field, written as an empty list
	}
	footerStart := buf.Len()
	if err := enc.Encode(&meta); err != nil {
		return fmt.Errorf("close parquet file: encode footer: %w", err)
	}
	footerLen := buf.Len() - footerStart
	if int64(footerLen) > math.MaxUint32 {
		return fmt.Errorf("close parquet file: footer of %d bytes exceeds the format's limit", footerLen)
	}
	buf.Write(binary.LittleEndian.AppendUint32(nil, uint32(footerLen)))
	buf.WriteString(parquetMagic)
	w.w.write(buf.Bytes())
	if w.w.err != nil {
		return fmt.Errorf("close parquet file: %w", w.w.err)
	}
	return nil
}

// countingWriter counts the bytes written to w and keeps the first error.
type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

// write writes p unless an earlier write failed.
func (c *countingWriter) write(p []byte) {
	if c.err != nil {
		return
	}
	k, err := c.w.Write(p)
	c.n += int64(k)
	if err == nil && k != len(p) {
		err = io.ErrShortWrite
	}
	c.err = err
}

// writeString writes s unless an earlier write failed.
func (c *countingWriter) writeString(s string) { c.write([]byte(s)) }
