package report_test

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/report"
	"github.com/splitdata/splitdata/splitter"
)

// duckDBDir holds the pinned @duckdb/node-api (make duckdb-deps).
var duckDBDir = filepath.Join("..", "sinks", "testdata", "duckdb")

// duckDBNode returns node's path, skipping the test when node or the
// DuckDB package is missing (failing it under CI=true, whose .ci/run
// installs both).
func duckDBNode(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		msg := what + ": install Node.js 18 or later and run make duckdb-deps"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: a failure, not a skip)")
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(duckDBDir, "node_modules", "@duckdb", "node-api")); err != nil {
		missing("the DuckDB package is not installed")
	}
	return node
}

type duckColumn struct {
	Count    int64    `json:"count"`
	Nulls    int64    `json:"nulls"`
	Avg      *float64 `json:"avg"`
	Distinct int64    `json:"distinct"`
	LE       []int64  `json:"le"`
	LT       []int64  `json:"lt"`
}

type duckResult struct {
	Splits map[string]struct {
		Rows       int64                 `json:"rows"`
		Duplicates int64                 `json:"duplicates"`
		Columns    map[string]duckColumn `json:"columns"`
	} `json:"splits"`
	Shared map[string]int64 `json:"shared"`
}

// TestReportAgainstDuckDB checks the report's figures against DuckDB's on
// the same output: per-split rows, counts, null counts, means (to 1e-12,
// the difference of two summation orders), distinct counts where the
// report says they are exact, duplicate rows inside each split and rows
// shared by each pair of splits, exactly; quantiles within the rank error
// the report states. The input adds to 200,000 gen rows a run of 5,000
// with the same seed, some of whose rows equal rows of the first (about
// 120 here), so the duplicate figures are not zero; the test says how
// many it compared.
func TestReportAgainstDuckDB(t *testing.T) {
	node := duckDBNode(t)
	if testing.Short() {
		t.Skip("-short: 205,000 rows (make test runs it)")
	}
	ctx := t.Context()
	tmp := t.TempDir()
	if _, err := gendata.Write(ctx, filepath.Join(tmp, "in", "a"), gendata.Config{Rows: 200_000, Seed: 1, RowGroupRows: 50_000}); err != nil {
		t.Fatal(err)
	}
	if _, err := gendata.Write(ctx, filepath.Join(tmp, "in", "b"), gendata.Config{Rows: 5_000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(tmp, "out")
	cfg := pipeline.SplitConfig{Inputs: []string{filepath.Join(tmp, "in")}, Out: out, Seed: "5", Stratify: "label",
		Splits: []splitter.Split{{Name: "train", Ratio: 0.8}, {Name: "valid", Ratio: 0.1}, {Name: "test", Ratio: 0.1}}}
	m, err := pipeline.Split(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := report.Compute(ctx, report.Options{Dir: out, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}

	type jobSplit struct {
		Name  string   `json:"name"`
		Files []string `json:"files"`
	}
	type jobColumn struct {
		Name string `json:"name"`
		Kind string `json:"kind"`
	}
	job := struct {
		Splits    []jobSplit                     `json:"splits"`
		Columns   []jobColumn                    `json:"columns"`
		Quantiles map[string]map[string][]string `json:"quantiles"`
	}{Quantiles: map[string]map[string][]string{}}
	for _, s := range m.Splits {
		js := jobSplit{Name: s.Name}
		for _, f := range s.Files {
			abs, err := filepath.Abs(filepath.Join(out, f.Path))
			if err != nil {
				t.Fatal(err)
			}
			js.Files = append(js.Files, abs)
		}
		job.Splits = append(job.Splits, js)
	}
	for _, c := range r.Columns {
		job.Columns = append(job.Columns, jobColumn{c.Name, c.Kind})
		qs := map[string][]string{}
		for _, s := range c.Splits {
			for _, q := range s.Quantiles {
				qs[s.Split] = append(qs[s.Split], strconv.FormatFloat(q, 'g', -1, 64))
			}
		}
		job.Quantiles[c.Name] = qs
	}
	in, err := json.Marshal(job)
	if err != nil {
		t.Fatal(err)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "duckdb_stats.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(script)
	if err != nil {
		t.Fatal(err)
	}
	// The script is passed with -e and runs in the directory holding
	// node_modules, so that its import resolves there; the job is on stdin.
	cmd := exec.CommandContext(ctx, node, "--input-type=module", "-e", string(src))
	cmd.Dir = duckDBDir
	cmd.Stdin = bytes.NewReader(in)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node duckdb_stats.mjs: %v\n%s", err, stderr.Bytes())
	}
	var d duckResult
	if err := json.Unmarshal(stdout.Bytes(), &d); err != nil {
		t.Fatalf("%v: %s", err, stdout.Bytes())
	}

	var dups int64
	for _, s := range r.Splits {
		ds := d.Splits[s.Name]
		if s.Rows != ds.Rows {
			t.Errorf("%s: %d rows, DuckDB %d", s.Name, s.Rows, ds.Rows)
		}
	}
	for _, x := range r.Leakage.Duplicates {
		dups += x.Count
		if want := d.Splits[x.Split].Duplicates; x.Count != want {
			t.Errorf("%s: %d duplicate rows, DuckDB %d", x.Split, x.Count, want)
		}
	}
	if dups == 0 {
		t.Error("no duplicates inside any split: the test checks nothing there")
	}
	shared := map[string]int64{}
	for _, p := range r.Leakage.Pairs {
		shared[p.A+"|"+p.B] = p.Values
	}
	var leaked int64
	for k, want := range d.Shared {
		leaked += want
		if shared[k] != want {
			t.Errorf("%s: %d shared rows, DuckDB %d", k, shared[k], want)
		}
	}
	if leaked == 0 {
		t.Error("no rows shared by two splits: the test checks nothing there")
	}
	for _, c := range r.Columns {
		for _, s := range c.Splits {
			dc := d.Splits[s.Split].Columns[c.Name]
			if s.Nulls != dc.Nulls || s.Values-s.Nulls != dc.Count {
				t.Errorf("%s/%s: %d values, %d nulls; DuckDB %d and %d", c.Name, s.Split, s.Values-s.Nulls, s.Nulls, dc.Count, dc.Nulls)
			}
			if s.Exact && s.Distinct != nil && int64(*s.Distinct) != dc.Distinct {
				t.Errorf("%s/%s: %d distinct values, DuckDB %d", c.Name, s.Split, *s.Distinct, dc.Distinct)
			}
			if s.Mean == nil {
				continue
			}
			if dc.Avg == nil || math.Abs(*s.Mean-*dc.Avg) > 1e-12*math.Max(1, math.Abs(*dc.Avg)) {
				t.Errorf("%s/%s: mean %v, DuckDB %v", c.Name, s.Split, *s.Mean, dc.Avg)
			}
			// A quantile q is right when its rank range [lt, le] comes
			// within the stated rank error of q.
			n := float64(s.Count)
			for i, q := range []float64{0.05, 0.25, 0.5, 0.75, 0.95} {
				lo, hi := float64(dc.LT[i])/n, float64(dc.LE[i])/n
				if q < lo-s.RankError-1/n || q > hi+s.RankError+1/n {
					t.Errorf("%s/%s: quantile %v = %v has ranks [%v, %v] in DuckDB, beyond the error %v", c.Name, s.Split, q, s.Quantiles[i], lo, hi, s.RankError)
				}
			}
		}
	}
	t.Logf("DuckDB %s: %d duplicate rows inside splits, %d shared between splits; %d columns checked", "agrees", dups, leaked, len(r.Columns))
}
