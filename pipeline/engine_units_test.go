package pipeline_test

import (
	"bytes"
	"math"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// A row group is cut into units of about equal rows, each cut moved to the
// nearest page start of its costliest column when that is near (an eighth
// of a unit), and never past its neighbours.
func TestCuts(t *testing.T) {
	tests := []struct {
		name               string
		starts             []int64
		first, rows, parts int64
		want               []int64
	}{
		{"no pages: equal rows, the first longer", nil, 0, 10, 3, []int64{4, 7, 10}},
		{"from a unit's first row", nil, 100, 9, 3, []int64{103, 106, 109}},
		{"page starts near the cuts", []int64{0, 240, 510, 760}, 0, 1000, 4, []int64{240, 510, 760, 1000}},
		{"a tie goes to the lower start", []int64{0, 240, 260}, 0, 1000, 4, []int64{240, 500, 750, 1000}},
		{"page starts too far stay unused", []int64{0, 100, 900}, 0, 1000, 4, []int64{250, 500, 750, 1000}},
		{"one page: equal rows", []int64{0}, 0, 1000, 2, []int64{500, 1000}},
		{"many small pages", []int64{0, 10, 20, 30, 40, 50, 60, 70, 80, 90}, 0, 100, 3, []int64{30, 70, 100}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := pipeline.Cuts(tc.starts, tc.first, tc.rows, tc.parts)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Cuts(%v, %d, %d, %d) = %v, want %v", tc.starts, tc.first, tc.rows, tc.parts, got, tc.want)
			}
		})
	}
}

// A row group within two unit budgets is cut in two only on a page start
// of its costliest column, else read whole, so that no page is
// decompressed by two units; a larger one is cut whatever its pages, so
// that a unit's memory stays bounded however the file was written.
func TestUnitsOnPageStarts(t *testing.T) {
	const rows = 4000
	write := func(pageBytes int) sources.Source {
		t.Helper()
		schema := parquet.NewSchema("t", parquet.Group{"id": parquet.Int(64), "x": parquet.Optional(parquet.Leaf(parquet.DoubleType))})
		var buf bytes.Buffer
		w := parquet.NewWriter(&buf, schema, parquet.MaxRowsPerRowGroup(rows), parquet.PageBufferSize(pageBytes))
		for i := range rows {
			row := parquet.Row{parquet.Int64Value(int64(i)).Level(0, 0, 0), parquet.DoubleValue(float64(i)).Level(0, 1, 1)}
			if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		in, err := sources.OpenParquet("pages.parquet", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		return in
	}
	tests := []struct {
		name      string
		pageBytes int
		share     float64 // the budget, as a share of the row group's estimate
		want      int     // units
	}{
		{"one page, within two budgets: whole", 1 << 20, 0.6, 1},
		{"one page, just within two budgets: whole", 1 << 20, 0.5, 1},
		{"one page, above two budgets: cut", 1 << 20, 0.4, 3},
		{"one page, far above: cut", 1 << 20, 0.05, 20},
		{"small pages, within two budgets: cut on a page start", 1 << 10, 0.6, 2},
		{"within one budget: whole", 1 << 10, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := write(tc.pageBytes)
			p := in.(*sources.Parquet)
			starts, err := p.PageStarts(0)
			if err != nil {
				t.Fatal(err)
			}
			if one := tc.pageBytes == 1<<20; one != (len(starts) == 1) {
				t.Fatalf("page starts %v: the input is not laid out as the case needs", starts)
			}
			whole, err := pipeline.CutAndCheckUnits(in, 0, 0)
			if err != nil || len(whole) != 1 {
				t.Fatalf("uncut: %v units, %v", whole, err)
			}
			budget := int64(math.Ceil(float64(whole[0]) * tc.share))
			got, err := pipeline.CutAndCheckUnits(in, budget, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.want {
				t.Fatalf("budget %d for a row group of %d estimated bytes (pages at %v): %d units %v, want %d", budget, whole[0], starts, len(got), got, tc.want)
			}
			for k, b := range got {
				if b > 2*budget {
					t.Errorf("unit %d estimated at %d bytes, above two budgets (%d)", k, b, 2*budget)
				}
			}
		})
	}
}
