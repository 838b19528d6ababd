package testinput_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/testinput"
)

type idRow struct {
	ID int64 `parquet:"id"`
}

// TestParts checks that Parts cuts rows 0..n-1 into files of rowsPerFile
// rows, in order, with the row groups the writer options ask for.
func TestParts(t *testing.T) {
	tests := []struct {
		name                   string
		n, rowsPerFile, rgRows int
		files                  []int   // rows per file
		groups                 [][]int // rows per row group, per file
	}{
		{"empty", 0, 5, 2, nil, nil},
		{"one file", 5, 10, 2, []int{5}, [][]int{{2, 2, 1}}},
		{"exact files", 6, 3, 3, []int{3, 3}, [][]int{{3}, {3}}},
		{"short last file", 7, 3, 2, []int{3, 3, 1}, [][]int{{2, 1}, {2, 1}, {1}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := testinput.Parts(t, tc.n, tc.rowsPerFile, func(i int) idRow { return idRow{ID: int64(i)} },
				parquet.MaxRowsPerRowGroup(int64(tc.rgRows)))
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != len(tc.files) {
				t.Fatalf("%d files, want %d", len(entries), len(tc.files))
			}
			next := int64(0)
			for k, want := range tc.files {
				path := filepath.Join(dir, fmt.Sprintf("part-%03d.parquet", k))
				rows, err := parquet.ReadFile[idRow](path)
				if err != nil {
					t.Fatal(err)
				}
				if len(rows) != want {
					t.Errorf("%s: %d rows, want %d", path, len(rows), want)
				}
				for _, r := range rows {
					if r.ID != next {
						t.Fatalf("%s: id %d, want %d", path, r.ID, next)
					}
					next++
				}
				if got := groupRows(t, path); !slices.Equal(got, tc.groups[k]) {
					t.Errorf("%s: row groups of %v rows, want %v", path, got, tc.groups[k])
				}
			}
		})
	}
}

// TestRows checks that Rows writes the rows of the schema given, in the
// row groups asked for, into a directory it makes.
func TestRows(t *testing.T) {
	schema := parquet.SchemaOf(idRow{})
	var rows []parquet.Row
	for i := range 5 {
		rows = append(rows, parquet.Row{parquet.Int64Value(int64(i)*10).Level(0, 0, 0)})
	}
	path := filepath.Join(t.TempDir(), "sub", "rows.parquet")
	testinput.Rows(t, path, schema, rows, parquet.MaxRowsPerRowGroup(4))
	got, err := parquet.ReadFile[idRow](path)
	if err != nil {
		t.Fatal(err)
	}
	if want := []idRow{{0}, {10}, {20}, {30}, {40}}; !slices.Equal(got, want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if g := groupRows(t, path); !slices.Equal(g, []int{4, 1}) {
		t.Errorf("row groups of %v rows, want [4 1]", g)
	}
}

// groupRows returns the row count of every row group of the file at path.
func groupRows(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, rg := range pf.RowGroups() {
		out = append(out, int(rg.NumRows()))
	}
	return out
}
