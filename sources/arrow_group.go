package sources

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// orderedGroup is a Parquet group whose fields keep the order given, as
// Arrow's do; parquet.Group sorts them by name.
type orderedGroup []parquet.Field

// ID implements parquet.Node.
func (orderedGroup) ID() int { return 0 }

// String implements parquet.Node.
func (g orderedGroup) String() string {
	var b strings.Builder
	b.WriteString("group {")
	for i, f := range g {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s: %s", f.Name(), f)
	}
	b.WriteString("}")
	return b.String()
}

// Type implements parquet.Node: that of any plain group.
func (orderedGroup) Type() parquet.Type { return parquet.Group{}.Type() }

// Optional implements parquet.Node.
func (orderedGroup) Optional() bool { return false }

// Repeated implements parquet.Node.
func (orderedGroup) Repeated() bool { return false }

// Required implements parquet.Node.
func (orderedGroup) Required() bool { return true }

// Leaf implements parquet.Node.
func (orderedGroup) Leaf() bool { return false }

// Fields implements parquet.Node.
func (g orderedGroup) Fields() []parquet.Field { return g }

// Encoding implements parquet.Node.
func (orderedGroup) Encoding() encoding.Encoding { return nil }

// Compression implements parquet.Node.
func (orderedGroup) Compression() compress.Codec { return nil }

// GoType implements parquet.Node with the Go type of the same fields as a
// parquet.Group.
func (g orderedGroup) GoType() reflect.Type {
	m := make(parquet.Group, len(g))
	for _, f := range g {
		m[f.Name()] = f
	}
	return m.GoType()
}

// orderedField is a node under its name in an [orderedGroup].
type orderedField struct {
	parquet.Node
	name string
}

// Name implements parquet.Field.
func (f *orderedField) Name() string { return f.name }

// Value implements parquet.Field. Rows, not Go values, are read from and
// written to these schemas, so there is no Go value to find.
func (f *orderedField) Value(reflect.Value) reflect.Value { return reflect.Value{} }

var (
	_ parquet.Node  = orderedGroup(nil)
	_ parquet.Field = (*orderedField)(nil)
)
