package pipeline

import (
	"fmt"
	"reflect"

	"github.com/parquet-go/parquet-go"
)

// withRowIndex returns schema with one more top-level column, a required
// int64 named name, after the existing ones, and the index of its leaf
// column (the last). The existing fields keep their order: parquet.Group
// would sort them by name.
func withRowIndex(schema *parquet.Schema, name string) (*parquet.Schema, int, error) {
	for _, f := range schema.Fields() {
		if f.Name() == name {
			return nil, 0, fmt.Errorf("%w: --row-index-column %q: the input already has a column of that name", ErrUsage, name)
		}
	}
	fields := append(append([]parquet.Field(nil), schema.Fields()...), namedField{Node: parquet.Leaf(parquet.Int64Type), name: name})
	extended := parquet.NewSchema(schema.Name(), extendedRoot{Node: schema, fields: fields})
	return extended, len(schema.Columns()), nil
}

// extendedRoot is a group node with an explicit field list.
type extendedRoot struct {
	parquet.Node
	fields []parquet.Field
}

// Fields implements parquet.Node.
func (r extendedRoot) Fields() []parquet.Field { return r.fields }

// namedField is a node under a name in a group.
type namedField struct {
	parquet.Node
	name string
}

// Name implements parquet.Field.
func (f namedField) Name() string { return f.name }

// Value implements parquet.Field. Rows are written as parquet.Row values,
// never from Go structs, so no value is ever looked up.
func (f namedField) Value(reflect.Value) reflect.Value { return reflect.Value{} }
