package sources

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/parquet-go/parquet-go"
)

// This file maps Arrow schemas to Parquet schemas; arrow_shred.go shreds
// Arrow arrays into parquet.Rows of the mapped schema. The mapping, per
// Arrow type:
//
//	bool                               BOOLEAN
//	int8, int16, int32, int64          INT32/INT64 with INT(8|16|32|64, signed)
//	uint8, uint16, uint32, uint64      INT32/INT64 with INT(8|16|32|64, unsigned)
//	float16                            FLOAT (widened; Parquet FLOAT16 is not modelled by parquet-go)
//	float32, float64                   FLOAT, DOUBLE
//	string, large_string, string_view  BYTE_ARRAY with STRING
//	binary, large_binary, binary_view  BYTE_ARRAY
//	fixed_size_binary(n)               FIXED_LEN_BYTE_ARRAY(n)
//	date32                             INT32 with DATE
//	date64                             INT32 with DATE (values must be whole days)
//	timestamp(s|ms), tz                INT64 with TIMESTAMP(MILLIS), isAdjustedToUTC = (tz != ""); seconds are scaled
//	timestamp(us|ns), tz               INT64 with TIMESTAMP(MICROS|NANOS), isAdjustedToUTC = (tz != "")
//	time32(s|ms)                       INT32 with TIME(MILLIS); seconds are scaled
//	time64(us|ns)                      INT64 with TIME(MICROS|NANOS)
//	decimal128(p, s)                   FIXED_LEN_BYTE_ARRAY(k) with DECIMAL(p, s), k the fewest bytes holding p digits
//	list, large_list                   LIST (three-level: group, repeated "list", "element")
//	struct                             group, fields in Arrow order
//	map                                MAP (repeated "key_value" with required "key" and "value")
//	dictionary(index, value)           the value type's mapping (decoded to values)
//
// Nullable fields become OPTIONAL, others REQUIRED. Every other type (null,
// intervals, durations, unions, list views, fixed-size lists, run-end
// encoded, extension types, decimal32/64/256) is refused with an
// [*InputError] wrapping [ErrUnsupported] naming the column.

// arrowKind is the shape of an [arrowNode].
type arrowKind uint8

const (
	arrowLeaf arrowKind = iota
	arrowStruct
	arrowList // list, large_list and map: a map's element is its key_value struct
)

// arrowNode converts one Arrow field, and the fields below it, to Parquet
// values. It is made once per schema and only read afterwards, so one tree
// serves every goroutine.
type arrowNode struct {
	path     string // dotted Parquet column path, for errors
	nullable bool
	kind     arrowKind
	children []*arrowNode // struct fields; the element of a list
	col      int          // column index of the first leaf
	leaves   int          // number of leaves
	leaf     leafConverter
	dict     bool // leaf values are dictionary-encoded
}

// leafConverter turns value i of a (non-null) Arrow array into a Parquet
// value. scratch is where converters that must build bytes put them.
type leafConverter func(a arrow.Array, i int, scratch *[]byte) (parquet.Value, error)

// arrowSchema converts an Arrow schema to a Parquet schema and the tree
// that shreds its records. Errors are [*InputError]s wrapping
// [ErrUnsupported], naming the column.
func arrowSchema(name string, s *arrow.Schema) (*parquet.Schema, []*arrowNode, error) {
	if s.NumFields() == 0 {
		return nil, nil, &InputError{Path: name, RowGroup: -1, Err: fmt.Errorf("%w: schema has no columns", ErrUnsupported)}
	}
	m := schemaMapper{name: name}
	fields := make([]parquet.Field, s.NumFields())
	nodes := make([]*arrowNode, s.NumFields())
	for i, f := range s.Fields() {
		n, node, err := m.field(nil, f)
		if err != nil {
			return nil, nil, err
		}
		fields[i] = &orderedField{Node: n, name: f.Name}
		nodes[i] = node
	}
	if err := checkNames(name, fields, nil); err != nil {
		return nil, nil, err
	}
	return parquet.NewSchema("schema", orderedGroup(fields)), nodes, nil
}

// checkNames refuses duplicate field names in a group: Parquet columns are
// addressed by path.
func checkNames(name string, fields []parquet.Field, path []string) error {
	seen := make(map[string]bool, len(fields))
	for _, f := range fields {
		if seen[f.Name()] {
			return &InputError{Path: name, RowGroup: -1, Column: strings.Join(append(path, f.Name()), "."),
				Err: fmt.Errorf("%w: duplicate field name", ErrUnsupported)}
		}
		seen[f.Name()] = true
	}
	return nil
}

// schemaMapper numbers leaves while mapping fields depth first.
type schemaMapper struct {
	name string
	col  int
}

func (m *schemaMapper) unsupported(path []string, format string, args ...any) error {
	return &InputError{Path: m.name, RowGroup: -1, Column: strings.Join(path, "."),
		Err: fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))}
}

// field maps f, found under path, to a Parquet node with f's repetition.
func (m *schemaMapper) field(path []string, f arrow.Field) (parquet.Node, *arrowNode, error) {
	path = append(path[:len(path):len(path)], f.Name)
	n, node, err := m.typ(path, f.Type)
	if err != nil {
		return nil, nil, err
	}
	node.nullable = f.Nullable
	if f.Nullable {
		return parquet.Optional(n), node, nil
	}
	return parquet.Required(n), node, nil
}

// typ maps an Arrow type at path to a Parquet node (repetition left to the
// caller).
func (m *schemaMapper) typ(path []string, t arrow.DataType) (parquet.Node, *arrowNode, error) {
	node := &arrowNode{path: strings.Join(path, "."), col: m.col}
	switch t := t.(type) {
	case *arrow.StructType:
		if t.NumFields() == 0 {
			return nil, nil, m.unsupported(path, "struct with no fields")
		}
		fields := make([]parquet.Field, t.NumFields())
		for i, f := range t.Fields() {
			n, child, err := m.field(path, f)
			if err != nil {
				return nil, nil, err
			}
			fields[i] = &orderedField{Node: n, name: f.Name}
			node.children = append(node.children, child)
		}
		if err := checkNames(m.name, fields, path); err != nil {
			return nil, nil, err
		}
		node.kind = arrowStruct
		node.leaves = m.col - node.col
		return orderedGroup(fields), node, nil
	case *arrow.MapType:
		// Arrow map keys are never null.
		kf := t.KeyField()
		kf.Nullable = false
		kv := append(path[:len(path):len(path)], "key_value")
		key, keyNode, err := m.field(kv, arrow.Field{Name: "key", Type: kf.Type})
		if err != nil {
			return nil, nil, err
		}
		value, valueNode, err := m.field(kv, arrow.Field{Name: "value", Type: t.ItemType(), Nullable: t.ItemField().Nullable})
		if err != nil {
			return nil, nil, err
		}
		node.kind = arrowList
		node.children = []*arrowNode{{path: strings.Join(kv, "."), kind: arrowStruct, col: node.col,
			children: []*arrowNode{keyNode, valueNode}, leaves: m.col - node.col}}
		node.leaves = m.col - node.col
		return parquet.Map(key, value), node, nil
	case *arrow.ListType, *arrow.LargeListType:
		elem := t.(arrow.ListLikeType).ElemField()
		n, child, err := m.field(append(path[:len(path):len(path)], "list"), arrow.Field{Name: "element", Type: elem.Type, Nullable: elem.Nullable})
		if err != nil {
			return nil, nil, err
		}
		node.kind = arrowList
		node.children = []*arrowNode{child}
		node.leaves = m.col - node.col
		return parquet.List(n), node, nil
	case *arrow.DictionaryType:
		n, conv, err := m.leaf(path, t.ValueType)
		if err != nil {
			return nil, nil, err
		}
		node.leaf, node.dict, node.leaves = conv, true, 1
		m.col++
		return n, node, nil
	}
	n, conv, err := m.leaf(path, t)
	if err != nil {
		return nil, nil, err
	}
	node.leaf, node.leaves = conv, 1
	m.col++
	return n, node, nil
}

// millisPerDay is the length of a date64 day.
const millisPerDay = 86_400_000

// leaf maps a primitive Arrow type to a Parquet leaf and its converter.
func (m *schemaMapper) leaf(path []string, t arrow.DataType) (parquet.Node, leafConverter, error) {
	switch t := t.(type) {
	case *arrow.BooleanType:
		return parquet.Leaf(parquet.BooleanType), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.BooleanValue(a.(*array.Boolean).Value(i)), nil
		}, nil
	case *arrow.Int8Type:
		return parquet.Int(8), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.Int32Value(int32(a.(*array.Int8).Value(i))), nil
		}, nil
	case *arrow.Int16Type:
		return parquet.Int(16), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.Int32Value(int32(a.(*array.Int16).Value(i))), nil
		}, nil
	case *arrow.Int32Type:
		return parquet.Int(32), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.Int32Value(a.(*array.Int32).Value(i)), nil
		}, nil
	case *arrow.Int64Type:
		return parquet.Int(64), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.Int64Value(a.(*array.Int64).Value(i)), nil
		}, nil
	case *arrow.Uint8Type:
		return parquet.Uint(8), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.Int32Value(int32(a.(*array.Uint8).Value(i))), nil
		}, nil
	case *arrow.Uint16Type:
		return parquet.Uint(16), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.Int32Value(int32(a.(*array.Uint16).Value(i))), nil
		}, nil
	case *arrow.Uint32Type:
		return parquet.Uint(32), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.Int32Value(int32(a.(*array.Uint32).Value(i))), nil
		}, nil
	case *arrow.Uint64Type:
		return parquet.Uint(64), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.Int64Value(int64(a.(*array.Uint64).Value(i))), nil
		}, nil
	case *arrow.Float16Type:
		return parquet.Leaf(parquet.FloatType), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.FloatValue(a.(*array.Float16).Value(i).Float32()), nil
		}, nil
	case *arrow.Float32Type:
		return parquet.Leaf(parquet.FloatType), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.FloatValue(a.(*array.Float32).Value(i)), nil
		}, nil
	case *arrow.Float64Type:
		return parquet.Leaf(parquet.DoubleType), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.DoubleValue(a.(*array.Float64).Value(i)), nil
		}, nil
	case *arrow.StringType:
		return parquet.String(), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return stringValue(a.(*array.String).Value(i)), nil
		}, nil
	case *arrow.LargeStringType:
		return parquet.String(), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return stringValue(a.(*array.LargeString).Value(i)), nil
		}, nil
	case *arrow.StringViewType:
		return parquet.String(), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return stringValue(a.(*array.StringView).Value(i)), nil
		}, nil
	case *arrow.BinaryType:
		return parquet.Leaf(parquet.ByteArrayType), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.ByteArrayValue(a.(*array.Binary).Value(i)), nil
		}, nil
	case *arrow.LargeBinaryType:
		return parquet.Leaf(parquet.ByteArrayType), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.ByteArrayValue(a.(*array.LargeBinary).Value(i)), nil
		}, nil
	case *arrow.BinaryViewType:
		return parquet.Leaf(parquet.ByteArrayType), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.ByteArrayValue(a.(*array.BinaryView).Value(i)), nil
		}, nil
	case *arrow.FixedSizeBinaryType:
		if t.ByteWidth <= 0 {
			return nil, nil, m.unsupported(path, "%s", t)
		}
		return parquet.Leaf(parquet.FixedLenByteArrayType(t.ByteWidth)), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.FixedLenByteArrayValue(a.(*array.FixedSizeBinary).Value(i)), nil
		}, nil
	case *arrow.Date32Type:
		return parquet.Date(), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.Int32Value(int32(a.(*array.Date32).Value(i))), nil
		}, nil
	case *arrow.Date64Type:
		return parquet.Date(), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			v := int64(a.(*array.Date64).Value(i))
			d := v / millisPerDay
			if v%millisPerDay != 0 || d != int64(int32(d)) {
				return parquet.Value{}, fmt.Errorf("%w: date64 value %d is not a whole day within the range of a Parquet DATE", ErrUnsupported, v)
			}
			return parquet.Int32Value(int32(d)), nil
		}, nil
	case *arrow.TimestampType:
		node := func(u parquet.TimeUnit) parquet.Node { return parquet.TimestampAdjusted(u, t.TimeZone != "") }
		switch t.Unit {
		case arrow.Second:
			return node(parquet.Millisecond), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
				v := int64(a.(*array.Timestamp).Value(i))
				if v > math.MaxInt64/1000 || v < math.MinInt64/1000 {
					return parquet.Value{}, fmt.Errorf("%w: timestamp %d s does not fit in milliseconds", ErrUnsupported, v)
				}
				return parquet.Int64Value(v * 1000), nil
			}, nil
		case arrow.Millisecond:
			return node(parquet.Millisecond), timestampValue, nil
		case arrow.Microsecond:
			return node(parquet.Microsecond), timestampValue, nil
		case arrow.Nanosecond:
			return node(parquet.Nanosecond), timestampValue, nil
		}
	case *arrow.Time32Type:
		scale := int32(1)
		if t.Unit == arrow.Second {
			scale = 1000
		}
		return parquet.Time(parquet.Millisecond), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			v := int32(a.(*array.Time32).Value(i))
			if v > math.MaxInt32/scale || v < math.MinInt32/scale {
				return parquet.Value{}, fmt.Errorf("%w: time %d s does not fit in milliseconds", ErrUnsupported, v)
			}
			return parquet.Int32Value(v * scale), nil
		}, nil
	case *arrow.Time64Type:
		u := parquet.Microsecond
		if t.Unit == arrow.Nanosecond {
			u = parquet.Nanosecond
		}
		return parquet.Time(u), func(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
			return parquet.Int64Value(int64(a.(*array.Time64).Value(i))), nil
		}, nil
	case *arrow.Decimal128Type:
		p, s := int(t.Precision), int(t.Scale)
		if p < 1 || p > 38 || s < 0 || s > p {
			return nil, nil, m.unsupported(path, "%s: Parquet DECIMAL needs 1 <= precision <= 38 here and 0 <= scale <= precision", t)
		}
		size := decimalSize(p)
		return parquet.Decimal(s, p, parquet.FixedLenByteArrayType(size)), func(a arrow.Array, i int, scratch *[]byte) (parquet.Value, error) {
			n := a.(*array.Decimal128).Value(i)
			var be [16]byte
			putUint64BE(be[:8], uint64(n.HighBits()))
			putUint64BE(be[8:], n.LowBits())
			// The dropped leading bytes must be the sign extension of the
			// kept ones, or the value has more digits than the precision.
			sign := byte(0)
			if be[16-size]&0x80 != 0 {
				sign = 0xff
			}
			for _, b := range be[:16-size] {
				if b != sign {
					return parquet.Value{}, fmt.Errorf("%w: decimal value %s exceeds precision %d", ErrCorrupt, n.ToString(int32(s)), p)
				}
			}
			start := len(*scratch)
			*scratch = append(*scratch, be[16-size:]...)
			return parquet.FixedLenByteArrayValue((*scratch)[start:len(*scratch):len(*scratch)]), nil
		}, nil
	}
	return nil, nil, m.unsupported(path, "Arrow type %s", t)
}

// timestampValue converts a timestamp kept in its unit.
func timestampValue(a arrow.Array, i int, _ *[]byte) (parquet.Value, error) {
	return parquet.Int64Value(int64(a.(*array.Timestamp).Value(i))), nil
}

// stringValue makes a BYTE_ARRAY value of s without copying it: s aliases
// an Arrow buffer that outlives the value's use.
func stringValue(s string) parquet.Value {
	return parquet.ByteArrayValue(unsafe.Slice(unsafe.StringData(s), len(s)))
}

func putUint64BE(b []byte, v uint64) {
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
}

// decimalSize is the number of bytes of the FIXED_LEN_BYTE_ARRAY that holds
// a DECIMAL of precision digits: the fewest bytes whose two's complement
// range holds every value of that many digits.
func decimalSize(precision int) int {
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(precision)), nil) // 10^p > largest value
	for n := 1; ; n++ {
		// 2^(8n-1) >= 10^p holds every value up to 10^p - 1.
		if new(big.Int).Lsh(big.NewInt(1), uint(8*n-1)).Cmp(limit) >= 0 {
			return n
		}
	}
}
