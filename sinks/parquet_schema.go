package sinks

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/rowcheck"
)

// ErrInvalidRow is the class of errors returned when a row does not match
// the schema it is encoded with: a missing or extra column, a level out of
// range or inconsistent with the other values, or a value of the wrong
// type. Test for it with [errors.Is]. It is the error the sources package
// reports for malformed input rows too, so one test covers both.
var ErrInvalidRow = rowcheck.ErrInvalidRow

// outputSchema returns a copy of schema whose leaves carry the encoding and
// codec chosen by the options instead of whatever the schema's nodes say. A
// schema obtained from parquet.File.Schema reports the encodings and codecs
// of the file it was read from, and parquet-go lets a node's own settings
// win over the writer's defaults; without this step the output bytes would
// depend on how the input happened to be written. Names, field order,
// repetition, field ids and types are kept as they are. dict reports
// whether leaf column c, of kind, is dictionary encoded (RLE_DICTIONARY);
// nil means none is.
func outputSchema(schema *parquet.Schema, codec compress.Codec, dict func(c int, kind parquet.Kind) bool) (*parquet.Schema, []leafLayout, error) {
	if schema == nil {
		return nil, nil, errors.New("schema is nil")
	}
	b := schemaRewriter{codec: codec, dict: dict}
	root := b.rewrite(schema, nil)
	if len(b.leaves) == 0 {
		return nil, nil, fmt.Errorf("schema %q has no columns", schema.Name())
	}
	if len(b.leaves) > parquet.MaxColumnIndex+1 {
		return nil, nil, fmt.Errorf("schema %q has %d columns, more than the %d parquet-go supports", schema.Name(), len(b.leaves), parquet.MaxColumnIndex+1)
	}
	return parquet.NewSchema(schema.Name(), root), b.leaves, nil
}

// leafLayout is what the writer configuration and the statistics of an
// encoded row group need to know of one leaf column. Rows are checked
// against a [rowcheck.Layout] of the same schema.
type leafLayout struct {
	names []string // path, one name per level below the root
	kind  parquet.Kind

	// unordered is set for columns whose min/max statistics parquet-go
	// would get wrong or the format leaves undefined; they are written
	// without any (see unorderedType).
	unordered bool

	// physical is the physical type the schema states for the leaf. For
	// a column of the NULL logical type parquet-go's kind is -1, which it
	// writes as the column chunk's type: an invalid enum value that
	// DuckDB's thrift decoder rejects ("Invalid data"). The schema says
	// INT32, as other writers do, and the chunk must agree.
	physical format.Type

	// typ is the leaf's type, for splitdata's page writer (see
	// RowGroupEncoder.ownColumn).
	typ parquet.Type
}

// schemaRewriter builds the output schema and the leaf layouts.
type schemaRewriter struct {
	codec  compress.Codec
	dict   func(c int, kind parquet.Kind) bool
	leaves []leafLayout
}

// rewrite returns n with its leaves re-encoded, appending one layout per
// leaf in column order (depth first, fields in order, as parquet-go numbers
// columns). path names n from the root (empty for the root itself).
func (b *schemaRewriter) rewrite(n parquet.Node, path []string) *outNode {
	out := &outNode{Node: n}
	if !n.Leaf() {
		fields := n.Fields()
		out.fields = make([]parquet.Field, len(fields))
		for i, f := range fields {
			child := b.rewrite(f, append(path[:len(path):len(path)], f.Name()))
			out.fields[i] = &outField{outNode: child, orig: f}
		}
		return out
	}

	kind := n.Type().Kind()
	out.codec = b.codec
	out.enc = &parquet.Plain
	if b.dict != nil && b.dict(len(b.leaves), kind) {
		out.enc = &parquet.RLEDictionary
	}
	physical := format.Type(kind)
	if pt := n.Type().PhysicalType(); pt != nil {
		physical = *pt
	}
	b.leaves = append(b.leaves, leafLayout{
		names:     path,
		kind:      kind,
		unordered: unorderedType(n.Type()),
		physical:  physical,
		typ:       n.Type(),
	})
	return out
}

// unorderedType reports whether min/max statistics of columns of type t
// must not be written. The Parquet format orders DECIMAL values stored as
// FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY as signed big-endian integers, but
// parquet-go compares their bytes unsigned, so that a column holding -1
// and 1 would claim min 1 and max -1, and readers that skip row groups or
// pages by statistics would drop matching rows (parquet-go/parquet-go issue
// 592, fixed after v0.32.0 by pull request 595: revisit when upgrading,
// since writing the statistics would change output bytes). FLOAT16
// values are ordered as numbers, but parquet-go compares their
// little-endian bytes. INT96 and INTERVAL have no defined order. For these
// columns the output carries null counts but no min/max in page headers,
// column chunk statistics or the column index, which readers take as
// "unknown" and which is always correct.
func unorderedType(t parquet.Type) bool {
	switch t.Kind() {
	case parquet.Int96:
		return true
	case parquet.ByteArray, parquet.FixedLenByteArray:
		if lt := t.LogicalType(); lt != nil {
			if _, ok := lt.Value.(*format.DecimalType); ok {
				return true
			}
		}
		if ct := t.ConvertedType(); ct != nil && (*ct == deprecated.Decimal || *ct == deprecated.Interval) {
			return true
		}
		if isFloat16(t) {
			return true
		}
	}
	return false
}

// isFloat16 reports whether t is FIXED_LEN_BYTE_ARRAY(2) annotated
// FLOAT16. parquet-go v0.32 has no such type and models a FLOAT16 column
// it reads as a bare FIXED_LEN_BYTE_ARRAY(2); a schema that has the
// annotation (from a source that restores it, with a type of its own whose
// LogicalType says FLOAT16) keeps it in the output, since the writer copies
// every leaf's logical type into the footer.
func isFloat16(t parquet.Type) bool {
	if t.Kind() != parquet.FixedLenByteArray || t.Length() != 2 {
		return false
	}
	lt := t.LogicalType()
	if lt == nil {
		return false
	}
	_, ok := lt.Value.(*format.Float16Type)
	return ok
}

// outNode overrides the encoding and codec of a schema node, and the fields
// of a group so that its leaves are overridden too. Everything else is the
// wrapped node's.
type outNode struct {
	parquet.Node
	enc    encoding.Encoding
	codec  compress.Codec
	fields []parquet.Field
}

// Encoding implements parquet.Node; it is nil for groups.
func (n *outNode) Encoding() encoding.Encoding { return n.enc }

// Compression implements parquet.Node; it is nil for groups.
func (n *outNode) Compression() compress.Codec { return n.codec }

// Fields implements parquet.Node.
func (n *outNode) Fields() []parquet.Field { return n.fields }

// outField is an [outNode] under its name in the parent group.
type outField struct {
	*outNode
	orig parquet.Field
}

// Name implements parquet.Field.
func (f *outField) Name() string { return f.orig.Name() }

// Value implements parquet.Field.
func (f *outField) Value(base reflect.Value) reflect.Value { return f.orig.Value(base) }

var _ parquet.Field = (*outField)(nil)
