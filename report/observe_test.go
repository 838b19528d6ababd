package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/report"
	"github.com/splitdata/splitdata/splitter"
)

// oddRow has a column of every kind a report treats differently, most of
// them optional with nulls.
type oddRow struct {
	ID    int64      `parquet:"id"`
	Label *string    `parquet:"label,optional"`
	Group *int32     `parquet:"group,optional"`
	X     *float64   `parquet:"x,optional"`
	F     float32    `parquet:"f"`
	B     *bool      `parquet:"b,optional"`
	Blob  []byte     `parquet:"blob,optional"`
	Day   *int32     `parquet:"day,optional,date"`
	At    *time.Time `parquet:"at,optional,timestamp(millisecond)"`
	Price int64      `parquet:"price,decimal(2:18)"`
}

// writeOdd writes n rows with nulls, NaNs, -0, infinities and, every 97th
// row, a copy of an earlier row but for its id... and every 89th an exact
// copy, so that leaks and duplicates are found.
func writeOdd(t *testing.T, path string, n int) {
	t.Helper()
	labels := []string{"a", "b", "c", "dd"}
	rows := make([]oddRow, n)
	for i := range rows {
		r := &rows[i]
		r.ID = int64(i)
		if i%89 == 88 {
			*r = rows[i-50]
			continue
		}
		if i%7 != 0 {
			l := labels[i%len(labels)]
			r.Label = &l
		}
		if i%5 != 0 {
			g := int32(i % 40)
			r.Group = &g
		}
		switch i % 11 {
		case 0:
		case 1:
			x := math.NaN()
			r.X = &x
		case 2:
			x := math.Copysign(0, -1)
			r.X = &x
		case 3:
			x := math.Inf(1)
			r.X = &x
		default:
			x := float64(i%1000) / 7
			r.X = &x
		}
		r.F = float32(i) / 3
		if i%3 != 0 {
			b := i%2 == 0
			r.B = &b
		}
		if i%4 != 0 {
			r.Blob = []byte{byte(i), byte(i >> 8), 0xff}
		}
		if i%6 != 0 {
			d := int32(19000 + i%365)
			r.Day = &d
		}
		if i%8 != 0 {
			at := time.UnixMilli(1_700_000_000_000 + int64(i)*1000).UTC()
			r.At = &at
		}
		r.Price = int64(i*37%10000) - 5000
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[oddRow](f, parquet.MaxRowsPerRowGroup(700))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func reportJSON(t *testing.T, r *report.Report) []byte {
	t.Helper()
	b, err := json.MarshalIndent(r, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRunReportMatchesReadBack runs jobs with --report computed inside the
// run and checks that the page is, byte for byte, the one splitdata report
// writes reading the output back; that the run summarized the rows as they
// were written (Parquet output) or read the output back (CSV); and that
// the standalone report gives the same figures reading Parquet as batches
// or as rows, with 1, 2, 3 or 8 workers, and with every row's fast hash
// colliding.
func TestRunReportMatchesReadBack(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	in := filepath.Join(dir, "in", "odd.parquet")
	writeOdd(t, in, 6000)
	three, err := splitter.ParseRatios("train=0.6,valid=0.15,test=0.25")
	if err != nil {
		t.Fatal(err)
	}
	type job func(ctx context.Context, out string, opts pipeline.JobOptions) (*pipeline.Manifest, error)
	split := func(cfg pipeline.SplitConfig) job {
		return func(ctx context.Context, out string, opts pipeline.JobOptions) (*pipeline.Manifest, error) {
			cfg.Inputs, cfg.Out, cfg.Seed, cfg.JobOptions = []string{in}, out, "7", opts
			return pipeline.Split(ctx, cfg)
		}
	}
	cases := []struct {
		name     string
		run      job
		label    string
		group    string
		format   string
		readBack bool
	}{
		{name: "exact", run: split(pipeline.SplitConfig{Splits: three})},
		{name: "stratify", run: split(pipeline.SplitConfig{Splits: three, Stratify: "label"}), label: "label"},
		{name: "group", run: split(pipeline.SplitConfig{Splits: three, Group: "group"}), group: "group"},
		{name: "shuffle", run: split(pipeline.SplitConfig{Splits: three, Shuffle: true})},
		{name: "kfold materialize", run: func(ctx context.Context, out string, opts pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.KFold(ctx, pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "7", K: 3, Materialize: true, JobOptions: opts})
		}},
		{name: "sample replace", run: func(ctx context.Context, out string, opts pipeline.JobOptions) (*pipeline.Manifest, error) {
			return pipeline.Sample(ctx, pipeline.SampleConfig{Inputs: []string{in}, Out: out, Seed: "7", Rows: 3000, Replace: true, JobOptions: opts})
		}},
		{name: "arrow output", run: split(pipeline.SplitConfig{Splits: three}), format: "arrow", readBack: true},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out", string(rune('a'+i)))
			a := report.NewAttachment(report.Options{Out: out, Label: tc.label, Group: tc.group}, true, false)
			opts := pipeline.JobOptions{Attach: a.Attach, Observer: a, RowGroupRows: 500, Format: tc.format}
			if _, err := tc.run(ctx, out, opts); err != nil {
				t.Fatal(err)
			}
			if a.ReadBack() != tc.readBack {
				t.Errorf("read back: %v, want %v", a.ReadBack(), tc.readBack)
			}
			page, err := os.ReadFile(filepath.Join(out, report.HTMLName))
			if err != nil {
				t.Fatal(err)
			}
			var want []byte
			// A fast row hash that collides for every row makes every row
			// a candidate, read again and told apart by its SHA-256.
			collide := func(uint64) uint64 { return 9 }
			for _, rows := range []bool{false, true} {
				for _, workers := range []int{1, 2, 3, 8, -2} {
					report.SetRowsOnly(rows)
					if workers < 0 {
						report.SetRowHash(collide, false)
						workers = -workers
					}
					r, err := report.Compute(ctx, report.Options{Dir: out, Workers: workers})
					report.SetRowsOnly(false)
					report.SetRowHash(nil, false)
					if err != nil {
						t.Fatal(err)
					}
					got := reportJSON(t, r)
					if want == nil {
						want = got
						var b bytes.Buffer
						if err := r.WriteHTML(&b); err != nil {
							t.Fatal(err)
						}
						if !bytes.Equal(b.Bytes(), page) {
							t.Errorf("the page written in the run differs from the one read back")
						}
						if r.Leakage.Rows == 0 && tc.name != "kfold materialize" {
							t.Logf("no leaked rows found in %s", tc.name)
						}
					} else if !bytes.Equal(got, want) {
						t.Errorf("rows only %v, %d workers: figures differ", rows, workers)
					}
				}
			}
		})
	}
}
