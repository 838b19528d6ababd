package pipeline

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// columnSource is an output file that counts what verify reads of it:
// whole rows (ReadUnit), and which columns alone (ReadColumn).
type columnSource struct {
	sources.FileSource

	mu    sync.Mutex
	units int
	cols  map[int]int
}

func (s *columnSource) ReadUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	s.mu.Lock()
	s.units++
	s.mu.Unlock()
	return s.FileSource.ReadUnit(ctx, i, batch, fn)
}

func (s *columnSource) ReadColumn(ctx context.Context, i, col, batch int, fn func(values []parquet.Value) error) error {
	s.mu.Lock()
	s.cols[col]++
	s.mu.Unlock()
	return s.FileSource.(sources.ColumnReader).ReadColumn(ctx, i, col, batch, fn)
}

// TestOrderSpanReadsItsColumn checks that verify's span of an ordered
// output (orderSpan.add) reads the order column alone, once per unit, no
// whole row and no other column, and finds the span and row count that
// reading whole rows finds, for signed, timestamp and float columns, nulls
// first and last.
func TestOrderSpanReadsItsColumn(t *testing.T) {
	p := groupColsInput(t)
	for _, name := range []string{"id", "ts", "x2", "x1"} {
		for _, nulls := range []string{splitter.NullsFirst, splitter.NullsLast} {
			t.Run(fmt.Sprintf("%s/nulls %s", name, nulls), func(t *testing.T) {
				col, kind, err := orderColumn(p.schema, name)
				if err != nil {
					t.Fatal(err)
				}
				nullKey := splitter.NullOrderKey(nulls)
				for k, in := range p.inputs {
					want := orderSpan{lo: ^uint64(0)}
					if err := want.add(t.Context(), rowsSource{in}, col, kind, nullKey); err != nil {
						t.Fatal(err)
					}
					if want.rows != in.NumRows() {
						t.Fatalf("input %d: %d rows read whole, want %d", k, want.rows, in.NumRows())
					}
					if name == "x2" && want.lo != nullKey && want.hi != nullKey {
						t.Fatalf("input %d: no null in x2: the case proves nothing", k)
					}
					c := &columnSource{FileSource: in, cols: map[int]int{}}
					got := orderSpan{lo: ^uint64(0)}
					if err := got.add(t.Context(), c, col, kind, nullKey); err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Errorf("input %d: span %+v, from whole rows %+v", k, got, want)
					}
					if c.units != 0 {
						t.Errorf("input %d: %d units read whole", k, c.units)
					}
					if len(c.cols) != 1 || c.cols[col] != in.NumUnits() {
						t.Errorf("input %d: columns read %v, want column %d once in each of %d units", k, c.cols, col, in.NumUnits())
					}
				}
			})
		}
	}
}
