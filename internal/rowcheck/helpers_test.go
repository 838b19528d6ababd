package rowcheck_test

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"
)

// levelsSchema has an optional list of optional structs holding an
// optional field and a repeated one, a required column and an optional
// struct. Columns, with maximum (repetition, definition) levels:
//
//	0 a.list.element.x (1, 4)
//	1 a.list.element.y (2, 4)
//	2 b                (0, 0)
//	3 s.p              (0, 2)
//	4 s.q              (0, 1)
func levelsSchema() *parquet.Schema {
	return parquet.NewSchema("levels", parquet.Group{
		"a": parquet.Optional(parquet.List(parquet.Optional(parquet.Group{
			"x": parquet.Optional(parquet.Int(32)),
			"y": parquet.Repeated(parquet.Int(32)),
		}))),
		"b": parquet.Int(32),
		"s": parquet.Optional(parquet.Group{
			"p": parquet.Optional(parquet.Int(32)),
			"q": parquet.Int(32),
		}),
	})
}

// mapSchema has an optional map whose values are optional lists of
// optional values, and a repeated struct holding a required field and a
// repeated one; every leaf is an INT32. Columns, with maximum (repetition,
// definition) levels:
//
//	0 m.key_value.key                (1, 2)
//	1 m.key_value.value.list.element (2, 5)
//	2 r.a                            (1, 1)
//	3 r.b                            (2, 2)
func mapSchema() *parquet.Schema {
	return parquet.NewSchema("maps", parquet.Group{
		"m": parquet.Optional(parquet.Map(parquet.Int(32), parquet.Optional(parquet.List(parquet.Optional(parquet.Int(32)))))),
		"r": parquet.Repeated(parquet.Group{
			"a": parquet.Int(32),
			"b": parquet.Repeated(parquet.Int(32)),
		}),
	})
}

// typicalRecord is a row of the typical 7-column table of the benchmarks.
type typicalRecord struct {
	ID    int64     `parquet:"id"`
	User  int64     `parquet:"user"`
	Label string    `parquet:"label,dict"`
	Score float64   `parquet:"score"`
	Extra *float64  `parquet:"extra,optional"`
	Text  string    `parquet:"text"`
	At    time.Time `parquet:"at,timestamp(microsecond)"`
}

// nestedRecord has lists, a map, a list of structs with an optional and a
// repeated field, and a fixed-length column.
type nestedRecord struct {
	ID    int64            `parquet:"id"`
	Tags  []string         `parquet:"tags,list"`
	Attrs map[string]int32 `parquet:"attrs"`
	Items []nestedItem     `parquet:"items,list"`
	Key   [16]byte         `parquet:"key"`
}

// nestedItem is an element of nestedRecord.Items.
type nestedItem struct {
	Name  string  `parquet:"name"`
	Qty   *int32  `parquet:"qty,optional"`
	Codes []int32 `parquet:"codes"`
}

// v makes a value of column col at levels (r, d): null below maxDef.
func v(col, r, d, maxDef int) parquet.Value {
	if d < maxDef {
		return parquet.NullValue().Level(r, d, col)
	}
	return parquet.Int32Value(1).Level(r, d, col)
}

// leafLevels are the maximum levels of a column as parquet-go's schema
// reports them.
type leafLevels struct{ maxRep, maxDef int }

// columnLevels returns the maximum levels of every column of schema, in
// column order, from parquet-go's own lookup.
func columnLevels(schema *parquet.Schema) []leafLevels {
	cols := schema.Columns()
	out := make([]leafLevels, len(cols))
	for _, path := range cols {
		leaf, _ := schema.Lookup(path...)
		out[leaf.ColumnIndex] = leafLevels{leaf.MaxRepetitionLevel, leaf.MaxDefinitionLevel}
	}
	return out
}

// formatRow prints a row with the levels of each value.
func formatRow(row parquet.Row) string {
	var b strings.Builder
	for i, x := range row {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "c%d(r%d,d%d)=%v", x.Column(), x.RepetitionLevel(), x.DefinitionLevel(), x)
	}
	return b.String()
}

// rowKey is the shape of a row: column and levels of every value.
func rowKey(row parquet.Row) string {
	var b strings.Builder
	for _, x := range row {
		fmt.Fprintf(&b, "%d:%d:%d,", x.Column(), x.RepetitionLevel(), x.DefinitionLevel())
	}
	return b.String()
}

// rowsEqual reports whether a and b hold the same values, levels and
// column indexes, comparing values by their bytes.
func rowsEqual(a, b parquet.Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Column() != y.Column() || x.RepetitionLevel() != y.RepetitionLevel() ||
			x.DefinitionLevel() != y.DefinitionLevel() || x.IsNull() != y.IsNull() {
			return false
		}
		if !x.IsNull() && (x.Kind() != y.Kind() || !bytes.Equal(x.Bytes(), y.Bytes())) {
			return false
		}
	}
	return true
}

// roundTrip writes row to an in-memory file of schema with parquet-go's
// writer and reads it back.
func roundTrip(schema *parquet.Schema, row parquet.Row) (parquet.Row, error) {
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema)
	if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
		return nil, fmt.Errorf("write: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("close writer: %w", err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	if len(f.RowGroups()) != 1 {
		return nil, fmt.Errorf("%d row groups, want 1", len(f.RowGroups()))
	}
	rows := f.RowGroups()[0].Rows()
	defer rows.Close()
	got := make([]parquet.Row, 2)
	n, err := rows.ReadRows(got)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("read: %w", err)
	}
	if n != 1 {
		return nil, fmt.Errorf("read %d rows, want 1", n)
	}
	return got[0].Clone(), nil
}

// leafCount is the number of leaf columns under n.
func leafCount(n parquet.Node) int {
	if n.Leaf() {
		return 1
	}
	k := 0
	for _, f := range n.Fields() {
		k += leafCount(f)
	}
	return k
}

// enumerate returns every striping of node n, whose first leaf is column
// col, with at most k elements per repeated node: one list of values per
// leaf of n for each alternative. r is the repetition level of the first
// value; maxRep and maxDef are those of n's parent. Leaves hold INT32s.
func enumerate(n parquet.Node, col, r, maxRep, maxDef, k int) [][][]parquet.Value {
	nulls := func(d int) [][]parquet.Value {
		out := make([][]parquet.Value, leafCount(n))
		for i := range out {
			out[i] = []parquet.Value{parquet.NullValue().Level(r, d, col+i)}
		}
		return out
	}
	switch {
	case n.Repeated():
		alts := [][][]parquet.Value{nulls(maxDef)}
		seqs := [][][]parquet.Value{nil} // sequences of elements so far
		for i := range k {
			ri := r
			if i > 0 {
				ri = maxRep + 1
			}
			seqs = product(seqs, enumerateContent(n, col, ri, maxRep+1, maxDef+1, k), true)
			alts = append(alts, seqs...)
		}
		return alts
	case n.Optional():
		return append([][][]parquet.Value{nulls(maxDef)}, enumerateContent(n, col, r, maxRep, maxDef+1, k)...)
	default:
		return enumerateContent(n, col, r, maxRep, maxDef, k)
	}
}

// enumerateContent returns every striping of a defined node n at (r, d).
func enumerateContent(n parquet.Node, col, r, maxRep, d, k int) [][][]parquet.Value {
	if n.Leaf() {
		return [][][]parquet.Value{{{parquet.Int32Value(1).Level(r, d, col)}}}
	}
	alts := [][][]parquet.Value{nil}
	for _, f := range n.Fields() {
		alts = product(alts, enumerate(f, col, r, maxRep, d, k), false)
		col += leafCount(f)
	}
	return alts
}

// product combines every alternative of a with every one of b: as later
// elements of the same leaves (sameLeaves) or as further leaves.
func product(a, b [][][]parquet.Value, sameLeaves bool) [][][]parquet.Value {
	var out [][][]parquet.Value
	for _, x := range a {
		for _, y := range b {
			var z [][]parquet.Value
			if sameLeaves && x != nil {
				z = make([][]parquet.Value, len(x))
				for i := range x {
					z[i] = append(append([]parquet.Value(nil), x[i]...), y[i]...)
				}
			} else {
				z = append(append([][]parquet.Value(nil), x...), y...)
			}
			out = append(out, z)
		}
	}
	return out
}

// stripings returns the rows of schema that striping its records, with at
// most k elements per repeated field, gives; and the shapes (rowKey) of
// those with at most k values in every column.
func stripings(schema *parquet.Schema, k int) (rows []parquet.Row, small map[string]bool) {
	small = map[string]bool{}
	for _, alt := range enumerateContent(schema, 0, 0, 0, 0, k) {
		var row parquet.Row
		fits := true
		for _, vals := range alt {
			row = append(row, vals...)
			fits = fits && len(vals) <= k
		}
		rows = append(rows, row)
		if fits {
			small[rowKey(row)] = true
		}
	}
	return rows, small
}
