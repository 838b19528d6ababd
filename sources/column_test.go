package sources_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sources"
)

type columnRow struct {
	ID    int64   `parquet:"id"`
	Label *string `parquet:"label,optional"`
	Flag  bool    `parquet:"flag"`
}

// TestReadColumnMatchesRows checks that reading one column gives, row for
// row, the values reading whole rows gives, nulls included, over row groups
// of several pages.
func TestReadColumnMatchesRows(t *testing.T) {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[columnRow](&buf, parquet.PageBufferSize(512), parquet.MaxRowsPerRowGroup(1500))
	var rows []columnRow
	for i := range 4000 {
		r := columnRow{ID: int64(i), Flag: i%3 == 0}
		if i%7 != 0 {
			s := fmt.Sprintf("class-%d", i%5)
			r.Label = &s
		}
		rows = append(rows, r)
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
	for col := range 3 {
		for u := range p.NumUnits() {
			var fromRows, fromColumn []parquet.Value
			err := p.ReadUnit(t.Context(), u, 100, func(rows []parquet.Row) error {
				for _, row := range rows {
					for _, v := range row {
						if v.Column() == col {
							fromRows = append(fromRows, v.Clone())
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			err = p.ReadColumn(t.Context(), u, col, 77, func(values []parquet.Value) error {
				for _, v := range values {
					fromColumn = append(fromColumn, v.Clone())
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(fromColumn) != len(fromRows) {
				t.Fatalf("column %d, row group %d: %d values, rows hold %d", col, u, len(fromColumn), len(fromRows))
			}
			for k := range fromRows {
				a, b := fromRows[k], fromColumn[k]
				if a.IsNull() != b.IsNull() || !a.IsNull() && !parquet.Equal(a, b) {
					t.Fatalf("column %d, row group %d, row %d: column read %v, row read %v", col, u, k, b, a)
				}
			}
		}
	}
	if err := p.ReadColumn(t.Context(), 0, 9, 10, func([]parquet.Value) error { return nil }); err == nil {
		t.Error("ReadColumn of a column out of range succeeded")
	}
}
