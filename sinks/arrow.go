package sinks

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

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
}

func (f arrowFormat) NewEncoder(schema *parquet.Schema) (Encoder, error) {
	if err := f.opts.Validate(); err != nil {
		return nil, err
	}
	s, nodes, err := arrowSchemaOf(schema, nil)
	if err != nil {
		return nil, fmt.Errorf("arrow encoder: %w", err)
	}
	return &arrowEncoder{schema: s, nodes: nodes, layout: rowcheck.New(schema), leaves: len(schema.Columns())}, nil
}

// Encode reads rows until io.EOF and converts them to one record batch.
// Rows that do not fit the schema are reported as errors wrapping
// [ErrInvalidRow].
func (e *arrowEncoder) Encode(rows parquet.RowReader) (Chunk, error) {
	if rows == nil {
		return nil, errors.New("encode record batch: row reader is nil")
	}
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, e.schema)
	defer b.Release()
	a := assembler{pos: make([]int, e.leaves), ends: make([]int, e.leaves)}
	_, err := drainRows("encode record batch", rows, rowBuffer(), eachRow("encode record batch", func(row parquet.Row) error {
		if err := e.layout.Check(row); err != nil {
			return err
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

// asmKind is the shape of an [asmNode].
type asmKind uint8

const (
	asmLeaf asmKind = iota
	asmStruct
	asmList
	asmMap
)

// asmNode rebuilds one Arrow field from the Parquet values of its leaves.
type asmNode struct {
	kind     asmKind
	optional bool
	def      int // definition level at which the node is present
	elemDef  int // lists and maps: definition level of a present element
	rep      int // lists and maps: repetition level of their elements
	col      int // first leaf column
	leaves   int
	children []*asmNode // struct fields; list element; map key and value
	put      func(b array.Builder, v parquet.Value) error
}

// arrowSchemaOf maps a Parquet schema to an Arrow schema with metadata md
// and the assemblers of its fields.
func arrowSchemaOf(schema *parquet.Schema, md *arrow.Metadata) (*arrow.Schema, []*asmNode, error) {
	if schema == nil {
		return nil, nil, errors.New("schema is nil")
	}
	m := asmMapper{}
	var fields []arrow.Field
	var nodes []*asmNode
	for _, f := range schema.Fields() {
		af, node, err := m.field(nil, f, 0, 0)
		if err != nil {
			return nil, nil, err
		}
		fields = append(fields, af)
		nodes = append(nodes, node)
	}
	if len(fields) == 0 {
		return nil, nil, fmt.Errorf("schema %q has no columns", schema.Name())
	}
	return arrow.NewSchema(fields, md), nodes, nil
}

type asmMapper struct{ col int }

// field maps field f under path, whose parent is present at levels (rep,
// def).
func (m *asmMapper) field(path []string, f parquet.Field, rep, def int) (arrow.Field, *asmNode, error) {
	path = append(path[:len(path):len(path)], f.Name())
	if f.Repeated() {
		// A repeated field outside a LIST: a non-nullable list of its
		// required content.
		start := m.col
		elemType, elem, err := m.content(path, f, rep+1, def+1)
		if err != nil {
			return arrow.Field{}, nil, err
		}
		node := &asmNode{kind: asmList, def: def, elemDef: def + 1, rep: rep + 1, col: start, leaves: m.col - start, children: []*asmNode{elem}}
		return arrow.Field{Name: f.Name(), Type: arrow.ListOfNonNullable(elemType)}, node, nil
	}
	if f.Optional() {
		def++
	}
	t, node, err := m.content(path, f, rep, def)
	if err != nil {
		return arrow.Field{}, nil, err
	}
	node.optional = f.Optional()
	return arrow.Field{Name: f.Name(), Type: t, Nullable: f.Optional()}, node, nil
}

// content maps the type of node n, present at levels (rep, def).
func (m *asmMapper) content(path []string, n parquet.Node, rep, def int) (arrow.DataType, *asmNode, error) {
	start := m.col
	node := &asmNode{def: def, col: start}
	if n.Leaf() {
		t, put, err := arrowLeaf(n.Type())
		if err != nil {
			return nil, nil, fmt.Errorf("column %q: %w", strings.Join(path, "."), err)
		}
		node.kind, node.put, node.leaves = asmLeaf, put, 1
		m.col++
		return t, node, nil
	}
	fields := n.Fields()
	var ltv format.LogicalTypeValue
	if lt := n.Type().LogicalType(); lt != nil {
		ltv = lt.Value
	}
	_, isList := ltv.(*format.ListType)
	_, isMap := ltv.(*format.MapType)
	switch {
	case isList && len(fields) == 1 && fields[0].Repeated():
		r := fields[0]
		var elemType arrow.DataType
		var elem *asmNode
		var nullable bool
		var err error
		if !r.Leaf() && len(r.Fields()) == 1 && r.Name() != "array" && r.Name() != path[len(path)-1]+"_tuple" {
			// Three-level list: repeated group with the element inside.
			var ef arrow.Field
			ef, elem, err = m.field(append(path, r.Name()), r.Fields()[0], rep+1, def+1)
			elemType, nullable = ef.Type, ef.Nullable
		} else {
			elemType, elem, err = m.content(append(path, r.Name()), r, rep+1, def+1)
		}
		if err != nil {
			return nil, nil, err
		}
		node.kind, node.elemDef, node.rep, node.children = asmList, def+1, rep+1, []*asmNode{elem}
		node.leaves = m.col - start
		if nullable {
			return arrow.ListOf(elemType), node, nil
		}
		return arrow.ListOfNonNullable(elemType), node, nil
	case isMap && len(fields) == 1 && fields[0].Repeated() && !fields[0].Leaf() &&
		len(fields[0].Fields()) == 2 && fields[0].Fields()[0].Required():
		kv := fields[0]
		kvPath := append(path, kv.Name())
		kf, key, err := m.field(kvPath, kv.Fields()[0], rep+1, def+1)
		if err != nil {
			return nil, nil, err
		}
		vf, value, err := m.field(kvPath, kv.Fields()[1], rep+1, def+1)
		if err != nil {
			return nil, nil, err
		}
		node.kind, node.elemDef, node.rep, node.children = asmMap, def+1, rep+1, []*asmNode{key, value}
		node.leaves = m.col - start
		vf.Name = "value"
		kf.Name = "key"
		return arrow.MapOfFields(kf, vf), node, nil
	}
	var afs []arrow.Field
	for _, f := range fields {
		af, child, err := m.field(path, f, rep, def)
		if err != nil {
			return nil, nil, err
		}
		afs = append(afs, af)
		node.children = append(node.children, child)
	}
	node.kind, node.leaves = asmStruct, m.col-start
	return arrow.StructOf(afs...), node, nil
}

// arrowLeaf maps a Parquet leaf type to an Arrow type and the function
// that appends a value of it to a builder of that type.
func arrowLeaf(t parquet.Type) (arrow.DataType, func(array.Builder, parquet.Value) error, error) {
	var ltv format.LogicalTypeValue
	if lt := t.LogicalType(); lt != nil {
		ltv = lt.Value
	}
	if d, ok := ltv.(*format.DecimalType); ok {
		if d.Precision < 1 || d.Precision > 38 {
			return nil, nil, fmt.Errorf("DECIMAL(%d, %d): Arrow output takes precisions up to 38", d.Precision, d.Scale)
		}
		return &arrow.Decimal128Type{Precision: d.Precision, Scale: d.Scale}, putDecimal, nil
	}
	switch t.Kind() {
	case parquet.Boolean:
		return arrow.FixedWidthTypes.Boolean, func(b array.Builder, v parquet.Value) error {
			b.(*array.BooleanBuilder).Append(v.Boolean())
			return nil
		}, nil
	case parquet.Int32:
		switch lt := ltv.(type) {
		case *format.IntType:
			return intType(lt)
		case *format.DateType:
			return arrow.FixedWidthTypes.Date32, func(b array.Builder, v parquet.Value) error {
				b.(*array.Date32Builder).Append(arrow.Date32(v.Int32()))
				return nil
			}, nil
		case *format.TimeType:
			return arrow.FixedWidthTypes.Time32ms, func(b array.Builder, v parquet.Value) error {
				b.(*array.Time32Builder).Append(arrow.Time32(v.Int32()))
				return nil
			}, nil
		}
		return arrow.PrimitiveTypes.Int32, func(b array.Builder, v parquet.Value) error {
			b.(*array.Int32Builder).Append(v.Int32())
			return nil
		}, nil
	case parquet.Int64:
		switch lt := ltv.(type) {
		case *format.IntType:
			return intType(lt)
		case *format.TimestampType:
			tz := ""
			if lt.IsAdjustedToUTC {
				tz = "UTC"
			}
			return &arrow.TimestampType{Unit: timeUnit(lt.Unit), TimeZone: tz}, func(b array.Builder, v parquet.Value) error {
				b.(*array.TimestampBuilder).Append(arrow.Timestamp(v.Int64()))
				return nil
			}, nil
		case *format.TimeType:
			return &arrow.Time64Type{Unit: timeUnit(lt.Unit)}, func(b array.Builder, v parquet.Value) error {
				b.(*array.Time64Builder).Append(arrow.Time64(v.Int64()))
				return nil
			}, nil
		}
		return arrow.PrimitiveTypes.Int64, func(b array.Builder, v parquet.Value) error {
			b.(*array.Int64Builder).Append(v.Int64())
			return nil
		}, nil
	case parquet.Float:
		return arrow.PrimitiveTypes.Float32, func(b array.Builder, v parquet.Value) error {
			b.(*array.Float32Builder).Append(v.Float())
			return nil
		}, nil
	case parquet.Double:
		return arrow.PrimitiveTypes.Float64, func(b array.Builder, v parquet.Value) error {
			b.(*array.Float64Builder).Append(v.Double())
			return nil
		}, nil
	case parquet.ByteArray:
		switch ltv.(type) {
		case *format.StringType, *format.EnumType, *format.JsonType:
			return stringLeaf()
		}
		if ct := t.ConvertedType(); ct != nil && (*ct == deprecated.UTF8 || *ct == deprecated.Enum || *ct == deprecated.Json) {
			return stringLeaf()
		}
		return arrow.BinaryTypes.Binary, func(b array.Builder, v parquet.Value) error {
			b.(*array.BinaryBuilder).Append(v.ByteArray())
			return nil
		}, nil
	case parquet.FixedLenByteArray:
		return &arrow.FixedSizeBinaryType{ByteWidth: t.Length()}, func(b array.Builder, v parquet.Value) error {
			b.(*array.FixedSizeBinaryBuilder).Append(v.ByteArray())
			return nil
		}, nil
	}
	return nil, nil, fmt.Errorf("%s has no Arrow output mapping", t)
}

func stringLeaf() (arrow.DataType, func(array.Builder, parquet.Value) error, error) {
	return arrow.BinaryTypes.String, func(b array.Builder, v parquet.Value) error {
		b.(*array.StringBuilder).BinaryBuilder.Append(v.ByteArray())
		return nil
	}, nil
}

func timeUnit(u format.TimeUnit) arrow.TimeUnit {
	switch u.Value.(type) {
	case *format.MilliSeconds:
		return arrow.Millisecond
	case *format.MicroSeconds:
		return arrow.Microsecond
	}
	return arrow.Nanosecond
}

// intType maps an INT(n, signed) logical type.
func intType(it *format.IntType) (arrow.DataType, func(array.Builder, parquet.Value) error, error) {
	type put = func(array.Builder, parquet.Value) error
	switch {
	case it.BitWidth == 8 && it.IsSigned:
		return arrow.PrimitiveTypes.Int8, put(func(b array.Builder, v parquet.Value) error {
			x := v.Int32()
			if x != int32(int8(x)) {
				return errRange(x, 8)
			}
			b.(*array.Int8Builder).Append(int8(x))
			return nil
		}), nil
	case it.BitWidth == 16 && it.IsSigned:
		return arrow.PrimitiveTypes.Int16, put(func(b array.Builder, v parquet.Value) error {
			x := v.Int32()
			if x != int32(int16(x)) {
				return errRange(x, 16)
			}
			b.(*array.Int16Builder).Append(int16(x))
			return nil
		}), nil
	case it.BitWidth == 32 && it.IsSigned:
		return arrow.PrimitiveTypes.Int32, put(func(b array.Builder, v parquet.Value) error { b.(*array.Int32Builder).Append(v.Int32()); return nil }), nil
	case it.BitWidth == 64 && it.IsSigned:
		return arrow.PrimitiveTypes.Int64, put(func(b array.Builder, v parquet.Value) error { b.(*array.Int64Builder).Append(v.Int64()); return nil }), nil
	case it.BitWidth == 8:
		return arrow.PrimitiveTypes.Uint8, put(func(b array.Builder, v parquet.Value) error {
			x := uint32(v.Int32())
			if x > math.MaxUint8 {
				return errRange(x, 8)
			}
			b.(*array.Uint8Builder).Append(uint8(x))
			return nil
		}), nil
	case it.BitWidth == 16:
		return arrow.PrimitiveTypes.Uint16, put(func(b array.Builder, v parquet.Value) error {
			x := uint32(v.Int32())
			if x > math.MaxUint16 {
				return errRange(x, 16)
			}
			b.(*array.Uint16Builder).Append(uint16(x))
			return nil
		}), nil
	case it.BitWidth == 32:
		return arrow.PrimitiveTypes.Uint32, put(func(b array.Builder, v parquet.Value) error {
			b.(*array.Uint32Builder).Append(uint32(v.Int32()))
			return nil
		}), nil
	case it.BitWidth == 64:
		return arrow.PrimitiveTypes.Uint64, put(func(b array.Builder, v parquet.Value) error {
			b.(*array.Uint64Builder).Append(uint64(v.Int64()))
			return nil
		}), nil
	}
	return nil, nil, fmt.Errorf("INT(%d) has no Arrow output mapping", it.BitWidth)
}

// errRange reports an INT(bits) value out of its range, which the Arrow
// type cannot hold.
func errRange[T int32 | uint32](v T, bits int) error {
	return fmt.Errorf("%w: %d out of the range of a %d-bit integer", ErrInvalidRow, v, bits)
}

// putDecimal appends a DECIMAL value stored as INT32, INT64 or big-endian
// two's complement bytes.
func putDecimal(b array.Builder, v parquet.Value) error {
	var n decimal128.Num
	switch v.Kind() {
	case parquet.Int32:
		n = decimal128.FromI64(int64(v.Int32()))
	case parquet.Int64:
		n = decimal128.FromI64(v.Int64())
	default:
		be := v.ByteArray()
		var full [16]byte
		if len(be) > 0 && be[0]&0x80 != 0 {
			full = [16]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
		}
		if len(be) > 16 {
			for _, c := range be[:len(be)-16] {
				if c != full[0] {
					return fmt.Errorf("decimal of %d bytes does not fit in 128 bits", len(be))
				}
			}
			be = be[len(be)-16:]
		}
		copy(full[16-len(be):], be)
		var hi, lo uint64
		for _, c := range full[:8] {
			hi = hi<<8 | uint64(c)
		}
		for _, c := range full[8:] {
			lo = lo<<8 | uint64(c)
		}
		n = decimal128.New(int64(hi), lo)
	}
	b.(*array.Decimal128Builder).Append(n)
	return nil
}

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
