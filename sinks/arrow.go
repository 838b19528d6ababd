package sinks

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/rowcheck"
)

// ArrowOptions are the options of the Arrow IPC output format. The zero
// value writes uncompressed files.
type ArrowOptions struct {
	// Compression is the IPC body compression: "none" (or ""), "zstd" or
	// "lz4" (LZ4 frame). Compressed output is as byte-deterministic as
	// uncompressed output: arrow-go compresses each buffer on its own with
	// fixed settings.
	Compression string `json:"compression,omitempty"`
}

// Validate reports options that are not valid.
func (o ArrowOptions) Validate() error {
	switch strings.ToLower(o.Compression) {
	case "", "none", "zstd", "lz4":
		return nil
	}
	return fmt.Errorf("arrow compression %q: want none, zstd or lz4", o.Compression)
}

// Arrow is the Arrow IPC file [Format] (the "ARROW1" file format, readable
// as Feather version 2) with the given options. Rows are converted with the
// inverse of the mapping sources.OpenArrow applies to Arrow inputs: INT(n)
// columns become intN or uintN, DATE date32, TIME time32[ms] or time64,
// TIMESTAMP timestamp with time zone "UTC" when adjusted to UTC and none
// otherwise, DECIMAL (precision at most 38) decimal128, STRING (and ENUM,
// JSON) string, other BYTE_ARRAY binary, FIXED_LEN_BYTE_ARRAY
// fixed_size_binary, LIST list, MAP map, other groups struct, a repeated
// field outside a LIST a non-nullable list. INT96 and precisions above 38
// are refused. Every chunk is one record batch.
func Arrow(opts ArrowOptions) Format { return arrowFormat{opts} }

type arrowFormat struct{ opts ArrowOptions }

func (arrowFormat) Name() string { return "arrow" }
func (arrowFormat) Ext() string  { return ".arrow" }

// ArrowChunk is an encoded Arrow chunk: one record batch. Its memory comes
// from a Go allocator and is reclaimed by the garbage collector; nothing
// needs releasing.
type ArrowChunk struct {
	rec  arrow.RecordBatch
	size int64
}

// NumRows returns the number of rows in the chunk.
func (c *ArrowChunk) NumRows() int64 { return c.rec.NumRows() }

// Size returns the bytes of the record batch's buffers.
func (c *ArrowChunk) Size() int64 { return c.size }

// Record returns the chunk's record batch. It is borrowed: Retain it to keep
// it past the chunk.
func (c *ArrowChunk) Record() arrow.RecordBatch { return c.rec }

// arrowEncoder converts rows to record batches. It is immutable and safe
// for concurrent use: each Encode builds its own builders.
type arrowEncoder struct {
	schema *arrow.Schema
	nodes  []*asmNode
	layout rowcheck.Layout
	leaves int
	cols   batchCols
}

func (f arrowFormat) NewEncoder(schema *parquet.Schema) (Encoder, error) {
	if err := f.opts.Validate(); err != nil {
		return nil, err
	}
	s, nodes, err := arrowSchemaOf(schema, nil)
	if err != nil {
		return nil, fmt.Errorf("arrow encoder: %w", err)
	}
	return &arrowEncoder{schema: s, nodes: nodes, layout: rowcheck.New(schema), leaves: len(schema.Columns()), cols: newBatchCols(schema)}, nil
}

// Encode reads rows until io.EOF and converts them to one record batch.
// Rows that do not fit the schema are reported as errors wrapping
// [ErrInvalidRow].
func (e *arrowEncoder) Encode(rows parquet.RowReader) (Chunk, error) {
	if rows == nil {
		return nil, errors.New("encode record batch: row reader is nil")
	}
	return e.encode(func(take func([]parquet.Row, int64) error) error {
		_, err := drainRows("encode record batch", rows, rowBuffer(), take)
		return err
	}, true)
}

// EncodeBatches converts the rows of parts, in order, to one record batch:
// the record batch Encode makes of the same rows (see [batchCols.drain]).
func (e *arrowEncoder) EncodeBatches(parts []columnar.Rows) (Chunk, error) {
	return e.encode(func(take func([]parquet.Row, int64) error) error {
		_, err := e.cols.drain("encode record batch", parts, take)
		return err
	}, false)
}

// encode makes a record batch of the rows drain hands its take function,
// checking each row against the schema first when check.
func (e *arrowEncoder) encode(drain func(take func([]parquet.Row, int64) error) error, check bool) (Chunk, error) {
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, e.schema)
	defer b.Release()
	a := assembler{pos: make([]int, e.leaves), ends: make([]int, e.leaves)}
	err := drain(eachRow("encode record batch", func(row parquet.Row) error {
		if check {
			if err := e.layout.Check(row); err != nil {
				return err
			}
		}
		a.start(row)
		for i, node := range e.nodes {
			if err := a.assemble(node, b.Field(i)); err != nil {
				return err
			}
		}
		return nil
	}))
	if err != nil {
		return nil, err
	}
	rec := b.NewRecordBatch()
	return &ArrowChunk{rec: rec, size: recordBytes(rec)}, nil
}

// recordBytes is the size of a record batch's buffers.
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	var walk func(d arrow.ArrayData)
	walk = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
		}
		for _, c := range d.Children() {
			walk(c)
		}
	}
	for _, c := range rec.Columns() {
		walk(c.Data())
	}
	return n
}

func (f arrowFormat) NewFileWriter(w io.Writer, schema *parquet.Schema, kv []KeyValue) (FileWriter, error) {
	if err := f.opts.Validate(); err != nil {
		return nil, err
	}
	keys, values := make([]string, len(kv)), make([]string, len(kv))
	for i, e := range kv {
		keys[i], values[i] = e.Key, e.Value
	}
	md := arrow.NewMetadata(keys, values)
	s, _, err := arrowSchemaOf(schema, &md)
	if err != nil {
		return nil, fmt.Errorf("arrow file writer: %w", err)
	}
	opts := []ipc.Option{ipc.WithSchema(s), ipc.WithAllocator(memory.NewGoAllocator())}
	switch strings.ToLower(f.opts.Compression) {
	case "zstd":
		opts = append(opts, ipc.WithZstd())
	case "lz4":
		opts = append(opts, ipc.WithLZ4())
	}
	fw, err := ipc.NewFileWriter(w, opts...)
	if err != nil {
		return nil, fmt.Errorf("arrow file writer: %w", err)
	}
	return &arrowFileWriter{w: fw, schema: s}, nil
}

// arrowFileWriter appends record batches to an IPC file.
type arrowFileWriter struct {
	w      *ipc.FileWriter
	schema *arrow.Schema
}

// Append writes c's record batch; empty chunks are skipped.
func (w *arrowFileWriter) Append(c Chunk) error {
	ac, ok := c.(*ArrowChunk)
	if !ok {
		return fmt.Errorf("%w: a %T is not an Arrow chunk", ErrIncompatibleRowGroup, c)
	}
	if !ac.rec.Schema().Equal(w.schema.WithEndianness(ac.rec.Schema().Endianness())) && !sameFields(ac.rec.Schema(), w.schema) {
		return fmt.Errorf("%w: record batch schema differs from the file's", ErrIncompatibleRowGroup)
	}
	if ac.rec.NumRows() == 0 {
		return nil
	}
	return w.w.Write(ac.rec)
}

// sameFields compares schemas ignoring metadata.
func sameFields(a, b *arrow.Schema) bool {
	if a.NumFields() != b.NumFields() {
		return false
	}
	for i := range a.NumFields() {
		if !a.Field(i).Equal(b.Field(i)) {
			return false
		}
	}
	return true
}

// Close writes the footer. It does not close the underlying writer.
func (w *arrowFileWriter) Close() error { return w.w.Close() }

// assembler rebuilds Arrow values from one row's values, column by column.
type assembler struct {
	row  parquet.Row
	pos  []int // next value of each column in row
	ends []int // end of each column's values in row
}

// start positions the cursors on row, whose values are in column order.
func (a *assembler) start(row parquet.Row) {
	a.row = row
	for c := range a.pos {
		a.pos[c], a.ends[c] = 0, 0
	}
	for i, v := range row {
		c := v.Column()
		if a.ends[c] == 0 {
			a.pos[c] = i
		}
		a.ends[c] = i + 1
	}
}

// skip passes one value of every column of n.
func (a *assembler) skip(n *asmNode) {
	for c := n.col; c < n.col+n.leaves; c++ {
		a.pos[c]++
	}
}

// assemble appends the next instance of n to b.
func (a *assembler) assemble(n *asmNode, b array.Builder) error {
	if a.pos[n.col] >= a.ends[n.col] {
		return fmt.Errorf("%w: column %d has too few values", ErrInvalidRow, n.col)
	}
	v := a.row[a.pos[n.col]]
	if n.optional && v.DefinitionLevel() < n.def {
		b.AppendNull()
		a.skip(n)
		return nil
	}
	switch n.kind {
	case asmLeaf:
		a.pos[n.col]++
		return n.put(b, v)
	case asmStruct:
		sb := b.(*array.StructBuilder)
		sb.Append(true)
		for i, c := range n.children {
			if err := a.assemble(c, sb.FieldBuilder(i)); err != nil {
				return err
			}
		}
		return nil
	}
	// Lists and maps.
	if n.kind == asmMap {
		b.(*array.MapBuilder).Append(true)
	} else {
		b.(*array.ListBuilder).Append(true)
	}
	if v.DefinitionLevel() < n.elemDef {
		a.skip(n) // present and empty
		return nil
	}
	for {
		if n.kind == asmMap {
			mb := b.(*array.MapBuilder)
			if err := a.assemble(n.children[0], mb.KeyBuilder()); err != nil {
				return err
			}
			if err := a.assemble(n.children[1], mb.ItemBuilder()); err != nil {
				return err
			}
		} else if err := a.assemble(n.children[0], b.(*array.ListBuilder).ValueBuilder()); err != nil {
			return err
		}
		p := a.pos[n.col]
		if p >= a.ends[n.col] || a.row[p].RepetitionLevel() != n.rep {
			return nil
		}
	}
}
