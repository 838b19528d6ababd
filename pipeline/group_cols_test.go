package pipeline

import (
	"context"
	"fmt"
	"math/big"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/sources"
)

// groupColsInput writes 5,000 generated rows (x2 null in one row of ten)
// in 2 files of row groups of 700 rows and pages of 1 KiB, whose
// boundaries differ from column to column, and opens them.
func groupColsInput(t *testing.T) *plan {
	t.Helper()
	in := filepath.Join(t.TempDir(), "in")
	if _, err := gendata.Write(t.Context(), in, gendata.Config{Rows: 5000, Files: 2, RowGroupRows: 700, PageBufferSize: 1 << 10, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	p, err := openJobInputs([]string{in}, nil, sources.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.close)
	if len(p.units) < 8 {
		t.Fatalf("%d units, want several per file", len(p.units))
	}
	return p
}

// groupColsSpecs are the group specs read from several columns: --group
// A,B and --group-by-content, listed or of every column, nulls included.
var groupColsSpecs = []struct {
	group, content string
	all            bool
}{
	{group: "user_id,label"},
	{group: "label,id,user_id"},
	{content: "user_id,label"},
	{content: "x2,label"},
	{content: "x2"},
	{all: true},
}

func groupColsSpec(t *testing.T, p *plan, k int) groupSpec {
	t.Helper()
	s := groupColsSpecs[k]
	g, err := groupOf(p.schema, s.group, s.content != "" || s.all, s.content)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestGroupColumnsMatchRows checks that the group bytes of every row, read
// from the group's columns alone, are those of the row read whole
// (groupSpec.appendBytes), over row groups of several pages, nulls
// included.
func TestGroupColumnsMatchRows(t *testing.T) {
	p := groupColsInput(t)
	for i, s := range groupColsSpecs {
		t.Run(fmt.Sprintf("%+v", s), func(t *testing.T) {
			g := groupColsSpec(t, p, i)
			read := 0
			testHookGroupColumns = func(unit, []int) { read++ }
			defer func() { testHookGroupColumns = nil }()
			nulls := 0
			for _, u := range p.units {
				var want []string
				err := p.inputs[u.input].ReadUnit(t.Context(), u.rg, 333, func(rows []parquet.Row) error {
					for _, row := range rows {
						want = append(want, string(g.appendBytes(nil, row)))
						for _, col := range g.cols {
							if columnValue(row, col).IsNull() {
								nulls++
							}
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				err = readGroupBytes(t.Context(), p, u, g, func(k int, b []byte) {
					if k != len(got) {
						t.Fatalf("row %d after %d rows", k, len(got))
					}
					got = append(got, string(b))
				})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, want) {
					t.Fatalf("input %d row group %d: the columns' bytes differ from the rows'", u.input, u.rg)
				}
			}
			if read != len(p.units) {
				t.Errorf("%d of %d units read from their columns alone", read, len(p.units))
			}
			if slices.Contains(g.cols, 4) && nulls == 0 { // x2
				t.Error("no null read: the case proves nothing")
			}
		})
	}
}

// columnsSource is an input that counts what a pass reads of it: whole
// rows (ReadUnit), and which columns alone (ReadColumns). With rowsOnly it
// reads no column alone, as a source without column chunks.
type columnsSource struct {
	sources.FileSource
	rowsOnly bool

	mu    sync.Mutex
	units int
	cols  map[int]int
}

func (s *columnsSource) ReadUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	s.mu.Lock()
	s.units++
	s.mu.Unlock()
	return s.FileSource.ReadUnit(ctx, i, batch, fn)
}

func (s *columnsSource) ReadColumns(ctx context.Context, i int, cols []int, batch int, fn func(values [][]parquet.Value) error) error {
	if s.rowsOnly {
		return fmt.Errorf("columns read from a source of rows")
	}
	s.mu.Lock()
	for _, c := range cols {
		s.cols[c]++
	}
	s.mu.Unlock()
	return s.FileSource.(sources.ColumnsReader).ReadColumns(ctx, i, cols, batch, fn)
}

// rowsSource hides a source's column reads: readGroupBytes reads its rows.
type rowsSource struct{ sources.FileSource }

// TestGroupKeyPassReadsItsColumns checks that the key pass of a job
// grouped by several columns, or by content, reads no whole row and no
// column outside the group, each of its columns once per unit, and gives
// every row the key, and a content job the counts, that reading whole
// rows gives, with one worker or three.
func TestGroupKeyPassReadsItsColumns(t *testing.T) {
	p := groupColsInput(t)
	orig := p.inputs
	seed := big.NewInt(11)
	pass := func(t *testing.T, g groupSpec, workers int) ([]uint64, *ContentStats) {
		var stats *ContentStats
		if g.content {
			stats = &ContentStats{}
		}
		keys, err := readGroupKeys(t.Context(), p, g, seed, workers, 1<<20, scratch.Local(t.TempDir()), noProgress{}, stats)
		if err != nil {
			t.Fatal(err)
		}
		defer keys.close()
		all, err := keys.read(0, int(p.rows), nil)
		if err != nil {
			t.Fatal(err)
		}
		return slices.Clone(all), stats
	}
	for i, s := range groupColsSpecs {
		g := groupColsSpec(t, p, i)
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%+v/workers %d", s, workers), func(t *testing.T) {
				defer func() { p.inputs = orig }()
				p.inputs = make([]sources.FileSource, len(orig))
				for k, in := range orig {
					p.inputs[k] = rowsSource{in}
				}
				want, wantStats := pass(t, g, workers)
				counted := make([]*columnsSource, len(orig))
				for k, in := range orig {
					counted[k] = &columnsSource{FileSource: in, cols: map[int]int{}}
					p.inputs[k] = counted[k]
				}
				got, gotStats := pass(t, g, workers)
				if !slices.Equal(got, want) {
					t.Error("keys differ from the whole rows' keys")
				}
				if g.content && *gotStats != *wantStats {
					t.Errorf("content counts %+v, from whole rows %+v", *gotStats, *wantStats)
				}
				for k, c := range counted {
					units := orig[k].NumUnits()
					if c.units != 0 {
						t.Errorf("input %d: %d units read whole", k, c.units)
					}
					for col, n := range c.cols {
						if !slices.Contains(g.cols, col) {
							t.Errorf("input %d: column %d, not in the group %v, read", k, col, g.cols)
						}
						if n != units*count(g.cols, col) {
							t.Errorf("input %d: column %d read %d times over %d units", k, col, n, units)
						}
					}
					if len(c.cols) != len(g.cols) {
						t.Errorf("input %d: columns %v read, want %v", k, c.cols, g.cols)
					}
				}
			})
		}
	}
}

// count is how many times x is in s.
func count(s []int, x int) int {
	n := 0
	for _, v := range s {
		if v == x {
			n++
		}
	}
	return n
}

// TestUnitGroupsMatchRows checks that verify's read of a file's group
// bytes (readUnitGroups) gives, from the columns alone, the bytes of its
// rows read whole, and that fn's error ends the read.
func TestUnitGroupsMatchRows(t *testing.T) {
	p := groupColsInput(t)
	for i, s := range groupColsSpecs {
		t.Run(fmt.Sprintf("%+v", s), func(t *testing.T) {
			g := groupColsSpec(t, p, i)
			for _, u := range p.units {
				in := p.inputs[u.input]
				var got, want []string
				if err := readUnitGroups(t.Context(), in, u.rg, g, func(b []byte) error { got = append(got, string(b)); return nil }); err != nil {
					t.Fatal(err)
				}
				if err := readUnitGroups(t.Context(), rowsSource{in}, u.rg, g, func(b []byte) error { want = append(want, string(b)); return nil }); err != nil {
					t.Fatal(err)
				}
				if int64(len(want)) != u.rows || !slices.Equal(got, want) {
					t.Fatalf("input %d row group %d: %d rows from the columns, %d from whole rows, of %d, or bytes differ", u.input, u.rg, len(got), len(want), u.rows)
				}
			}
			stop := fmt.Errorf("stop")
			for _, in := range []sources.Source{p.inputs[0], rowsSource{p.inputs[0]}} {
				n := 0
				err := readUnitGroups(t.Context(), in, 0, g, func([]byte) error { n++; return stop })
				if err != stop || n != 1 {
					t.Fatalf("%T: error %v after %d rows, want %v after 1", in, err, n, stop)
				}
			}
		})
	}
}
