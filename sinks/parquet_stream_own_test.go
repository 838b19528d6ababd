package sinks

import (
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// ownOrder puts the columns holding the most bytes of a piece first, ties
// in column order, whatever the rows are given as: a batch, a slice of
// one, a pick out of several.
func TestOwnOrder(t *testing.T) {
	layout := columnar.Layout{
		{Kind: parquet.Int64, Width: 8},             // 0: 8 bytes a row
		{Kind: parquet.ByteArray, MaxDef: 1},        // 1: text, about 105 bytes a row
		{Kind: parquet.Boolean, Width: 1},           // 2: 1
		{Kind: parquet.Double, Width: 8, MaxDef: 1}, // 3: 9
		{Kind: parquet.ByteArray},                   // 4: short strings, 4 + 2
		{Kind: parquet.Int32, Width: 4},             // 5: 4
		{Kind: parquet.Int64, Width: 8},             // 6: 8, as column 0
	}
	batch := func(rows, text int) *columnar.Batch {
		b := columnar.New(layout, rows)
		for r := range rows {
			row := []parquet.Value{
				parquet.Int64Value(int64(r)).Level(0, 0, 0),
				parquet.ByteArrayValue([]byte(strings.Repeat("x", text))).Level(0, 1, 1),
				parquet.BooleanValue(r%2 == 0).Level(0, 0, 2),
				parquet.DoubleValue(float64(r)).Level(0, 1, 3),
				parquet.ByteArrayValue([]byte("ab")).Level(0, 0, 4),
				parquet.Int32Value(int32(r)).Level(0, 0, 5),
				parquet.Int64Value(int64(r)).Level(0, 0, 6),
			}
			for _, v := range row {
				if err := b.Cols[v.Column()].AppendValue(v); err != nil {
					t.Fatal(err)
				}
			}
			b.Len++
		}
		return b
	}
	big, small := batch(2000, 100), batch(2000, 1)
	all := []int{0, 1, 2, 3, 4, 5, 6}
	for _, tc := range []struct {
		name  string
		parts []columnar.Rows
		cols  []int
		want  []int
	}{
		{"batch", []columnar.Rows{big}, all, []int{1, 3, 0, 6, 4, 5, 2}},
		{"some columns", []columnar.Rows{big}, []int{2, 5, 1}, []int{1, 5, 2}},
		// A slice's strings are those of its rows, not its batch's.
		{"slice", []columnar.Rows{big.Slice(0, 10), small}, all, []int{3, 0, 6, 1, 4, 5, 2}},
		{"pick", []columnar.Rows{columnar.NewPick([]*columnar.Batch{small, big}, []columnar.Ref{{Batch: 1, Row: 3}, {Batch: 0, Row: 7}})}, all, []int{1, 3, 0, 6, 4, 5, 2}},
		{"no rows", []columnar.Rows{big.Slice(0, 0)}, all, all},
	} {
		got := ownOrder(tc.parts, slices.Clone(tc.cols))
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: ownOrder = %v, want %v", tc.name, got, tc.want)
		}
	}
}
