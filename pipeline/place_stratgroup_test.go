package pipeline_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/testinput"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// sgRow is an input row of a stratified grouped split.
type sgRow struct {
	ID    int64  `parquet:"id"`
	Group int64  `parquet:"grp"`
	Label string `parquet:"label"`
}

// writeSGInput writes rows in files of rowsPerFile rows and row groups of
// rgRows.
func writeSGInput(t *testing.T, groups []int64, labels []string, rowsPerFile, rgRows int) string {
	t.Helper()
	return testinput.Parts(t, len(groups), rowsPerFile, func(i int) sgRow {
		return sgRow{ID: int64(i), Group: groups[i], Label: labels[i]}
	}, parquet.MaxRowsPerRowGroup(int64(rgRows)))
}

// sgVectors is the part of splitter/testdata/stratgroup_vectors.json (made
// by its Python script) that the pipeline checks: datasets, and each
// case's split id per row.
type sgVectors struct {
	Datasets map[string]struct {
		Groups  []int64  `json:"groups"`
		Classes []string `json:"classes"`
	} `json:"datasets"`
	Cases []struct {
		Data, Option, Value, Seed string
		IDsHex                    string `json:"ids_hex"`
	} `json:"cases"`
}

// TestStratifiedGroupsWhereTheSpecSays runs split and kfold with --stratify
// and --group over the datasets of the Python vectors and checks that every
// row is in the split stratgroupv1.py puts it in, for inputs cut into
// files and row groups that share nothing with the key ranges.
func TestStratifiedGroupsWhereTheSpecSays(t *testing.T) {
	b, err := os.ReadFile("../splitter/testdata/stratgroup_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v sgVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	for _, c := range v.Cases {
		t.Run(c.Data+c.Option+"="+c.Value, func(t *testing.T) {
			d := v.Datasets[c.Data]
			in := writeSGInput(t, d.Groups, d.Classes, 1500, 333)
			opts := pipeline.JobOptions{RowGroupRows: 500, Workers: 3, ShuffleMemory: 1 << 10, TempDir: t.TempDir()}
			out := filepath.Join(t.TempDir(), "out")
			var m *pipeline.Manifest
			var err error
			switch c.Option {
			case "--kfold":
				k, _ := strconv.Atoi(c.Value)
				m, err = pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "1", K: k, Stratify: "label", Group: "grp", JobOptions: opts})
			default:
				var splits []splitter.Split
				if c.Option == "--ratios" {
					splits, err = splitter.ParseRatios(c.Value)
				} else {
					splits, err = splitter.ParseSizes(c.Value)
				}
				if err != nil {
					t.Fatal(err)
				}
				m, err = pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1", Splits: splits, Stratify: "label", Group: "grp", JobOptions: opts})
			}
			if err != nil {
				t.Fatal(err)
			}
			want := make([]int, len(d.Groups))
			for i := range want {
				id, _ := strconv.ParseUint(c.IDsHex[2*i:2*i+2], 16, 8)
				want[i] = int(id)
			}
			got := make([]int, len(d.Groups))
			for i := range got {
				got[i] = len(m.Splits) // in no split unless one holds it
			}
			for s, info := range m.Splits {
				for _, id := range readIDs(t, out, info) {
					got[id] = s
				}
			}
			for i := range got {
				if got[i] != want[i] {
					t.Fatalf("row %d (group %d, class %s): split %d, the spec says %d", i, d.Groups[i], d.Classes[i], got[i], want[i])
				}
			}
			checkStratGroupManifest(t, m, d.Groups, d.Classes)
			if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{in}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// checkStratGroupManifest checks the manifest's record of a stratified
// grouped split against the rows of each split.
func checkStratGroupManifest(t *testing.T, m *pipeline.Manifest, groups []int64, labels []string) {
	t.Helper()
	sg := m.StratifiedGroups
	if sg == nil {
		t.Fatal("the manifest does not record the stratified groups")
	}
	distinct := map[int64]bool{}
	for _, g := range groups {
		distinct[g] = true
	}
	if sg.Groups != int64(len(distinct)) {
		t.Errorf("manifest: %d groups, the input has %d", sg.Groups, len(distinct))
	}
	if len(sg.Splits) != len(m.Splits) {
		t.Fatalf("manifest: %d splits of stratified groups, %d splits", len(sg.Splits), len(m.Splits))
	}
	for j, s := range sg.Splits {
		var rows int64
		for _, r := range s.Rows {
			rows += r
		}
		if s.Name != m.Splits[j].Name || rows != m.Splits[j].Rows {
			t.Errorf("manifest: stratified split %s of %d rows, split %s of %d", s.Name, rows, m.Splits[j].Name, m.Splits[j].Rows)
		}
	}
}

// TestStratifiedGroupsSameBytes runs one stratified grouped job under
// workers 1, 2, 3 and 8, over re-chunked inputs, with its per-row state in
// memory or in files (and key ranges aggregated and joined a few at a time),
// and wants the same bytes every time, groups whole, and no temporary file
// left.
func TestStratifiedGroupsSameBytes(t *testing.T) {
	const rows = 12_000
	splits := mustRatios(t, "train=0.7,valid=0.2,test=0.1")
	for _, group := range []string{"user_id", "id"} { // about 600 groups, or one per row
		var want string
		run := func(name string, in string, opts pipeline.JobOptions) {
			t.Helper()
			tmp := t.TempDir()
			if opts.TempDir == "" {
				opts.TempDir = tmp
			}
			opts.RowGroupRows, opts.RowsPerFile = 2_000, 5_000
			cfg := pipeline.SplitConfig{Inputs: []string{in}, Seed: "9", Splits: splits, Stratify: "label", Group: group, JobOptions: opts}
			cfg.Out = filepath.Join(t.TempDir(), "out")
			m := runSplit(t, cfg)
			got := fingerprint(m)
			if want == "" {
				want = got
				checkWhole(t, cfg.Out, m, group)
				if _, err := pipeline.VerifyWithInputs(t.Context(), cfg.Out, []string{in}); err != nil {
					t.Fatal(err)
				}
			} else if got != want {
				t.Errorf("--group %s, %s: other bytes than the first run", group, name)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("--group %s, %s: %d temporary files left", group, name, len(left))
			}
		}
		in := genInput(t, rows, 3, 1_500)
		for _, w := range []int{1, 2, 3, 8} {
			run(fmt.Sprintf("workers %d", w), in, pipeline.JobOptions{Workers: w})
		}
		run("one file, one row group", genInput(t, rows, 1, rows), pipeline.JobOptions{Workers: 2})
		run("7 files, row groups of 333", genInput(t, rows, 7, 333), pipeline.JobOptions{Workers: 3})
		run("state in files", in, pipeline.JobOptions{Workers: 2, ShuffleMemory: 1 << 10})
	}
}

// checkWhole checks that no value of column group is in two splits.
func checkWhole(t *testing.T, dir string, m *pipeline.Manifest, group string) {
	t.Helper()
	where := map[int64]string{}
	for _, s := range m.Splits {
		for _, v := range readColumn(t, dir, s, group) {
			if w, ok := where[v]; ok && w != s.Name {
				t.Fatalf("group %s=%d is in %s and %s", group, v, w, s.Name)
			}
			where[v] = s.Name
		}
	}
}

// TestStratifiedGroupsKFoldMaterialize checks that materialized stratified
// grouped folds hold, in fold-j/test, the rows of the plain fold j.
func TestStratifiedGroupsKFoldMaterialize(t *testing.T) {
	in := genInput(t, 6_000, 2, 1_000)
	cfg := pipeline.KFoldConfig{Inputs: []string{in}, Seed: "4", K: 4, Stratify: "label", Group: "user_id"}
	cfg.Out = filepath.Join(t.TempDir(), "plain")
	plain, err := pipeline.KFold(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkWhole(t, cfg.Out, plain, "user_id")
	plainDir := cfg.Out
	cfg.Out, cfg.Materialize = filepath.Join(t.TempDir(), "mat"), true
	mat, err := pipeline.KFold(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	for j, s := range plain.Splits {
		test := mat.Splits[2*j+1]
		if a, b := readIDs(t, plainDir, s), readIDs(t, cfg.Out, test); fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("%s holds other rows than %s", test.Name, s.Name)
		}
	}
	if _, err := pipeline.VerifyWithInputs(t.Context(), cfg.Out, []string{in}); err != nil {
		t.Fatal(err)
	}
}

// TestStratifiedGroupsRefusals checks the usage errors of the mode.
func TestStratifiedGroupsRefusals(t *testing.T) {
	in := genInput(t, 5_000, 1, 5_000)
	for _, c := range []struct {
		name string
		cfg  pipeline.SplitConfig
	}{
		{"ratio-by groups", pipeline.SplitConfig{Stratify: "label", Group: "user_id", RatioBy: pipeline.RatioByGroups}},
		{"approx", pipeline.SplitConfig{Stratify: "label", Group: "user_id", Approx: true}},
		{"too many classes", pipeline.SplitConfig{Stratify: "id", Group: "user_id"}},
		{"no such group column", pipeline.SplitConfig{Stratify: "label", Group: "nope"}},
		{"float class", pipeline.SplitConfig{Stratify: "x1", Group: "user_id"}},
	} {
		c.cfg.Inputs, c.cfg.Seed, c.cfg.Out = []string{in}, "1", filepath.Join(t.TempDir(), "out")
		_, err := pipeline.Split(t.Context(), c.cfg)
		if !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%s: got %v, want a usage error", c.name, err)
		}
	}
}

// TestStratifiedGroupsVerifyCatchesShares checks that verify --input
// refuses a manifest whose record of a split's class rows was altered.
func TestStratifiedGroupsVerifyCatchesShares(t *testing.T) {
	in := genInput(t, 4_000, 1, 1_000)
	cfg := pipeline.SplitConfig{Inputs: []string{in}, Seed: "5", Stratify: "label", Group: "user_id"}
	cfg.Out = filepath.Join(t.TempDir(), "out")
	runSplit(t, cfg)
	path := filepath.Join(cfg.Out, pipeline.ManifestName)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	rows := m["stratified_groups"].(map[string]any)["splits"].([]any)[0].(map[string]any)["rows"].([]any)
	rows[0], rows[1] = rows[0].(float64)+1, rows[1].(float64)-1 // same total, other shares
	if b, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.VerifyWithInputs(t.Context(), cfg.Out, []string{in}); !errors.Is(err, pipeline.ErrBadManifest) {
		t.Errorf("verify of altered class rows: got %v, want ErrBadManifest", err)
	}
}

// TestStratifiedGroupsEdges checks inputs at the edges: one group (all of
// it in the split with the largest target), a single class, and no rows.
func TestStratifiedGroupsEdges(t *testing.T) {
	for _, c := range []struct {
		name   string
		groups []int64
		labels []string
		want   []int64 // rows per split
	}{
		{"one group", []int64{7, 7, 7, 7, 7}, []string{"a", "b", "a", "a", "b"}, []int64{5, 0}},
		{"one class", []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, []string{"a", "a", "a", "a", "a", "a", "a", "a", "a", "a"}, []int64{8, 2}},
		{"no rows", nil, nil, []int64{0, 0}},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := writeSGInput(t, c.groups, c.labels, 3, 2)
			if len(c.groups) == 0 { // an empty file
				in = writeSGInput(t, []int64{0}, []string{"x"}, 1, 1)
				if err := os.WriteFile(filepath.Join(in, "part-000.parquet"), emptySGFile(t), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cfg := pipeline.SplitConfig{Inputs: []string{in}, Seed: "1", Stratify: "label", Group: "grp"}
			cfg.Out = filepath.Join(t.TempDir(), "out")
			m := runSplit(t, cfg)
			for j, s := range m.Splits {
				if s.Rows != c.want[j] {
					t.Errorf("split %s: %d rows, want %d", s.Name, s.Rows, c.want[j])
				}
			}
			if _, err := pipeline.VerifyWithInputs(t.Context(), cfg.Out, []string{in}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// emptySGFile is a Parquet file of sgRow's schema with no rows.
func emptySGFile(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := parquet.NewGenericWriter[sgRow](&b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
