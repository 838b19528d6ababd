package rowcheck_test

import (
	"errors"
	"flag"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/rowcheck"
)

var seed = flag.Uint64("seed", 1, "seed of the randomised tests")

// TestNew compares the layouts of schemas with the columns, types and
// levels parquet-go's schema lookup reports.
func TestNew(t *testing.T) {
	tests := []struct {
		name   string
		schema *parquet.Schema
	}{
		{"levels", levelsSchema()},
		{"maps", mapSchema()},
		{"typical", parquet.SchemaOf(typicalRecord{})},
		{"nested", parquet.SchemaOf(nestedRecord{})},
		{"fixed", parquet.NewSchema("f", parquet.Group{
			"u": parquet.UUID(),
			"f": parquet.Optional(parquet.Leaf(parquet.FixedLenByteArrayType(3))),
			"i": parquet.Leaf(parquet.Int96Type),
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := rowcheck.New(tt.schema)
			cols := tt.schema.Columns()
			if len(l) != len(cols) {
				t.Fatalf("%d leaves, want %d", len(l), len(cols))
			}
			for _, path := range cols {
				lc, ok := tt.schema.Lookup(path...)
				if !ok {
					t.Fatalf("lookup %v failed", path)
				}
				typ := lc.Node.Type()
				want := rowcheck.Leaf{
					Path:   strings.Join(path, "."),
					Kind:   typ.Kind(),
					MaxRep: lc.MaxRepetitionLevel,
					MaxDef: lc.MaxDefinitionLevel,
				}
				if want.Kind == parquet.FixedLenByteArray {
					want.Length = typ.Length()
				}
				got := l[lc.ColumnIndex]
				if got.Path != want.Path || got.Kind != want.Kind || got.Length != want.Length || got.MaxRep != want.MaxRep || got.MaxDef != want.MaxDef {
					t.Errorf("column %d = %+v, want %+v", lc.ColumnIndex, got, want)
				}
			}
		})
	}
	if l := rowcheck.New(nil); len(l) != 0 || l.Check(nil) != nil {
		t.Errorf("New(nil) = %v, want an empty layout accepting the empty row", l)
	}
}

// TestCheck lists malformed rows of levelsSchema, each with the part of
// the error that names its fault, next to well-formed ones.
func TestCheck(t *testing.T) {
	layout := rowcheck.New(levelsSchema())
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

		{"empty row", parquet.Row{}, "no value for column 0 (a.list.element.x)"},
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
		{"null in a required column", parquet.Row{v(0, 0, 0, 4), v(1, 0, 0, 4), parquet.NullValue().Level(0, 0, 2), v(3, 0, 0, 2), v(4, 0, 0, 1)}, "column 2 (b): null value at maximum definition level 0"},
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
			err := layout.Check(tt.row)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("Check(%s) = %v, want nil", formatRow(tt.row), err)
			case tt.want != "" && err == nil:
				t.Errorf("Check(%s) = nil, want an error containing %q", formatRow(tt.row), tt.want)
			case tt.want != "" && (!errors.Is(err, rowcheck.ErrInvalidRow) || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("Check(%s) = %v, want an ErrInvalidRow containing %q", formatRow(tt.row), err, tt.want)
			}
		})
	}
	t.Run("fixed length", func(t *testing.T) {
		layout := rowcheck.New(parquet.NewSchema("f", parquet.Group{"u": parquet.UUID()}))
		if err := layout.Check(parquet.Row{parquet.FixedLenByteArrayValue(make([]byte, 15)).Level(0, 0, 0)}); err == nil || !strings.Contains(err.Error(), "15-byte value in a 16-byte column") {
			t.Errorf("15-byte UUID: %v", err)
		}
		if err := layout.Check(parquet.Row{parquet.FixedLenByteArrayValue(make([]byte, 16)).Level(0, 0, 0)}); err != nil {
			t.Errorf("16-byte UUID: %v", err)
		}
	})
}

// badKindType is a type whose kind is out of range, as parquet-go reports
// a column whose footer gives an unknown physical type.
type badKindType struct{ parquet.Type }

// Kind returns the kind a null value reports.
func (badKindType) Kind() parquet.Kind { return parquet.NullValue().Kind() }

// TestCheckBadKind pins a bug: a column of an unknown physical type has the
// kind of a null, and Check took a null at the maximum definition level for
// a value of the column's kind (parquet-testing's PARQUET-1481.parquet).
func TestCheckBadKind(t *testing.T) {
	layout := rowcheck.New(parquet.NewSchema("bad", parquet.Group{"h": parquet.Optional(parquet.Leaf(badKindType{parquet.Int32Type}))}))
	if err := layout.Check(parquet.Row{parquet.NullValue().Level(0, 1, 0)}); err == nil || !strings.Contains(err.Error(), "null value at maximum definition level 1") {
		t.Errorf("null at the maximum definition level: %v", err)
	}
	if err := layout.Check(parquet.Row{parquet.Int32Value(1).Level(0, 1, 0)}); err == nil || !strings.Contains(err.Error(), "INT32 value in a") {
		t.Errorf("INT32 value: %v", err)
	}
	if err := layout.Check(parquet.Row{parquet.NullValue().Level(0, 0, 0)}); err != nil {
		t.Errorf("null below the maximum definition level: %v", err)
	}
}

// TestCheckExhaustive compares Check with brute force: every row made by
// striping a record (with up to two elements per repeated field) is
// accepted, and a random or mutated row with at most two values per column
// is accepted exactly when some record stripes to it.
func TestCheckExhaustive(t *testing.T) {
	const k = 2
	for _, tt := range []struct {
		name   string
		schema *parquet.Schema
	}{
		{"levels", levelsSchema()},
		{"maps", mapSchema()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			layout := rowcheck.New(tt.schema)
			leaves := columnLevels(tt.schema)
			all, valid := stripings(tt.schema, k)
			var validRows []parquet.Row
			for _, row := range all {
				if err := layout.Check(row); err != nil {
					t.Fatalf("striped row %s rejected: %v", formatRow(row), err)
				}
				if valid[rowKey(row)] {
					validRows = append(validRows, row)
				}
			}
			if len(valid) < 50 {
				t.Fatalf("only %d valid rows enumerated", len(valid))
			}

			r := rand.New(rand.NewPCG(*seed, 2))
			accepted, rejected := 0, 0
			check := func(row parquet.Row) {
				t.Helper()
				counts := make([]int, len(leaves)+1)
				for _, x := range row {
					counts[min(x.Column(), len(leaves))]++
				}
				for _, n := range counts[:len(leaves)] {
					if n > k {
						return // outside the enumerated domain
					}
				}
				err := layout.Check(row)
				want := valid[rowKey(row)]
				if want != (err == nil) {
					t.Fatalf("Check(%s) = %v, but a record stripes to it: %t (go test -run 'TestCheckExhaustive/%s' -seed %d)", formatRow(row), err, want, tt.name, *seed)
				}
				if err != nil && !errors.Is(err, rowcheck.ErrInvalidRow) {
					t.Fatalf("Check(%s) = %v, not an ErrInvalidRow", formatRow(row), err)
				}
				if want {
					accepted++
				} else {
					rejected++
				}
			}
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
			}
			for _, base := range validRows {
				for range 20 {
					row := append(parquet.Row(nil), base...)
					i := r.IntN(len(row))
					x := row[i]
					rep, def, col := x.RepetitionLevel(), x.DefinitionLevel(), x.Column()
					switch r.IntN(4) {
					case 0:
						rep = r.IntN(leaves[col].maxRep + 2)
					case 1:
						def = r.IntN(leaves[col].maxDef + 2)
					case 2:
						check(append(row[:i], row[i+1:]...)) // drop a value
						continue
					default:
						check(append(row[:i+1], row[i:]...)) // repeat a value
						continue
					}
					row[i] = v(col, rep, def, leaves[col].maxDef)
					check(row)
				}
			}
			if accepted == 0 || rejected == 0 {
				t.Errorf("%d rows accepted, %d rejected: the comparison tested one side only", accepted, rejected)
			}
		})
	}
}

// TestCheckDeconstructed checks that Check accepts the rows parquet-go
// makes from random Go values of a nested schema.
func TestCheckDeconstructed(t *testing.T) {
	schema := parquet.SchemaOf(nestedRecord{})
	layout := rowcheck.New(schema)
	r := rand.New(rand.NewPCG(*seed, 3))
	for i := range 2000 {
		rec := nestedRecord{ID: int64(i)}
		for range r.IntN(3) {
			rec.Tags = append(rec.Tags, "t")
		}
		if r.IntN(2) == 0 {
			rec.Attrs = map[string]int32{}
			for j := range r.IntN(3) {
				rec.Attrs[string(rune('a'+j))] = int32(j)
			}
		}
		for range r.IntN(3) {
			it := nestedItem{Name: "n"}
			if r.IntN(2) == 0 {
				q := int32(r.IntN(10))
				it.Qty = &q
			}
			for range r.IntN(3) {
				it.Codes = append(it.Codes, int32(r.IntN(10)))
			}
			rec.Items = append(rec.Items, it)
		}
		row := schema.Deconstruct(nil, &rec)
		if err := layout.Check(row); err != nil {
			t.Fatalf("Check(%s) of %+v: %v (go test -run TestCheckDeconstructed -seed %d)", formatRow(row), rec, err, *seed)
		}
	}
}

// fuzzRow decodes a row of levelsSchema from data, two bytes per value:
// column (0-5, 5 being out of range) with the high bit asking for a value
// of the wrong kind, then repetition level (high nibble, 0-3) and
// definition level (low nibble, 0-5).
func fuzzRow(data []byte) parquet.Row {
	leaves := columnLevels(levelsSchema())
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

// FuzzCheck checks Check on arbitrary rows of levelsSchema: it never
// panics; within the enumerated domain it accepts exactly the rows some
// record stripes to; and a row it accepts is written by parquet-go's writer
// and reads back unchanged. The seed corpus is every seventh enumerated
// row, a few hand-made ones and testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	schema := levelsSchema()
	all, valid := stripings(schema, 2)
	for i, row := range all {
		if i%7 == 0 {
			f.Add(fuzzBytes(row))
		}
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0x10, 1, 0x04, 2, 0, 3, 0, 4, 0})
	f.Add([]byte{0x80, 0x04, 1, 0x04, 2, 0, 3, 0x02, 4, 0x01, 5, 0})
	layout := rowcheck.New(schema)
	f.Fuzz(func(t *testing.T, data []byte) {
		row := fuzzRow(data)
		err := layout.Check(row)
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
		if inDomain && valid[rowKey(row)] != (err == nil) {
			t.Fatalf("Check(%s) = %v, but a record stripes to it: %t", formatRow(row), err, valid[rowKey(row)])
		}
		if err != nil {
			if !errors.Is(err, rowcheck.ErrInvalidRow) {
				t.Fatalf("Check(%s) = %v, not an ErrInvalidRow", formatRow(row), err)
			}
			return
		}
		got, err := roundTrip(schema, row)
		if err != nil {
			t.Fatalf("round trip of %s after Check accepted it: %v", formatRow(row), err)
		}
		if !rowsEqual(got, row) {
			t.Fatalf("row %s read back as %s", formatRow(row), formatRow(got))
		}
	})
}

// errSink keeps benchmark results alive.
var errSink error

// BenchmarkCheck checks a row of the typical 7-column table (two int64, a
// low-cardinality string, a double, an optional double, a string, a
// timestamp) and a nested row (lists, a map, a list of structs with an
// optional and a repeated field, a UUID-sized fixed-length column).
func BenchmarkCheck(b *testing.B) {
	extra := 0.5
	typical := typicalRecord{ID: 1, User: 2, Label: "train", Score: 0.25, Extra: &extra, Text: strings.Repeat("x", 40), At: time.Unix(1700000000, 0)}
	q := int32(3)
	nested := nestedRecord{
		ID:    1,
		Tags:  []string{"a", "b", "c"},
		Attrs: map[string]int32{"k": 1, "l": 2},
		Items: []nestedItem{{Name: "x", Qty: &q, Codes: []int32{1, 2}}, {Name: "y"}, {Name: "z", Codes: []int32{3}}},
	}
	for _, bc := range []struct {
		name   string
		schema *parquet.Schema
		record any
	}{
		{"flat7", parquet.SchemaOf(typical), &typical},
		{"nested", parquet.SchemaOf(nested), &nested},
	} {
		row := bc.schema.Deconstruct(nil, bc.record)
		layout := rowcheck.New(bc.schema)
		if err := layout.Check(row); err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var err error
			for b.Loop() {
				err = layout.Check(row)
			}
			errSink = err
		})
	}
}

// CheckColumns agrees with Check on rows of a schema without repetition:
// every combination of levels of an optional struct's two columns.
func TestCheckColumnsAgreesWithCheck(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{
		"id": parquet.Int(64),
		"s": parquet.Optional(parquet.Group{
			"p": parquet.Optional(parquet.Int(32)),
			"q": parquet.Int(32),
		}),
	})
	layout := rowcheck.New(schema)
	// Columns: 0 id (max def 0), 1 s.p (2), 2 s.q (1).
	for dp := 0; dp <= 2; dp++ {
		for dq := 0; dq <= 1; dq++ {
			value := func(d, max, col int) parquet.Value {
				if d < max {
					return parquet.NullValue().Level(0, d, col)
				}
				return parquet.Int32Value(1).Level(0, d, col)
			}
			row := parquet.Row{parquet.Int64Value(7).Level(0, 0, 0), value(dp, 2, 1), value(dq, 1, 2)}
			want := layout.Check(row) == nil
			err := layout.CheckColumns([][]byte{nil, {0, byte(dp)}, {0, byte(dq)}})
			if got := err == nil; got != want {
				t.Errorf("levels p=%d q=%d: CheckColumns error %v, Check valid %v", dp, dq, err, want)
			}
			if err != nil && !strings.Contains(err.Error(), "row 1:") {
				t.Errorf("levels p=%d q=%d: error %q does not name row 1", dp, dq, err)
			}
		}
	}
}
