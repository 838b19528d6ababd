package pipeline_test

import (
	"slices"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
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
