package sources

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// columnsSource is a source that reads columns alone.
type columnsSource interface {
	Source
	ColumnsReader
}

// csvColumns reads columns cols of every unit of c through ReadColumns in
// batches of batch rows, the values spelled by valueText, a row each.
func csvColumns(c columnsSource, cols []int, batch int) ([]string, error) {
	var rows []string
	for i := range c.NumUnits() {
		err := c.ReadColumns(context.Background(), i, cols, batch, func(values [][]parquet.Value) error {
			for r := range values[0] {
				var f []string
				for k := range cols {
					if len(values[k]) != len(values[0]) {
						return fmt.Errorf("columns of %d and %d values", len(values[k]), len(values[0]))
					}
					f = append(f, valueText(values[k][r])+fmt.Sprintf("@%d/%d", values[k][r].DefinitionLevel(), values[k][r].Column()))
				}
				rows = append(rows, strings.Join(f, "|"))
			}
			return nil
		})
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// csvRowColumns is csvColumns from ReadUnit's rows.
func csvRowColumns(c columnsSource, cols []int) ([]string, error) {
	var rows []string
	for i := range c.NumUnits() {
		err := c.ReadUnit(context.Background(), i, 3, func(batch []parquet.Row) error {
			for _, row := range batch {
				var f []string
				for _, col := range cols {
					v := row[col]
					f = append(f, valueText(v)+fmt.Sprintf("@%d/%d", v.DefinitionLevel(), v.Column()))
				}
				rows = append(rows, strings.Join(f, "|"))
			}
			return nil
		})
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// TestCSVColumnsMatchRows checks that columns read alone and together, in
// any order and repeated, hold ReadUnit's values, across units and
// batches, with nulls, quoted and multi-line fields; that a bad field in
// a column read gives ReadUnit's error, and one in another column is not
// converted, so not seen.
func TestCSVColumnsMatchRows(t *testing.T) {
	withUnitRows(t, 4)
	var b strings.Builder
	b.WriteString("id,label,x,note,ok\n")
	for k := range 23 {
		note := fmt.Sprintf("n%d", k)
		if k%5 == 0 {
			note = "\"multi\nline, quoted\""
		}
		label := []string{"a", "b", ""}[k%3]
		fmt.Fprintf(&b, "%d,%s,%g,%s,%v\n", k, label, float64(k)/4, note, k%2 == 0)
	}
	c, err := openCSVString(b.String(), CSVOptions{Schema: "id:int64!,label:string,x:double,note:string,ok:bool"})
	if err != nil {
		t.Fatal(err)
	}
	if c.NumUnits() < 3 {
		t.Fatalf("%d units, want several", c.NumUnits())
	}
	for _, cols := range [][]int{{0}, {1}, {2}, {3}, {4}, {4, 1}, {1, 1}, {0, 1, 2, 3, 4}} {
		want, err := csvRowColumns(c, cols)
		if err != nil {
			t.Fatal(err)
		}
		for _, batch := range []int{1, 2, 100} {
			got, err := csvColumns(c, cols, batch)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("columns %v, batch %d:\n got  %q\n want %q", cols, batch, got, want)
			}
		}
	}

	data := "a,b\n1,x\n2,y\n3,\n4,w\n"
	for _, tc := range []struct {
		name   string
		schema string
		cols   []int
		fails  bool
	}{
		{"bad field in the column read", "a:int64,b:double", []int{1}, true},
		{"bad field in another column", "a:int64,b:double", []int{0}, false},
		{"null in a required column read", "a:int64,b:string!", []int{1}, true},
		{"null in a required column not read", "a:int64,b:string!", []int{0}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := openCSVString(data, CSVOptions{Schema: tc.schema})
			if err != nil {
				t.Fatal(err)
			}
			_, rowErr := csvRowColumns(c, tc.cols)
			got, err := csvColumns(c, tc.cols, 2)
			if rowErr == nil {
				t.Fatal("ReadUnit read the damaged file")
			}
			if !tc.fails {
				if err != nil || len(got) != 4 {
					t.Fatalf("%d rows, %v; want 4 rows", len(got), err)
				}
				return
			}
			var ie *InputError
			if err == nil || err.Error() != rowErr.Error() || !errors.As(err, &ie) || ie.Line == 0 {
				t.Fatalf("ReadColumns: %v, ReadUnit: %v", err, rowErr)
			}
		})
	}
	if err := c.ReadColumns(context.Background(), 0, []int{5}, 10, func([][]parquet.Value) error { return nil }); err == nil {
		t.Fatal("column out of range read")
	}
}

// TestJSONLColumnsMatchRows checks JSON Lines as TestCSVColumnsMatchRows
// checks CSV: values of columns read alone are ReadUnit's, keys absent
// and null included, and a bad value is seen only in a column read.
func TestJSONLColumnsMatchRows(t *testing.T) {
	withJSONLUnitRows(t, 4)
	var b strings.Builder
	for k := range 23 {
		switch k % 3 {
		case 0:
			fmt.Fprintf(&b, `{"id": %d, "label": "a\u00e9", "x": %g}`+"\n", k, float64(k)/4)
		case 1:
			fmt.Fprintf(&b, `{"x": null, "id": %d}`+"\n\n", k)
		default:
			fmt.Fprintf(&b, `{"id": %d, "label": null, "x": 1e3, "ok": true}`+"\n", k)
		}
	}
	j, err := openJSONLString(b.String(), JSONLOptions{Schema: "id:int64!,label:string,x:double,ok:bool"})
	if err != nil {
		t.Fatal(err)
	}
	if j.NumUnits() < 3 {
		t.Fatalf("%d units, want several", j.NumUnits())
	}
	for _, cols := range [][]int{{0}, {1}, {2}, {3}, {3, 1}, {0, 1, 2, 3}} {
		want, err := csvRowColumns(j, cols)
		if err != nil {
			t.Fatal(err)
		}
		got, err := csvColumns(j, cols, 3)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Fatalf("columns %v:\n got  %q\n want %q", cols, got, want)
		}
	}

	bad, err := openJSONLString(`{"a": 1, "b": 2}`+"\n"+`{"a": 2, "b": "x"}`+"\n", JSONLOptions{Schema: "a:int64,b:double"})
	if err != nil {
		t.Fatal(err)
	}
	_, rowErr := csvRowColumns(bad, []int{1})
	if _, err := csvColumns(bad, []int{1}, 10); rowErr == nil || err == nil || err.Error() != rowErr.Error() {
		t.Fatalf("ReadColumns: %v, ReadUnit: %v", err, rowErr)
	}
	if got, err := csvColumns(bad, []int{0}, 10); err != nil || len(got) != 2 {
		t.Fatalf("column a: %d rows, %v; want 2 rows", len(got), err)
	}
}

// checkColumnsPath reads every column of src, a fuzzed text input, alone
// and all together through ReadColumns, and fails unless each read gives
// the values of rows, what ReadUnit read (spelled by valueText), when
// rowErr is nil, and else values or an error checkInputError accepts.
func checkColumnsPath(t *testing.T, src Source, rows [][]string, rowErr error) {
	t.Helper()
	cr, ok := src.(columnsSource)
	if !ok {
		t.Fatalf("%T reads no columns alone", src)
	}
	n := len(src.Schema().Columns())
	all := make([]int, n)
	for c := range all {
		all[c] = c
	}
	sets := [][]int{all}
	for c := range n {
		sets = append(sets, []int{c})
	}
	for _, cols := range sets {
		var got [][]string
		for i := range cr.NumUnits() {
			err := cr.ReadColumns(t.Context(), i, cols, 2, func(values [][]parquet.Value) error {
				for r := range values[0] {
					texts := make([]string, len(cols))
					for k := range cols {
						texts[k] = valueText(values[k][r])
					}
					got = append(got, texts)
				}
				return nil
			})
			if err != nil {
				checkInputError(t, err)
				if rowErr == nil {
					t.Fatalf("columns %v refused, rows read: %v", cols, err)
				}
				return
			}
		}
		if rowErr != nil {
			continue
		}
		if len(got) != len(rows) {
			t.Fatalf("columns %v: %d rows, ReadUnit %d", cols, len(got), len(rows))
		}
		for r := range rows {
			for k, c := range cols {
				if got[r][k] != rows[r][c] {
					t.Fatalf("columns %v, row %d: %q, ReadUnit %q", cols, r, got[r][k], rows[r][c])
				}
			}
		}
	}
}
