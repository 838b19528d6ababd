package sources_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sources"
)

// columnsFile writes rows of columnRow in row groups of 1,500 rows and
// pages of a few hundred bytes, whose boundaries differ from column to
// column, and opens it.
func columnsFile(t *testing.T) *sources.Parquet {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[columnRow](&buf, parquet.PageBufferSize(512), parquet.MaxRowsPerRowGroup(1500))
	rows := make([]columnRow, 4000)
	for i := range rows {
		rows[i] = columnRow{ID: int64(i) * 7919, Flag: i%3 == 0}
		if i%7 != 0 {
			s := fmt.Sprintf("class-%d-%d", i%5, i)
			rows[i].Label = &s
		}
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := sources.OpenParquet("t.parquet", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if p.NumUnits() < 2 {
		t.Fatalf("%d row groups, want several", p.NumUnits())
	}
	return p
}

// TestReadColumnsMatchesRows checks that reading a few columns in lockstep
// gives, row for row and column for column, the values whole rows hold,
// nulls included, for any order of the columns and any batch: batches
// end within row groups of several pages, at other rows in each column.
func TestReadColumnsMatchesRows(t *testing.T) {
	p := columnsFile(t)
	tests := []struct {
		cols  []int
		batch int
	}{
		{[]int{0, 1, 2}, 100},
		{[]int{1}, 1},
		{[]int{2, 1}, 77},
		{[]int{1, 0}, 5000},
		{[]int{0, 0}, 64}, // a column twice reads it twice
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v batch %d", tt.cols, tt.batch), func(t *testing.T) {
			for u := range p.NumUnits() {
				want := make([][]parquet.Value, len(tt.cols)) // want[c]: column tt.cols[c]
				err := p.ReadUnit(t.Context(), u, 100, func(rows []parquet.Row) error {
					for _, row := range rows {
						for c, col := range tt.cols {
							want[c] = append(want[c], row[col].Clone())
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				got := make([][]parquet.Value, len(tt.cols))
				batches := 0
				err = p.ReadColumns(t.Context(), u, tt.cols, tt.batch, func(values [][]parquet.Value) error {
					batches++
					if len(values) != len(tt.cols) {
						t.Fatalf("%d columns in a batch, want %d", len(values), len(tt.cols))
					}
					for c := range values {
						if len(values[c]) != len(values[0]) || len(values[c]) == 0 || len(values[c]) > tt.batch {
							t.Fatalf("batch %d: column %d of %d values, column 0 of %d, batch %d", batches, c, len(values[c]), len(values[0]), tt.batch)
						}
						for _, v := range values[c] {
							got[c] = append(got[c], v.Clone())
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				for c := range want {
					if len(got[c]) != len(want[c]) || int64(len(got[c])) != p.UnitNumRows(u) {
						t.Fatalf("row group %d, column %d: %d values, rows hold %d of %d", u, tt.cols[c], len(got[c]), len(want[c]), p.UnitNumRows(u))
					}
					for k := range want[c] {
						a, b := want[c][k], got[c][k]
						if a.IsNull() != b.IsNull() || !a.IsNull() && !parquet.Equal(a, b) {
							t.Fatalf("row group %d, column %d, row %d: %v, the row holds %v", u, tt.cols[c], k, b, a)
						}
					}
				}
			}
		})
	}
}

// TestReadColumnsRefuses checks the calls ReadColumns refuses: a column or
// row group out of range, a batch of no rows, no column; and that fn's
// error ends the read.
func TestReadColumnsRefuses(t *testing.T) {
	p := columnsFile(t)
	stop := fmt.Errorf("stop")
	none := func([][]parquet.Value) error { return nil }
	tests := []struct {
		name  string
		rg    int
		cols  []int
		batch int
		fn    func([][]parquet.Value) error
		want  error // nil: any error
	}{
		{"column out of range", 0, []int{0, 9}, 10, none, nil},
		{"negative column", 0, []int{-1}, 10, none, nil},
		{"row group out of range", 99, []int{0}, 10, none, nil},
		{"no batch", 0, []int{0}, 0, none, nil},
		{"no column", 0, nil, 10, none, nil},
		{"fn fails", 1, []int{1, 2}, 10, func([][]parquet.Value) error { return stop }, stop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := p.ReadColumns(t.Context(), tt.rg, tt.cols, tt.batch, tt.fn)
			switch {
			case err == nil:
				t.Fatal("succeeded")
			case tt.want != nil && err != tt.want:
				t.Fatalf("error %v, want %v", err, tt.want)
			}
		})
	}
}

// TestReadColumnsRefusesRepeated checks that a repeated column, whose
// values are not one a row in general, is refused rather than read out of
// step, even where its counts agree with the rows.
func TestReadColumnsRefusesRepeated(t *testing.T) {
	type listRow struct {
		A int32   `parquet:"a"`
		L []int32 `parquet:"l,list"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[listRow](&buf)
	// One element a row: as many values as rows, which the counts alone
	// would let through.
	if _, err := w.Write([]listRow{{A: 1, L: []int32{1}}, {A: 2, L: []int32{2}}, {A: 3, L: []int32{4}}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := sources.OpenParquet("list.parquet", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	none := func([][]parquet.Value) error { return nil }
	if err := p.ReadColumns(t.Context(), 0, []int{0}, 10, none); err != nil {
		t.Fatalf("the flat column: %v", err)
	}
	if err := p.ReadColumns(t.Context(), 0, []int{0, 1}, 10, none); err == nil {
		t.Fatal("read the repeated column in lockstep")
	}
}
