package pipeline_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/testinput"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// orderRow is an input row of the time-order tests: t is a time with ties
// and nulls, f a float with NaN, -0, infinities and nulls, u an unsigned
// integer above 2^63 for some rows.
type orderRow struct {
	ID int64    `parquet:"id"`
	T  *int64   `parquet:"t,optional"`
	F  *float64 `parquet:"f,optional"`
	U  uint64   `parquet:"u"`
	S  string   `parquet:"s"`
}

// orderValue returns the row i of the tests' input; with nan, some f
// values are NaN (verify --input with NaN: TestVerifyInputWithNaN).
func orderValue(i int, nan bool) orderRow {
	r := orderRow{ID: int64(i), U: uint64(i*7919%1000) << 54, S: fmt.Sprint(i % 13)}
	if i%17 != 0 {
		t := int64((i * 31) % 500) // ties: about n/500 rows a value
		r.T = &t
	}
	switch {
	case i%23 == 0:
	case i%29 == 0 && nan:
		f := math.NaN()
		r.F = &f
	case i%31 == 0:
		f := math.Copysign(0, -1)
		r.F = &f
	case i%37 == 0:
		f := math.Inf(1 - 2*(i%2))
		r.F = &f
	default:
		f := float64((i*7)%101) - 50.5
		r.F = &f
	}
	return r
}

// writeOrderInput writes n rows of orderValue in files of rowsPerFile rows
// and row groups of rgRows.
func writeOrderInput(t *testing.T, n, rowsPerFile, rgRows int, nan bool) string {
	t.Helper()
	return testinput.Parts(t, n, rowsPerFile, func(i int) orderRow { return orderValue(i, nan) }, parquet.MaxRowsPerRowGroup(int64(rgRows)))
}

// orderRanks returns the rows of the input in the order the spec defines
// (docs/algorithm.md section 18), written here from the values themselves:
// nulls first or last, NaN after +Inf, -0 equal to +0, ties by row index.
func orderRanks(n int, column, nulls string, nan bool) []int {
	class := func(null, nan bool) int {
		switch {
		case null && nulls == splitter.NullsFirst:
			return 0
		case null:
			return 3
		case nan:
			return 2
		}
		return 1
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	slices.SortFunc(rows, func(a, b int) int {
		ra, rb := orderValue(a, nan), orderValue(b, nan)
		var c int
		switch column {
		case "row":
		case "t":
			ca, cb := class(ra.T == nil, false), class(rb.T == nil, false)
			c = cmp.Compare(ca, cb)
			if c == 0 && ca == 1 {
				c = cmp.Compare(*ra.T, *rb.T)
			}
		case "f":
			ca := class(ra.F == nil, ra.F != nil && math.IsNaN(*ra.F))
			cb := class(rb.F == nil, rb.F != nil && math.IsNaN(*rb.F))
			c = cmp.Compare(ca, cb)
			if c == 0 && ca == 1 && *ra.F != *rb.F { // -0 == +0
				c = cmp.Compare(*ra.F, *rb.F)
			}
		case "u":
			c = cmp.Compare(ra.U, rb.U)
		}
		return cmp.Or(c, cmp.Compare(a, b))
	})
	return rows
}

// rankRange returns the ids of the rows of ranks [lo, hi), ascending.
func rankRange(order []int, lo, hi int64) []int64 {
	ids := make([]int64, 0, hi-lo)
	for _, i := range order[lo:hi] {
		ids = append(ids, int64(i))
	}
	slices.Sort(ids)
	return ids
}

// TestOrderBySplitWhereTheSpecSays checks split --order-by on integer,
// float, unsigned and row order, nulls first and last: every split holds
// the rows of its rank range of the order, in input order, whatever the
// files, row groups and workers (1, 2, 3, 8), with the order keys in
// memory or in a file, on the columnar and the row path; and verify
// --input agrees.
func TestOrderBySplitWhereTheSpecSays(t *testing.T) {
	const n = 3_001
	splits := mustRatios(t, "train=0.7,valid=0.1,test=0.2")
	sizes, err := splitter.Sizes(splits, n)
	if err != nil {
		t.Fatal(err)
	}
	layouts := []struct{ perFile, rg, workers int }{{n, n, 1}, {1_000, 300, 2}, {2_500, 97, 3}, {700, 700, 8}}
	inputs := make([][2]string, len(layouts)) // without NaN, with
	for l, layout := range layouts {
		for k, nan := range []bool{false, true} {
			inputs[l][k] = writeOrderInput(t, n, layout.perFile, layout.rg, nan)
		}
	}
	for _, tc := range []struct {
		column, nulls string
		nan           bool
	}{
		{"t", "", false}, {"t", "first", false}, {"f", "last", false}, {"f", "first", true}, {"f", "", true}, {"u", "", false}, {"row", "", false},
	} {
		t.Run(fmt.Sprintf("%s-%s-nan=%v", tc.column, tc.nulls, tc.nan), func(t *testing.T) {
			order := orderRanks(n, tc.column, nulls(tc.nulls), tc.nan)
			nan := 0
			if tc.nan {
				nan = 1
			}
			var first string
			for l, layout := range layouts {
				cfg := pipeline.SplitConfig{Inputs: []string{inputs[l][nan]}, Seed: "4", Splits: splits, OrderBy: tc.column, Nulls: tc.nulls,
					JobOptions: pipeline.JobOptions{Workers: layout.workers, RowGroupRows: 400}}
				tmp := t.TempDir()
				if l == 3 {
					cfg.ShuffleMemory, cfg.TempDir = 1<<10, tmp // order keys in a file
				}
				cfg.Out = filepath.Join(t.TempDir(), "out")
				restore := pipeline.SetRowPath(l == 2) // the row path gives the same bytes
				m := runSplit(t, cfg)
				restore()
				if left, _ := os.ReadDir(tmp); len(left) != 0 {
					t.Fatalf("%d temporary files left", len(left))
				}
				if l == 0 {
					var c int64
					for s, info := range m.Splits {
						want := rankRange(order, c, c+sizes[s])
						c += sizes[s]
						if got := readIDs(t, cfg.Out, info); !slices.Equal(got, want) {
							t.Fatalf("%s: rows %v..., the spec gives %v...", info.Name, got[:min(8, len(got))], want[:min(8, len(want))])
						}
					}
					first = fingerprint(m)
				} else if fingerprint(m) != first {
					t.Fatalf("layout %+v: different bytes than one file, one row group, one worker", layout)
				}
				if m.Options.OrderBy != tc.column || m.Options.Nulls != tc.nulls {
					t.Fatalf("manifest records order_by %q, nulls %q", m.Options.OrderBy, m.Options.Nulls)
				}
				if !tc.nan {
					if _, err := pipeline.VerifyWithInputs(t.Context(), cfg.Out, []string{inputs[l][nan]}); err != nil {
						t.Fatalf("verify: %v", err)
					}
				}
			}
		})
	}
}

// nulls is the --nulls a job with nulls "" uses.
func nulls(s string) string {
	if s == "" {
		return splitter.NullsLast
	}
	return s
}

// TestTimeSeriesFoldsWhereTheSpecSays checks kfold --time-series over a
// column and over row order, with a gap and a capped train window: every
// fold-j/train and fold-j/test holds the rows of its rank ranges
// (splitter.TimeSeriesFolds, checked against scikit-learn), whatever the
// layout and workers; the manifest's counts add up and verify --input
// agrees.
func TestTimeSeriesFoldsWhereTheSpecSays(t *testing.T) {
	const n = 2_003
	layouts := []struct{ perFile, rg, workers int }{{n, n, 1}, {1_000, 300, 2}, {900, 97, 3}, {700, 700, 8}}
	inputs := make([]string, len(layouts))
	for l, layout := range layouts {
		inputs[l] = writeOrderInput(t, n, layout.perFile, layout.rg, false)
	}
	for _, tc := range []struct {
		column string
		k      int
		opts   splitter.TimeSeriesOptions
	}{
		{"t", 4, splitter.TimeSeriesOptions{}},
		{"t", 3, splitter.TimeSeriesOptions{Gap: 7, MaxTrainSize: 600}},
		{"", 5, splitter.TimeSeriesOptions{Gap: 2, TestSize: 100}},
	} {
		t.Run(fmt.Sprintf("%s-%d-%+v", tc.column, tc.k, tc.opts), func(t *testing.T) {
			column := cmp.Or(tc.column, "row")
			order := orderRanks(n, column, splitter.NullsLast, false)
			folds, err := splitter.TimeSeriesFolds(n, tc.k, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			var first string
			for l, layout := range layouts {
				out := filepath.Join(t.TempDir(), "out")
				m, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{inputs[l]}, Out: out, Seed: "4", K: tc.k,
					OrderBy: tc.column, TimeSeries: true, TimeSeriesOptions: tc.opts,
					JobOptions: pipeline.JobOptions{Workers: layout.workers, RowGroupRows: 300}})
				if err != nil {
					t.Fatal(err)
				}
				if len(m.Splits) != 2*tc.k {
					t.Fatalf("%d outputs, want %d", len(m.Splits), 2*tc.k)
				}
				if l == 0 {
					var written int64
					for j, f := range folds {
						for o, want := range [][]int64{rankRange(order, f.TrainStart, f.TrainEnd), rankRange(order, f.TestStart, f.TestEnd)} {
							info := m.Splits[2*j+o]
							if wantName := fmt.Sprintf("fold-%d/%s", j, []string{"train", "test"}[o]); info.Name != wantName {
								t.Fatalf("output %d is %s, want %s", 2*j+o, info.Name, wantName)
							}
							if got := readIDs(t, out, info); !slices.Equal(got, want) {
								t.Fatalf("%s: %d rows %v..., the spec gives %d: %v...", info.Name, len(got), got[:min(8, len(got))], len(want), want[:min(8, len(want))])
							}
							written += info.Rows
						}
					}
					if written != m.Rows-m.Unassigned+m.Duplicates {
						t.Fatalf("written %d rows; manifest: %d rows, %d unassigned, %d duplicates", written, m.Rows, m.Unassigned, m.Duplicates)
					}
					first = fingerprint(m)
				} else if fingerprint(m) != first {
					t.Fatalf("layout %+v: different bytes than one file, one row group, one worker", layout)
				}
				if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{inputs[l]}); err != nil {
					t.Fatalf("verify: %v", err)
				}
				if _, err := pipeline.ReadManifest(out); err != nil {
					t.Fatalf("the manifest does not parse: %v", err)
				}
			}
		})
	}
}

// TestKFoldInOrder checks kfold --order-by: fold j is the j-th consecutive
// range of the order, sized as KFold sizes folds.
func TestKFoldInOrder(t *testing.T) {
	const n = 1_001
	in := writeOrderInput(t, n, 400, 150, false)
	out := filepath.Join(t.TempDir(), "out")
	m, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "1", K: 3, OrderBy: "f", Nulls: "first"})
	if err != nil {
		t.Fatal(err)
	}
	order := orderRanks(n, "f", splitter.NullsFirst, false)
	var c int64
	for j, info := range m.Splits {
		size := int64(n / 3)
		if int64(j) < n%3 {
			size++
		}
		if got, want := readIDs(t, out, info), rankRange(order, c, c+size); !slices.Equal(got, want) {
			t.Fatalf("%s: %d rows, want the %d of ranks %d to %d", info.Name, len(got), len(want), c, c+size)
		}
		c += size
	}
	if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{in}); err != nil {
		t.Fatal(err)
	}
}

// TestRepeatedKFold checks kfold --repeats: repeat 0 is the plain k-fold
// job's bytes, repeat r those of keys jumped r times (each a partition of
// the rows, unlike repeat 0's), the manifest parses and verify --input
// rebuilds every repeat.
func TestRepeatedKFold(t *testing.T) {
	in := genInput(t, 3_000, 2, 700)
	base := pipeline.KFoldConfig{Inputs: []string{in}, Seed: "11", K: 3}
	plain := base
	plain.Out = filepath.Join(t.TempDir(), "plain")
	pm, err := pipeline.KFold(t.Context(), plain)
	if err != nil {
		t.Fatal(err)
	}
	rep := base
	rep.Out, rep.Repeats = filepath.Join(t.TempDir(), "rep"), 3
	rm, err := pipeline.KFold(t.Context(), rep)
	if err != nil {
		t.Fatal(err)
	}
	if len(rm.Splits) != 9 || rm.Options.Repeats != 3 {
		t.Fatalf("%d outputs, repeats %d; want 9 and 3", len(rm.Splits), rm.Options.Repeats)
	}
	for j, s := range pm.Splits {
		got := rm.Splits[j]
		if got.Name != "repeat-0/"+s.Name || len(got.Files) != len(s.Files) || got.Files[0].SHA256 != s.Files[0].SHA256 {
			t.Fatalf("repeat 0's %s differs from the plain k-fold job's %s", got.Name, s.Name)
		}
	}
	for r := 1; r < 3; r++ {
		var ids []int64
		for j := range 3 {
			info := rm.Splits[3*r+j]
			if info.Name != fmt.Sprintf("repeat-%d/fold-%d", r, j) {
				t.Fatalf("output %d is %s", 3*r+j, info.Name)
			}
			ids = append(ids, readIDs(t, rep.Out, info)...)
		}
		slices.Sort(ids)
		if len(ids) != 3_000 || ids[0] != 0 || ids[len(ids)-1] != 2_999 || slices.Compact(ids) == nil || len(slices.Compact(ids)) != 3_000 {
			t.Fatalf("repeat %d is not a partition of the rows", r)
		}
		if rm.Splits[3*r].Files[0].SHA256 == rm.Splits[0].Files[0].SHA256 {
			t.Fatalf("repeat %d's fold-0 is repeat 0's", r)
		}
	}
	if _, err := pipeline.ReadManifest(rep.Out); err != nil {
		t.Fatalf("the manifest does not parse: %v", err)
	}
	if _, err := pipeline.VerifyWithInputs(t.Context(), rep.Out, []string{in}); err != nil {
		t.Fatal(err)
	}
}

// TestCheckTimeOrderFindsDisorder checks the time-order check of verify on
// an output whose splits are listed the wrong way round: it must say so,
// and say nothing of the right order.
func TestCheckTimeOrderFindsDisorder(t *testing.T) {
	in := writeOrderInput(t, 500, 500, 100, true)
	out := filepath.Join(t.TempDir(), "out")
	m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1", Splits: mustRatios(t, "a=0.5,b=0.5"), OrderBy: "t"})
	if problems, err := pipeline.CheckTimeOrder(t.Context(), out, m); err != nil || len(problems) != 0 {
		t.Fatalf("in order: problems %v, err %v", problems, err)
	}
	m.Splits[0], m.Splits[1] = m.Splits[1], m.Splits[0]
	if problems, err := pipeline.CheckTimeOrder(t.Context(), out, m); err != nil || len(problems) != 1 {
		t.Fatalf("out of order: problems %v, err %v; want one problem", problems, err)
	}
}

// TestOrderRefusals checks the usage errors of the time-order options.
func TestOrderRefusals(t *testing.T) {
	in := writeOrderInput(t, 300, 300, 100, false)
	for name, cfg := range map[string]pipeline.SplitConfig{
		"missing column":    {OrderBy: "nope"},
		"string column":     {OrderBy: "s"},
		"nulls without":     {Nulls: "first"},
		"bad nulls":         {OrderBy: "t", Nulls: "middle"},
		"nulls of row":      {OrderBy: "row", Nulls: "first"},
		"with approx":       {OrderBy: "t", Approx: true},
		"with group":        {OrderBy: "t", Group: "id"},
		"with content":      {OrderBy: "t", GroupByContent: true},
		"with stratify":     {OrderBy: "t", Stratify: "s"},
		"with compat":       {OrderBy: "t", Compat: "sklearn"},
		"column index-only": {OrderBy: "t", IndexOnly: true},
		"train size and splits": {TrainTest: &splitter.TrainTest{TrainRatio: 0.5},
			Splits: mustRatios(t, "a=0.5,b=0.5")},
	} {
		cfg.Inputs, cfg.Out, cfg.Seed = []string{in}, filepath.Join(t.TempDir(), "out"), "1"
		if _, err := pipeline.Split(t.Context(), cfg); !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%s: err = %v, want a usage error", name, err)
		}
	}
	for name, cfg := range map[string]pipeline.KFoldConfig{
		"gap without series": {TimeSeriesOptions: splitter.TimeSeriesOptions{Gap: 1}},
		"series materialize": {TimeSeries: true, Materialize: true},
		"series with group":  {TimeSeries: true, Group: "id"},
		"series content":     {TimeSeries: true, GroupByContent: true},
		"negative gap":       {TimeSeries: true, TimeSeriesOptions: splitter.TimeSeriesOptions{Gap: -1}},
		"too many segments":  {TimeSeries: true, K: 90, TimeSeriesOptions: splitter.TimeSeriesOptions{Gap: 1, MaxTrainSize: 4, TestSize: 3}},
		"too many folds":     {TimeSeries: true, K: 255},
		"repeats in order":   {Repeats: 2, OrderBy: "t"},
		"repeats of series":  {Repeats: 2, TimeSeries: true},
		"negative repeats":   {Repeats: -1},
	} {
		cfg.Inputs, cfg.Out, cfg.Seed = []string{in}, filepath.Join(t.TempDir(), "out"), "1"
		cfg.K = cmp.Or(cfg.K, 3)
		if _, err := pipeline.KFold(t.Context(), cfg); !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%s: err = %v, want a usage error", name, err)
		}
	}
	// A sharded plan would ignore the order: refused.
	for name, cfg := range map[string]pipeline.SplitConfig{
		"plan order-by":   {OrderBy: "t"},
		"plan train size": {TrainTest: &splitter.TrainTest{TrainRatio: 0.5}},
	} {
		cfg.Inputs, cfg.Out, cfg.Seed = []string{in}, filepath.Join(t.TempDir(), "out"), "1"
		if _, err := pipeline.CreatePlan(t.Context(), cfg, 2); !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%s: err = %v, want a usage error", name, err)
		}
	}
}

// TestOrderNullsClash checks the refusal of a 64-bit column holding nulls
// and the integer whose order key is the nulls': the smallest with nulls
// first, the largest with nulls last; the other --nulls works.
func TestOrderNullsClash(t *testing.T) {
	type row struct {
		ID int64  `parquet:"id"`
		V  *int64 `parquet:"v,optional"`
	}
	lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
	rows := []row{{0, &lo}, {1, nil}, {2, new(int64)}, {3, &hi}}
	for _, tc := range []struct {
		nulls string
		drop  int // the row whose value is removed, -1 none
		ok    bool
	}{
		{"first", -1, false}, {"last", -1, false},
		{"first", 0, true}, {"last", 3, true}, // the clashing integer left out
		{"first", 3, false}, {"last", 0, false}, // the other one left out
	} {
		in := rows
		if tc.drop >= 0 {
			in = slices.Delete(slices.Clone(rows), tc.drop, tc.drop+1)
		}
		p := filepath.Join(t.TempDir(), "in.parquet")
		if err := parquet.WriteFile(p, in); err != nil {
			t.Fatal(err)
		}
		_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{p}, Out: filepath.Join(t.TempDir(), "out"), Seed: "1",
			Splits: mustRatios(t, "a=0.5,b=0.5"), OrderBy: "v", Nulls: tc.nulls})
		switch {
		case tc.ok && err != nil:
			t.Errorf("nulls %s, without row %d: %v", tc.nulls, tc.drop, err)
		case !tc.ok && !errors.Is(err, pipeline.ErrUsage):
			t.Errorf("nulls %s: err = %v, want a usage error", tc.nulls, err)
		}
	}
}

// TestOrderCommitted checks that a rerun check (--if-exists skip) knows
// the output of each new mode as its own, and not as another's.
func TestOrderCommitted(t *testing.T) {
	in := writeOrderInput(t, 400, 400, 100, false)
	type committer interface {
		Committed(ctx context.Context, hashes bool) (*pipeline.Manifest, error)
	}
	dir := t.TempDir()
	split := pipeline.SplitConfig{Inputs: []string{in}, Out: filepath.Join(dir, "split"), Seed: "2", OrderBy: "t"}
	trainSize := pipeline.SplitConfig{Inputs: []string{in}, Out: filepath.Join(dir, "train"), Seed: "2", TrainTest: &splitter.TrainTest{TrainRatio: 0.7}}
	series := pipeline.KFoldConfig{Inputs: []string{in}, Out: filepath.Join(dir, "series"), Seed: "2", K: 3, TimeSeries: true, TimeSeriesOptions: splitter.TimeSeriesOptions{Gap: 3}}
	repeats := pipeline.KFoldConfig{Inputs: []string{in}, Out: filepath.Join(dir, "repeats"), Seed: "2", K: 3, Repeats: 2}
	runSplit(t, split)
	runSplit(t, trainSize)
	for _, cfg := range []pipeline.KFoldConfig{series, repeats} {
		if _, err := pipeline.KFold(t.Context(), cfg); err != nil {
			t.Fatal(err)
		}
	}
	other := func(c pipeline.SplitConfig, f func(*pipeline.SplitConfig)) pipeline.SplitConfig { f(&c); return c }
	otherK := func(c pipeline.KFoldConfig, f func(*pipeline.KFoldConfig)) pipeline.KFoldConfig { f(&c); return c }
	for name, tc := range map[string]struct {
		cfg  committer
		same bool
	}{
		"split":           {split, true},
		"split other col": {other(split, func(c *pipeline.SplitConfig) { c.OrderBy = "u" }), false},
		"split nulls":     {other(split, func(c *pipeline.SplitConfig) { c.Nulls = "first" }), false},
		"train size":      {trainSize, true},
		"train size 0.6":  {other(trainSize, func(c *pipeline.SplitConfig) { c.TrainTest = &splitter.TrainTest{TrainRatio: 0.6} }), false},
		"series":          {series, true},
		"series gap":      {otherK(series, func(c *pipeline.KFoldConfig) { c.TimeSeriesOptions.Gap = 4 }), false},
		"repeats":         {repeats, true},
		"repeats 3":       {otherK(repeats, func(c *pipeline.KFoldConfig) { c.Repeats = 3 }), false},
	} {
		m, err := tc.cfg.Committed(t.Context(), true)
		switch {
		case tc.same && (err != nil || m == nil):
			t.Errorf("%s: not known as its own output: %v", name, err)
		case !tc.same && !errors.Is(err, pipeline.ErrOutputDiffers):
			t.Errorf("%s: err = %v, want ErrOutputDiffers", name, err)
		}
	}
}
