package sources

import (
	"fmt"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// SchemaDiff compares two schemas and describes the first difference found,
// naming the column: `column "label": string (optional) vs int64 (required)`.
// It returns "" when the schemas are equal (same columns, in the same order,
// with the same types and repetition).
func SchemaDiff(a, b *parquet.Schema) string {
	if parquet.EqualNodes(a, b) {
		return ""
	}
	if d := nodeDiff(nil, a, b); d != "" {
		return d
	}
	return "schemas differ"
}

func nodeDiff(path []string, a, b parquet.Node) string {
	col := strings.Join(path, ".")
	if da, db := describe(a), describe(b); da != db {
		return fmt.Sprintf("column %q: %s vs %s", col, da, db)
	}
	fa, fb := a.Fields(), b.Fields()
	for i := 0; i < len(fa) || i < len(fb); i++ {
		switch {
		case i >= len(fa):
			return fmt.Sprintf("column %q: missing from the first file", join(path, fb[i].Name()))
		case i >= len(fb):
			return fmt.Sprintf("column %q: missing from the second file", join(path, fa[i].Name()))
		case fa[i].Name() != fb[i].Name():
			return fmt.Sprintf("column %q vs column %q at position %d", join(path, fa[i].Name()), join(path, fb[i].Name()), i)
		}
		if d := nodeDiff(append(path, fa[i].Name()), fa[i], fb[i]); d != "" {
			return d
		}
	}
	return ""
}

func join(path []string, name string) string {
	return strings.Join(append(path[:len(path):len(path)], name), ".")
}

// describe gives a node's type and repetition, the parts EqualNodes compares.
func describe(n parquet.Node) string {
	rep := "required"
	switch {
	case n.Optional():
		rep = "optional"
	case n.Repeated():
		rep = "repeated"
	}
	if n.Leaf() {
		return fmt.Sprintf("%s (%s)", n.Type(), rep)
	}
	if lt := n.Type().LogicalType(); lt != nil {
		return fmt.Sprintf("%s group (%s)", lt, rep)
	}
	return fmt.Sprintf("group (%s)", rep) // the fields are compared one by one
}

// SchemaColumns describes the leaf columns of a schema in column order:
// their dotted paths and types (no sizes: those come from a Parquet
// footer, see [Parquet.Columns]).
func SchemaColumns(schema *parquet.Schema) []ColumnInfo {
	paths := schema.Columns()
	cols := make([]ColumnInfo, len(paths))
	for c, path := range paths {
		cols[c].Path = strings.Join(path, ".")
		if leaf, ok := schema.Lookup(path...); ok {
			cols[c].Type = describe(leaf.Node)
		}
	}
	return cols
}
