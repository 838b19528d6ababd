package sinks_test

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/rowcheck"
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

// TestEncodeInvalidRow checks that Encode refuses rows that do not fit
// the schema, including those only the shared-ancestor and per-level
// repetition checks catch, with an ErrInvalidRow naming the row and the
// fault; rowcheck's tests cover the check itself.
func TestEncodeInvalidRow(t *testing.T) {
	schema := levelsSchema()
	enc, err := sinks.NewRowGroupEncoder(schema, sinks.ParquetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// tail completes a row after its a.* columns: b, then a null s.
	tail := []parquet.Value{v(2, 0, 0, 0), v(3, 0, 0, 2), v(4, 0, 0, 1)}
	row := func(values ...parquet.Value) parquet.Row {
		return append(parquet.Row(values), tail...)
	}
	good := row(v(0, 0, 4, 4), v(0, 1, 3, 4), v(1, 0, 4, 4), v(1, 2, 4, 4), v(1, 1, 3, 4))
	tests := []struct {
		name string
		row  parquet.Row
		want string
	}{
		{"missing column", parquet.Row{v(0, 0, 0, 4), v(2, 0, 0, 0)}, "no value for column 1"},
		{"null in a required column", row(v(0, 0, 0, 4), parquet.NullValue().Level(0, 4, 1)), "column 1 (a.list.element.y): null value at maximum definition level 4"},
		{"element after an empty list", row(v(0, 0, 1, 4), v(0, 1, 4, 4), v(1, 0, 1, 4), v(1, 1, 4, 4)), "repeats at level 1"},
		{"struct null in one column only", parquet.Row{v(0, 0, 0, 4), v(1, 0, 0, 4), v(2, 0, 0, 0), v(3, 0, 1, 2), v(4, 0, 0, 1)}, "columns 3 (s.p) and 4 (s.q) disagree on the instances of s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := enc.Encode(&sliceReader{rows: []parquet.Row{good, tt.row}})
			if !errors.Is(err, sinks.ErrInvalidRow) || !errors.Is(err, rowcheck.ErrInvalidRow) || !strings.Contains(err.Error(), "row 1: ") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Encode(%s) = %v, want an ErrInvalidRow for row 1 containing %q", formatRow(tt.row), err, tt.want)
			}
		})
	}
	if _, err := enc.Encode(&sliceReader{rows: []parquet.Row{good}}); err != nil {
		t.Errorf("Encode(%s) = %v", formatRow(good), err)
	}
}

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
