package sources

import (
	"context"
	"errors"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/splitdata/splitdata/internal/rowcheck"
	"golang.org/x/sync/errgroup"
)

// readUnitsConcurrently reads every unit of src on up to four goroutines,
// in batches of 5 rows, and returns all rows as value texts, in order.
func readUnitsConcurrently(t *testing.T, src Source) [][]string {
	t.Helper()
	got := make([][][]string, src.NumUnits())
	g, ctx := errgroup.WithContext(t.Context())
	g.SetLimit(4)
	for i := range src.NumUnits() {
		g.Go(func() error {
			return src.ReadUnit(ctx, i, 5, func(rows []parquet.Row) error {
				for _, row := range rows {
					texts := make([]string, len(row))
					for k, v := range row {
						texts[k] = valueText(v)
					}
					got[i] = append(got[i], texts)
				}
				return nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	var all [][]string
	for _, u := range got {
		all = append(all, u...)
	}
	return all
}

// readAllText reads every unit of src (a CSV or JSON Lines input), in
// order, as value texts, checking every row against the schema's layout
// and every batch against the size asked for.
func readAllText(t testing.TB, src Source, batch int) ([][]string, error) {
	layout := rowcheck.New(src.Schema())
	var out [][]string
	for i := range src.NumUnits() {
		err := src.ReadUnit(t.Context(), i, batch, func(rows []parquet.Row) error {
			if len(rows) > batch {
				t.Errorf("unit %d: batch of %d rows, want at most %d", i, len(rows), batch)
			}
			for _, row := range rows {
				if err := layout.Check(row); err != nil {
					t.Errorf("unit %d: %v", i, err)
				}
				texts := make([]string, len(row))
				for j, v := range row {
					texts[j] = valueText(v)
				}
				out = append(out, texts)
			}
			return nil
		})
		if err != nil {
			checkBatchPath(t, src)
			return out, err
		}
	}
	checkBatchPath(t, src)
	return out, nil
}

// checkReadUnitStops checks that ReadUnit of a one-unit src returns the
// callback's error after one call, the context's error when it is
// cancelled, and an error for a unit out of range.
func checkReadUnitStops(t *testing.T, src Source) {
	t.Helper()
	stop := errors.New("stop")
	calls := 0
	err := src.ReadUnit(t.Context(), 0, 1, func([]parquet.Row) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("ReadUnit = %v after %d calls, want the callback's error after 1", err, calls)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := src.ReadUnit(ctx, 0, 1, func([]parquet.Row) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadUnit with a cancelled context = %v", err)
	}
	if err := src.ReadUnit(t.Context(), 1, 1, func([]parquet.Row) error { return nil }); err == nil {
		t.Errorf("ReadUnit of unit 1 of 1: no error")
	}
}
