package sources

import (
	"reflect"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// float16Type is FIXED_LEN_BYTE_ARRAY(2) annotated FLOAT16. parquet-go
// v0.32 reads a FLOAT16 column as a bare FIXED_LEN_BYTE_ARRAY(2), dropping
// the annotation; the schema a Parquet source presents puts it back, so
// that outputs keep it. Values and their encoding are the physical type's.
type float16Type struct{ parquet.Type }

// LogicalType implements parquet.Type.
func (float16Type) LogicalType() *format.LogicalType {
	return &format.LogicalType{Value: &format.Float16Type{}}
}

// String implements parquet.Type.
func (float16Type) String() string { return "FLOAT16" }

// withFloat16 returns the schema of pf with its FLOAT16 leaves annotated
// as the footer has them, or pf's own schema, unchanged, when it has none.
// Leaves are matched to the footer's leaf elements in order: parquet-go
// numbers its columns depth first, as the footer lists them.
func withFloat16(pf *parquet.File) *parquet.Schema {
	var float16 []bool
	found := false
	for _, e := range pf.Metadata().Schema {
		if !e.Type.Valid {
			continue // a group
		}
		_, f16 := e.LogicalType.Value.(*format.Float16Type)
		f16 = f16 && e.Type.V == format.FixedLenByteArray && e.TypeLength.Valid && e.TypeLength.V == 2
		float16 = append(float16, f16)
		found = found || f16
	}
	schema := pf.Schema()
	if !found {
		return schema
	}
	leaf := 0
	return parquet.NewSchema(schema.Name(), annotate(schema, float16, &leaf))
}

// annotate returns n with the leaves whose index (counted by *leaf, depth
// first) float16 marks typed [float16Type].
func annotate(n parquet.Node, float16 []bool, leaf *int) parquet.Node {
	if n.Leaf() {
		i := *leaf
		*leaf++
		if i < len(float16) && float16[i] && n.Type().Kind() == parquet.FixedLenByteArray && n.Type().Length() == 2 {
			return &float16Node{Node: n, typ: float16Type{n.Type()}}
		}
		return n
	}
	fields := n.Fields()
	out := &float16Node{Node: n, typ: n.Type(), fields: make([]parquet.Field, len(fields))}
	for i, f := range fields {
		out.fields[i] = &float16Field{Node: annotate(f, float16, leaf), orig: f}
	}
	return out
}

// float16Node overrides the type of a leaf, or the fields of a group.
type float16Node struct {
	parquet.Node
	typ    parquet.Type
	fields []parquet.Field
}

// Type implements parquet.Node.
func (n *float16Node) Type() parquet.Type { return n.typ }

// Fields implements parquet.Node.
func (n *float16Node) Fields() []parquet.Field {
	if n.Leaf() {
		return nil
	}
	return n.fields
}

// float16Field is an annotated node under its name in the parent group.
type float16Field struct {
	parquet.Node
	orig parquet.Field
}

// Name implements parquet.Field.
func (f *float16Field) Name() string { return f.orig.Name() }

// Value implements parquet.Field.
func (f *float16Field) Value(base reflect.Value) reflect.Value { return f.orig.Value(base) }

var _ parquet.Field = (*float16Field)(nil)
