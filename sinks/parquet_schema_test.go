package sinks_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
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

// v makes a value of column col at levels (r, d): null below maxDef.
func v(col, r, d, maxDef int) parquet.Value {
	if d < maxDef {
		return parquet.NullValue().Level(r, d, col)
	}
	return parquet.Int32Value(1).Level(r, d, col)
}

// TestCheckRow lists malformed rows of levelsSchema, each with the part of
// the error that names its fault, next to well-formed ones.
func TestCheckRow(t *testing.T) {
	schema := levelsSchema()
	// tail completes a row after its a.* columns: b, then a null s.
	tail := []parquet.Value{v(2, 0, 0, 0), v(3, 0, 0, 2), v(4, 0, 0, 1)}
	row := func(values ...parquet.Value) parquet.Row {
		return append(parquet.Row(values), tail...)
	}
	tests := []struct {
		name string
		row  parquet.Row
		want string // "" for a valid row
	}{
		{"null list", row(v(0, 0, 0, 4), v(1, 0, 0, 4)), ""},
		{"empty list", row(v(0, 0, 1, 4), v(1, 0, 1, 4)), ""},
		{"two elements", row(v(0, 0, 4, 4), v(0, 1, 3, 4), v(1, 0, 4, 4), v(1, 2, 4, 4), v(1, 1, 3, 4)), ""},
		{"null element", row(v(0, 0, 2, 4), v(1, 0, 2, 4)), ""},
		{"struct present", parquet.Row{v(0, 0, 0, 4), v(1, 0, 0, 4), v(2, 0, 0, 0), v(3, 0, 2, 2), v(4, 0, 1, 1)}, ""},

		{"empty row", parquet.Row{}, "no value for column 0"},
		{"missing column", parquet.Row{v(0, 0, 0, 4), v(2, 0, 0, 0)}, "no value for column 1"},
		{"extra column", append(row(v(0, 0, 0, 4), v(1, 0, 0, 4)), v(5, 0, 0, 0)), "value 5 belongs to column 5"},
		{"columns out of order", parquet.Row{v(1, 0, 0, 4), v(0, 0, 0, 4)}, "no value for column 0"},
		{"first value repeats", row(v(0, 1, 4, 4), v(1, 0, 0, 4)), "first value has repetition level 1"},
		{"repetition above maximum", row(v(0, 0, 4, 4), v(0, 2, 4, 4), v(1, 0, 4, 4)), "repetition level 2 outside [1, 1]"},
		{"second value in a flat column", parquet.Row{v(0, 0, 0, 4), v(1, 0, 0, 4), v(2, 0, 0, 0), v(2, 0, 0, 0)}, "column 2 (b): repetition level 0 outside [1, 0]"},
		{"repeated flat column", parquet.Row{v(0, 0, 0, 4), v(1, 0, 0, 4), v(2, 0, 0, 0), v(2, 1, 0, 0)}, "repetition level 1 outside [1, 0]"},
		{"definition above maximum", row(v(0, 0, 5, 4), v(1, 0, 0, 4)), "definition level 5 above maximum 4"},
		{"value below maximum definition", row(parquet.Int32Value(1).Level(0, 3, 0), v(1, 0, 3, 4)), "non-null value at definition level 3"},
		{"null at maximum definition", row(parquet.NullValue().Level(0, 4, 0), v(1, 0, 4, 4)), "null value at maximum definition level 4"},
		{"wrong kind", row(parquet.Int64Value(1).Level(0, 4, 0), v(1, 0, 4, 4)), "INT64 value in a INT32 column"},
		{"new element of a null list", row(v(0, 0, 4, 4), v(0, 1, 0, 4), v(1, 0, 4, 4), v(1, 1, 0, 4)), "repeats at level 1, which needs it and the previous value at definition level 2"},
		{"element after an empty list", row(v(0, 0, 1, 4), v(0, 1, 4, 4), v(1, 0, 1, 4), v(1, 1, 4, 4)), "repeats at level 1, which needs it and the previous value at definition level 2"},
		{"y repeats in a null element", row(v(0, 0, 2, 4), v(1, 0, 2, 4), v(1, 2, 4, 4)), "repeats at level 2, which needs it and the previous value at definition level 4"},
		{"columns disagree on list length", row(v(0, 0, 4, 4), v(0, 1, 4, 4), v(1, 0, 4, 4)), "columns 0 (a.list.element.x) and 1 (a.list.element.y) disagree on the instances of a.list.element"},
		{"columns disagree on element nullity", row(v(0, 0, 2, 4), v(1, 0, 3, 4)), "disagree on the instances of a.list.element"},
		{"struct null in one column only", parquet.Row{v(0, 0, 0, 4), v(1, 0, 0, 4), v(2, 0, 0, 0), v(3, 0, 1, 2), v(4, 0, 0, 1)}, "columns 3 (s.p) and 4 (s.q) disagree on the instances of s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := sinks.CheckRow(schema, tt.row)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckRow(%s) = %v, want nil", formatRow(tt.row), err)
			case tt.want != "" && err == nil:
				t.Errorf("CheckRow(%s) = nil, want an error containing %q", formatRow(tt.row), tt.want)
			case tt.want != "" && (!errors.Is(err, sinks.ErrInvalidRow) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("CheckRow(%s) = %v, want an ErrInvalidRow containing %q", formatRow(tt.row), err, tt.want)
			}
		})
	}
	t.Run("fixed length", func(t *testing.T) {
		schema := parquet.NewSchema("f", parquet.Group{"u": parquet.UUID()})
		if err := sinks.CheckRow(schema, parquet.Row{parquet.FixedLenByteArrayValue(make([]byte, 15)).Level(0, 0, 0)}); err == nil || !strings.Contains(err.Error(), "15-byte value in a 16-byte column") {
			t.Errorf("15-byte UUID: %v", err)
		}
		if err := sinks.CheckRow(schema, parquet.Row{parquet.FixedLenByteArrayValue(make([]byte, 16)).Level(0, 0, 0)}); err != nil {
			t.Errorf("16-byte UUID: %v", err)
		}
	})
}

// rowKey is the shape of a row: column and levels of every value.
func rowKey(row parquet.Row) string {
	var b strings.Builder
	for _, v := range row {
		fmt.Fprintf(&b, "%d:%d:%d,", v.Column(), v.RepetitionLevel(), v.DefinitionLevel())
	}
	return b.String()
}

// enumerate returns every striping of node n, whose first leaf is column
// col, with at most k elements per repeated node: one list of values per
// leaf of n for each alternative. r is the repetition level of the first
// value; maxRep and maxDef are those of n's parent.
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

// TestCheckRowExhaustive compares CheckRow with brute force: every row of
// levelsSchema made by striping a record (with up to two elements per
// repeated field) is accepted, and a random or mutated row with at most two
// values per column is accepted exactly when some record stripes to it.
func TestCheckRowExhaustive(t *testing.T) {
	const k = 2
	schema := levelsSchema()
	leaves := leafInfos(schema)
	valid := map[string]bool{}
	var validRows []parquet.Row
	for _, alt := range enumerateContent(schema, 0, 0, 0, 0, k) {
		var row parquet.Row
		fits := true
		for _, vals := range alt {
			row = append(row, vals...)
			fits = fits && len(vals) <= k
		}
		if err := sinks.CheckRow(schema, row); err != nil {
			t.Fatalf("striped row %s rejected: %v", formatRow(row), err)
		}
		if fits {
			valid[rowKey(row)] = true
			validRows = append(validRows, row)
		}
	}
	if len(valid) < 50 {
		t.Fatalf("only %d valid rows enumerated", len(valid))
	}

	r := rand.New(rand.NewPCG(1, 2))
	check := func(row parquet.Row) {
		t.Helper()
		counts := make([]int, len(leaves))
		for _, v := range row {
			counts[v.Column()]++
		}
		for _, n := range counts {
			if n > k {
				return // outside the enumerated domain
			}
		}
		err := sinks.CheckRow(schema, row)
		if want := valid[rowKey(row)]; want != (err == nil) {
			t.Fatalf("CheckRow(%s) = %v, but a record stripes to it: %t", formatRow(row), err, want)
		}
	}
	accepted := 0
	for range 20000 {
		var row parquet.Row
		for c, leaf := range leaves {
			for i := range 1 + r.IntN(k) {
				rep, def := r.IntN(leaf.maxRep+1), r.IntN(leaf.maxDef+1)
				if i == 0 {
					rep = 0
				}
				row = append(row, v(c, rep, def, leaf.maxDef))
			}
		}
		check(row)
		if valid[rowKey(row)] {
			accepted++
		}
	}
	if accepted == 0 {
		t.Error("no random row was valid: the comparison only tested rejection")
	}
	for _, base := range validRows {
		for range 20 {
			row := slicesClone(base)
			i := r.IntN(len(row))
			x := row[i]
			rep, def := x.RepetitionLevel(), x.DefinitionLevel()
			switch r.IntN(3) {
			case 0:
				rep = r.IntN(3)
			case 1:
				def = r.IntN(5)
			default:
				row = append(row[:i], row[i+1:]...) // drop a value
				check(row)
				continue
			}
			row[i] = v(x.Column(), rep, def, leaves[x.Column()].maxDef)
			check(row)
		}
	}
}

func slicesClone(row parquet.Row) parquet.Row { return append(parquet.Row(nil), row...) }

// TestEncodeMutatedRows feeds Encode rows of the nested test schema with
// random levels, kinds and columns changed: each must either fail with an
// ErrInvalidRow naming the row, or encode into a file that reads back the
// same row. Nothing may panic.
func TestEncodeMutatedRows(t *testing.T) {
	sc := testSchemas()[3]
	enc, err := sinks.NewRowGroupEncoder(sc.schema, sinks.ParquetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rows := newRowGen(sc.schema, 5).rows(100)
	r := rand.New(rand.NewPCG(3, 4))
	n := 3000
	if testing.Short() {
		n = 300
	}
	rejected := 0
	for range n {
		row := rows[r.IntN(len(rows))].Clone()
		for range 1 + r.IntN(3) {
			j := r.IntN(len(row))
			x := row[j]
			switch r.IntN(5) {
			case 0:
				row[j] = x.Level(r.IntN(4), x.DefinitionLevel(), x.Column())
			case 1:
				row[j] = x.Level(x.RepetitionLevel(), r.IntN(5), x.Column())
			case 2:
				row[j] = parquet.NullValue().Level(x.RepetitionLevel(), x.DefinitionLevel(), x.Column())
			case 3:
				row[j] = parquet.Int64Value(7).Level(x.RepetitionLevel(), x.DefinitionLevel(), x.Column())
			case 4:
				row[j] = x.Level(x.RepetitionLevel(), x.DefinitionLevel(), r.IntN(14))
			}
		}
		// One good row first, so that the bad one has index 1.
		g, err := enc.Encode(&sliceReader{rows: []parquet.Row{rows[0], row}})
		if err != nil {
			if !errors.Is(err, sinks.ErrInvalidRow) || !strings.Contains(err.Error(), "row 1:") {
				t.Fatalf("Encode(%s) = %v, want an ErrInvalidRow for row 1", formatRow(row), err)
			}
			rejected++
			continue
		}
		data := writeFile(t, sc.schema, sinks.ParquetOptions{}, nil, []*sinks.EncodedRowGroup{g})
		f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := readAllRows(f.RowGroups()[0].Rows())
		if err != nil || len(got) != 2 || !rowsEqual(got[1], row) {
			t.Fatalf("accepted row does not read back (%v)\n in: %s\nout: %v", err, formatRow(row), got)
		}
	}
	if rejected == 0 || rejected == n {
		t.Errorf("%d of %d mutated rows rejected: the mutations test only one side", rejected, n)
	}
}

// levelsOracle is the set of shapes (rowKey) of the rows of levelsSchema
// that striping a record with up to two elements per repeated field gives,
// restricted to rows with at most two values per column.
var levelsOracle = sync.OnceValue(func() map[string]bool {
	valid := map[string]bool{}
	for _, alt := range enumerateContent(levelsSchema(), 0, 0, 0, 0, 2) {
		var row parquet.Row
		fits := true
		for _, vals := range alt {
			row = append(row, vals...)
			fits = fits && len(vals) <= 2
		}
		if fits {
			valid[rowKey(row)] = true
		}
	}
	return valid
})

// fuzzRow decodes a row of levelsSchema from data, two bytes per value:
// column (0-5, 5 being out of range) with the high bit asking for a value
// of the wrong kind, then repetition level (high nibble, 0-3) and
// definition level (low nibble, 0-5).
func fuzzRow(data []byte) parquet.Row {
	leaves := leafInfos(levelsSchema())
	var row parquet.Row
	for i := 0; i+1 < len(data) && len(row) < 24; i += 2 {
		col := int(data[i]&0x7f) % 6
		rep, def := int(data[i+1]>>4)%4, int(data[i+1]&0x0f)%6
		maxDef := 0
		if col < len(leaves) {
			maxDef = leaves[col].maxDef
		}
		x := v(col, rep, def, maxDef)
		if data[i]&0x80 != 0 {
			x = parquet.ByteArrayValue([]byte("x")).Level(rep, def, col)
		}
		row = append(row, x)
	}
	return row
}

// fuzzBytes encodes row as fuzzRow reads it.
func fuzzBytes(row parquet.Row) []byte {
	var b []byte
	for _, x := range row {
		b = append(b, byte(x.Column()), byte(x.RepetitionLevel()<<4|x.DefinitionLevel()))
	}
	return b
}

// FuzzCheckRow checks CheckRow on arbitrary rows of levelsSchema: it never
// panics; within the enumerated domain it accepts exactly the rows some
// record stripes to; and a row it accepts encodes and reads back unchanged.
func FuzzCheckRow(f *testing.F) {
	for i, alt := range enumerateContent(levelsSchema(), 0, 0, 0, 0, 2) {
		if i%7 != 0 {
			continue
		}
		var row parquet.Row
		for _, vals := range alt {
			row = append(row, vals...)
		}
		f.Add(fuzzBytes(row))
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0x10, 1, 0x04, 2, 0, 3, 0, 4, 0})
	f.Add([]byte{0x80, 0x04, 1, 0x04, 2, 0, 3, 0x02, 4, 0x01, 5, 0})
	schema := levelsSchema()
	enc, err := sinks.NewRowGroupEncoder(schema, sinks.ParquetOptions{Compression: "none"})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		row := fuzzRow(data)
		err := sinks.CheckRow(schema, row)
		counts := map[int]int{}
		wrongKind := false
		for _, x := range row {
			counts[x.Column()]++
			wrongKind = wrongKind || !x.IsNull() && x.Kind() != parquet.Int32
		}
		inDomain := !wrongKind && counts[5] == 0
		for c := range 5 {
			inDomain = inDomain && counts[c] <= 2
		}
		if inDomain && levelsOracle()[rowKey(row)] != (err == nil) {
			t.Fatalf("CheckRow(%s) = %v, but a record stripes to it: %t", formatRow(row), err, levelsOracle()[rowKey(row)])
		}
		if err != nil {
			if !errors.Is(err, sinks.ErrInvalidRow) {
				t.Fatalf("CheckRow(%s) = %v, not an ErrInvalidRow", formatRow(row), err)
			}
			return
		}
		g, err := enc.Encode(&sliceReader{rows: []parquet.Row{row}})
		if err != nil {
			t.Fatalf("Encode(%s) after CheckRow accepted it: %v", formatRow(row), err)
		}
		file := writeFile(t, schema, sinks.ParquetOptions{Compression: "none"}, nil, []*sinks.EncodedRowGroup{g})
		_, got := readBack(t, file)
		if len(got) != 1 || len(got[0]) != 1 || !rowsEqual(got[0][0], row) {
			t.Fatalf("row %s read back as %v", formatRow(row), got)
		}
	})
}
