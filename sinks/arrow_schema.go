package sinks

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"
)

// This file maps a Parquet schema to an Arrow schema, each field with the
// node that rebuilds its values (see assembler).

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
