package report_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/report"
	"github.com/splitdata/splitdata/splitter"
)

// TestPageSize writes the report of a 100-column table (50 optional
// doubles, 50 strings of many values) split three ways, with its input
// as a fourth part, and checks that the page stays under 2 MB with a
// chart for every column.
func TestPageSize(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 20,000 rows of 100 columns (make test runs it)")
	}
	ctx := context.Background()
	tmp := t.TempDir()
	g := parquet.Group{}
	for i := range 50 {
		g[fmt.Sprintf("n%02d", i)] = parquet.Optional(parquet.Leaf(parquet.DoubleType))
		g[fmt.Sprintf("s%02d", i)] = parquet.String()
	}
	schema := parquet.NewSchema("wide", g)
	in := filepath.Join(tmp, "in", "wide.parquet")
	if err := os.MkdirAll(filepath.Dir(in), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(in)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewWriter(f, schema)
	rng := rand.New(rand.NewPCG(3, 4))
	rows := make([]parquet.Row, 0, 1000)
	for i := range 20_000 {
		row := make(parquet.Row, 0, 100)
		for c := range 50 { // leaves are sorted: n00..n49, then s00..s49
			if rng.IntN(10) == 0 {
				row = append(row, parquet.NullValue().Level(0, 0, c))
			} else {
				row = append(row, parquet.DoubleValue(rng.NormFloat64()*float64(c+1)).Level(0, 1, c))
			}
		}
		for c := range 50 {
			v := fmt.Sprintf("value-%d-%s", rng.IntN(5000), strings.Repeat("x", c))
			row = append(row, parquet.ByteArrayValue([]byte(v)).Level(0, 0, 50+c))
		}
		rows = append(rows, row)
		if len(rows) == cap(rows) || i == 19_999 {
			if _, err := w.WriteRows(rows); err != nil {
				t.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out")
	if _, err := pipeline.Split(ctx, pipeline.SplitConfig{Inputs: []string{filepath.Dir(in)}, Out: out, Seed: "9",
		Splits: []splitter.Split{{Name: "train", Ratio: 0.8}, {Name: "valid", Ratio: 0.1}, {Name: "test", Ratio: 0.1}}}); err != nil {
		t.Fatal(err)
	}
	r, err := report.Compute(ctx, report.Options{Dir: out, Inputs: []string{filepath.Dir(in)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Columns) != 100 || r.Reference != "input" || len(r.Splits) != 4 {
		t.Fatalf("%d columns, reference %q, %d parts", len(r.Columns), r.Reference, len(r.Splits))
	}
	var page bytes.Buffer
	if err := r.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	t.Logf("page: %d bytes for 100 columns", page.Len())
	if page.Len() >= 2_000_000 {
		t.Errorf("page: %d bytes, want under 2 MB", page.Len())
	}
	if n := strings.Count(page.String(), `<svg class="chart `); n != 100 {
		t.Errorf("%d charts, want 100", n)
	}
	if strings.Contains(page.String(), "http://") || strings.Contains(page.String(), "https://") || strings.Contains(page.String(), "src=") {
		t.Error("the page refers to something outside itself")
	}
}
