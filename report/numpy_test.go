package report_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/report"
	"github.com/splitdata/splitdata/splitter"
)

// numpyCase is one mode a manifest can record, with lines its NumPy
// summary must hold.
type numpyCase struct {
	name string
	run  func(ctx context.Context, in, out string) (*pipeline.Manifest, error)
	want []string
	// column is the column the lines read (values = ...), if any.
	column string
}

func ratios(t *testing.T, s string) []splitter.Split {
	sp, err := splitter.ParseRatios(s)
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func numpyCases(t *testing.T) []numpyCase {
	split := func(cfg pipeline.SplitConfig) func(ctx context.Context, in, out string) (*pipeline.Manifest, error) {
		return func(ctx context.Context, in, out string) (*pipeline.Manifest, error) {
			cfg.Inputs, cfg.Out, cfg.Seed = []string{in}, out, "42"
			return pipeline.Split(ctx, cfg)
		}
	}
	three := ratios(t, "train=0.7,valid=0.1,test=0.2")
	return []numpyCase{
		{name: "exact", run: split(pipeline.SplitConfig{Splits: three}),
			want: []string{"keys = np.random.PCG64(seed).random_raw(n)", "order = np.lexsort((np.arange(n), keys))", `names = [1400, 200, 400], ["train", "valid", "test"]`}},
		{name: "approx", run: split(pipeline.SplitConfig{Splits: three, Approx: true}),
			want: []string{"cuts = [int(c * 2**64) for c in np.cumsum(ratios)[:-1]]", `ratios, names = [0.7, 0.1, 0.2], ["train", "valid", "test"]`}},
		{name: "group", run: split(pipeline.SplitConfig{Splits: three, Group: "user_id"}), column: "user_id",
			want: []string{"def group_key(value):", `hmac.new(str(seed).encode(), c, "sha256")`, "cuts.append(math.floor(c * 2**64))",
				`print(names[sum(group_key(value) >= t for t in cuts)])`}},
		{name: "group by rows", run: split(pipeline.SplitConfig{Splits: three, Group: "user_id", RatioBy: "rows"}), column: "user_id",
			want: []string{"first = np.searchsorted(np.sort(gk), gk, side=\"left\")", `sizes, names = [1400, 200, 400], ["train", "valid", "test"]`}},
		{name: "stratify", run: split(pipeline.SplitConfig{Splits: three, Stratify: "label"}), column: "label",
			want: []string{"import stratifyv1", `stratifyv1.stratified_sizes(counts, [("train", 0.7), ("valid", 0.1), ("test", 0.2)])`,
				"stratifyv1.stratified_assign(seed, classes, table)"}},
		{name: "kfold stratify", run: func(ctx context.Context, in, out string) (*pipeline.Manifest, error) {
			return pipeline.KFold(ctx, pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "42", K: 4, Stratify: "label"})
		}, column: "label", want: []string{"table = stratifyv1.kfold_sizes(counts, 4)", `["fold-0", "fold-1", "fold-2", "fold-3"]`}},
		{name: "kfold materialize", run: func(ctx context.Context, in, out string) (*pipeline.Manifest, error) {
			return pipeline.KFold(ctx, pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "42", K: 3, Materialize: true})
		}, want: []string{`sizes, names = [667, 667, 666], ["fold-0", "fold-1", "fold-2"]`, "# fold-j/test holds the rows of fold j"}},
		{name: "sample replace", run: func(ctx context.Context, in, out string) (*pipeline.Manifest, error) {
			return pipeline.Sample(ctx, pipeline.SampleConfig{Inputs: []string{in}, Out: out, Seed: "42", Rows: 500, Replace: true})
		}, want: []string{"seed, n, k = 42, 2000, 500", "np.random.Generator(np.random.PCG64(seed)).integers(0, n, k)"}},
		{name: "compat sklearn", run: split(pipeline.SplitConfig{Splits: ratios(t, "train=0.8,test=0.2"), Compat: splitter.CompatSklearn}),
			want: []string{"p = np.random.RandomState(seed).permutation(n)", `sizes, names = [400, 1600], ["test", "train"]`}},
		{name: "compat hf", run: split(pipeline.SplitConfig{Splits: ratios(t, "train=0.8,test=0.2"), Compat: splitter.CompatHF}),
			want: []string{"p = np.random.default_rng(seed).permutation(n)", `["test", "train"]`}},
		{name: "compat numpy-legacy", run: split(pipeline.SplitConfig{Splits: three, Compat: splitter.CompatNumpyLegacy}),
			want: []string{"p = np.random.RandomState(seed).permutation(n)", `sizes, names = [1400, 200, 400], ["train", "valid", "test"]`}},
		{name: "compat torch", run: split(pipeline.SplitConfig{Splits: three, Compat: splitter.CompatTorch}),
			want: []string{"p = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).numpy()"}},
		{name: "compat python", run: split(pipeline.SplitConfig{Splits: three, Compat: splitter.CompatPython}),
			want: []string{"random.seed(seed)", "random.shuffle(p)"}},
	}
}

// TestNumPyLines checks, for every mode a manifest records, that the
// report's NumPy lines spell that mode's rule (docs/algorithm.md,
// docs/compat.md), and, where Python with NumPy is installed, runs them
// against the output: every row's split must be the one it was written
// in (gen's id column is the row's index). Torch and Python's random are
// not run.
func TestNumPyLines(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a dozen outputs")
	}
	ctx := t.Context()
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if _, err := gendata.Write(ctx, in, gendata.Config{Rows: 2000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	py := pythonWithNumPy()
	if py == "" {
		t.Log("no python3 with numpy: the lines are checked as text only")
	}
	for i, tc := range numpyCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(dir, "out", string(rune('a'+i)))
			m, err := tc.run(ctx, in, out)
			if err != nil {
				t.Fatal(err)
			}
			r, err := report.Compute(ctx, report.Options{Dir: out})
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.NumPy, w) {
					t.Errorf("NumPy lines lack %q:\n%s", w, r.NumPy)
				}
			}
			if strings.Contains(r.NumPy, "see docs") || strings.Contains(r.NumPy, "splitdata explain") {
				t.Errorf("NumPy lines point elsewhere instead of computing:\n%s", r.NumPy)
			}
			if py == "" || strings.Contains(tc.name, "torch") || strings.Contains(tc.name, "python") {
				return
			}
			runNumPy(t, py, in, out, m, r.NumPy, tc.column)
		})
	}
}

// pythonWithNumPy returns a python3 that imports numpy, or "".
func pythonWithNumPy() string {
	for _, p := range []string{"python3", "/usr/bin/python3"} {
		if exec.Command(p, "-c", "import numpy").Run() == nil {
			return p
		}
	}
	return ""
}

// runNumPy runs lines for every row and compares each row's split with
// the split whose files hold it.
func runNumPy(t *testing.T, py, in, out string, m *pipeline.Manifest, lines, column string) {
	t.Helper()
	ids, values := readColumn(t, filepath.Join(in, "part-00000.parquet"), column)
	want := make([]string, len(ids))
	counts := make([]int, len(ids))
	for _, s := range m.Splits {
		name := s.Name
		if m.Options.Materialize {
			if !strings.HasSuffix(name, "/test") {
				continue
			}
			name = strings.TrimSuffix(name, "/test")
		}
		for _, f := range s.Files {
			rows, _ := readColumn(t, filepath.Join(out, filepath.FromSlash(f.Path)), "")
			for _, id := range rows {
				want[id] = name
				counts[id]++
			}
		}
	}
	vj, _ := json.Marshal(values)
	if err := os.WriteFile(filepath.Join(out, "values.json"), vj, 0o644); err != nil {
		t.Fatal(err)
	}
	src := "import json, sys\nsys.path.insert(0, " + pyString(filepath.Join(repoRoot(t), "splitter", "testdata")) + ")\n" +
		"values = json.load(open(" + pyString(filepath.Join(out, "values.json")) + "))\ni, value = 0, (values or [None])[0]\n" +
		strings.NewReplacer("values = ...", "values = values", "value = ...", "value = values[i]", "print(", "_ = (").Replace(lines)
	switch {
	case m.Options.Replace:
		src += "print(json.dumps(np.bincount(draws, minlength=n).tolist()))\n"
	case strings.Contains(lines, "cuts.append"):
		src += "print(json.dumps([names[sum(group_key(v) >= t for t in cuts)] for v in values]))\n"
	default:
		src += "print(json.dumps([names[x] if x < len(names) else None for x in ids.tolist()]))\n"
	}
	cmd := exec.Command(py, "-c", src)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("python: %v: %s\n%s", err, stderr.String(), src)
	}
	if m.Options.Replace {
		var n []int
		if err := json.Unmarshal(got, &n); err != nil {
			t.Fatal(err)
		}
		for id := range n {
			if n[id] != counts[id] {
				t.Fatalf("row %d: NumPy draws it %d times, the sample holds it %d times", id, n[id], counts[id])
			}
		}
		return
	}
	var names []*string
	if err := json.Unmarshal(got, &names); err != nil {
		t.Fatal(err)
	}
	for id, n := range names {
		g := ""
		if n != nil {
			g = *n
		}
		if g != want[id] {
			t.Fatalf("row %d: NumPy says %q, the output holds it in %q\n%s", id, g, want[id], lines)
		}
	}
}

func pyString(s string) string { b, _ := json.Marshal(s); return string(b) }

func repoRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// readColumn returns a gen file's id column and, if column is not
// empty, that column's values as JSON values (strings or numbers).
func readColumn(t *testing.T, path, column string) ([]int64, []any) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	idCol, _ := pf.Schema().Lookup("id")
	valCol, hasVal := pf.Schema().Lookup(column)
	var ids []int64
	var vals []any
	r := parquet.NewReader(pf)
	defer r.Close()
	rows := make([]parquet.Row, 128)
	for {
		n, err := r.ReadRows(rows)
		for _, row := range rows[:n] {
			ids = append(ids, row[idCol.ColumnIndex].Int64())
			if hasVal && column != "" {
				v := row[valCol.ColumnIndex]
				switch {
				case v.IsNull():
					vals = append(vals, nil)
				case v.Kind() == parquet.ByteArray:
					vals = append(vals, string(v.ByteArray()))
				default:
					vals = append(vals, v.Int64())
				}
			}
		}
		if err != nil {
			break
		}
	}
	return ids, vals
}
