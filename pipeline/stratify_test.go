package pipeline_test

import (
	"cmp"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/testinput"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// stratRow is an input row with an optional class column.
type stratRow struct {
	ID    int64   `parquet:"id"`
	Class *string `parquet:"class,optional"`
	Flag  bool    `parquet:"flag"`
}

// writeStratInput writes n rows in files of rowsPerFile rows and row groups
// of rgRows; row i's class is classOf(i) (nil: null).
func writeStratInput(t *testing.T, n, rowsPerFile, rgRows int, classOf func(i int) *string) string {
	t.Helper()
	return testinput.Parts(t, n, rowsPerFile, func(i int) stratRow {
		return stratRow{ID: int64(i), Class: classOf(i), Flag: i%3 == 0}
	}, parquet.MaxRowsPerRowGroup(int64(rgRows)))
}

// stratExpected computes from the spec (docs/algorithm.md 12-13) each
// row's split: classes numbered by canonical bytes (null first), the
// per-class sizes of the controlled rounding, and within a class the rows
// in (key, i) order cut at the cumulative class sizes.
func stratExpected(t *testing.T, seed int64, classes []*string, sizesOf func(counts []int64) ([][]int64, error)) ([]int, [][]int64) {
	t.Helper()
	n := len(classes)
	id := classIDs(classes)
	nclass := 0
	for _, c := range id {
		nclass = max(nclass, c+1)
	}
	counts := make([]int64, nclass)
	members := make([][]int, nclass)
	for i := range classes {
		counts[id[i]]++
		members[id[i]] = append(members[id[i]], i)
	}
	sizes, err := sizesOf(counts)
	if err != nil {
		t.Fatal(err)
	}
	gen, err := prng.NewPCG64(big.NewInt(seed))
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]uint64, n)
	gen.Fill(keys)
	split := make([]int, n)
	for c, rows := range members {
		slices.SortFunc(rows, func(a, b int) int { return cmp.Or(cmp.Compare(keys[a], keys[b]), cmp.Compare(a, b)) })
		rank := 0
		for j := range rows {
			split[rows[j]] = -1 // unassigned unless a split takes it
		}
		for s, size := range sizes[c] {
			for range size {
				split[rows[rank]] = s
				rank++
			}
		}
	}
	return split, sizes
}

func TestStratifiedSplitWhereTheSpecSays(t *testing.T) {
	const n = 5_003
	str := func(s string) *string { return &s }
	// Imbalanced classes, a null class, and a class of one row.
	classOf := func(i int) *string {
		switch {
		case i == 4_000:
			return str("lonely")
		case i%11 == 0:
			return nil
		case i%10 < 7:
			return str("neg")
		case i%10 < 9:
			return str("pos")
		}
		return str("rare")
	}
	classes := make([]*string, n)
	for i := range classes {
		classes[i] = classOf(i)
	}
	splits, err := splitter.ParseRatios("train=0.7,valid=0.2,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	want, sizes := stratExpected(t, 9, classes, func(counts []int64) ([][]int64, error) { return splitter.StratifiedSizes(counts, splits) })
	totals, err := splitter.Sizes(splits, n)
	if err != nil {
		t.Fatal(err)
	}
	for s := range splits { // the overall sizes are exactly the unstratified ones
		var sum int64
		for c := range sizes {
			sum += sizes[c][s]
		}
		if sum != totals[s] {
			t.Fatalf("split %d: %d rows over the classes, want the exact %d", s, sum, totals[s])
		}
	}
	var first string
	for i, layout := range []struct{ perFile, rg, workers int }{{n, 5_003, 1}, {1_000, 300, 2}, {2_500, 97, 3}, {700, 700, 8}} {
		in := writeStratInput(t, n, layout.perFile, layout.rg, classOf)
		out := filepath.Join(t.TempDir(), "out")
		m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "9", Splits: splits, Stratify: "class",
			JobOptions: pipeline.JobOptions{Workers: layout.workers, RowGroupRows: 500}})
		if i == 0 {
			for s, info := range m.Splits {
				for _, id := range readIDs(t, out, info) {
					if want[id] != s {
						t.Fatalf("row %d in %s, the spec puts it in split %d", id, info.Name, want[id])
					}
				}
				if info.Rows != totals[s] {
					t.Fatalf("%s: %d rows, want %d", info.Name, info.Rows, totals[s])
				}
			}
			first = fingerprint(m)
		} else if fingerprint(m) != first {
			t.Fatalf("layout %+v: different bytes than one file, one row group, one worker", layout)
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{in}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestStratifiedKFoldAndSample(t *testing.T) {
	const n = 2_000
	labels := []string{"a", "b", "c"}
	classOf := func(i int) *string { return &labels[(i*i)%7%3] }
	classes := make([]*string, n)
	for i := range classes {
		classes[i] = classOf(i)
	}
	in := writeStratInput(t, n, 800, 250, classOf)

	want, _ := stratExpected(t, 5, classes, func(counts []int64) ([][]int64, error) { return splitter.StratifiedKFoldSizes(counts, 4) })
	out := filepath.Join(t.TempDir(), "folds")
	m, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "5", K: 4, Stratify: "class"})
	if err != nil {
		t.Fatal(err)
	}
	for s, info := range m.Splits {
		for _, id := range readIDs(t, out, info) {
			if want[id] != s {
				t.Fatalf("kfold: row %d in %s, the spec puts it in fold %d", id, info.Name, want[id])
			}
		}
	}

	want, _ = stratExpected(t, 5, classes, func(counts []int64) ([][]int64, error) {
		return splitter.StratifiedSizes(counts, []splitter.Split{{Name: "sample", Rows: 333}})
	})
	out = filepath.Join(t.TempDir(), "sample")
	m, err = pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{in}, Out: out, Seed: "5", Rows: 333, Stratify: "class"})
	if err != nil {
		t.Fatal(err)
	}
	ids := readIDs(t, out, m.Splits[0])
	if len(ids) != 333 {
		t.Fatalf("sample of %d rows, want 333", len(ids))
	}
	for _, id := range ids {
		if want[id] != 0 {
			t.Fatalf("sample: row %d sampled, the spec leaves it out", id)
		}
	}
	if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{in}); err != nil {
		t.Fatal(err)
	}
}

func TestStratifyRefusals(t *testing.T) {
	in := genInput(t, 500, 1, 100)
	for name, cfg := range map[string]pipeline.SplitConfig{
		"missing column":       {Stratify: "nope"},
		"double column":        {Stratify: "x1"},
		"with approx":          {Stratify: "label", Approx: true},
		"with group by groups": {Stratify: "label", Group: "user_id", RatioBy: pipeline.RatioByGroups},
		"with compat":          {Stratify: "label", Compat: "sklearn"},
	} {
		cfg.Inputs, cfg.Out, cfg.Seed = []string{in}, filepath.Join(t.TempDir(), "out"), "1"
		if _, err := pipeline.Split(t.Context(), cfg); !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%s: err = %v, want a usage error", name, err)
		}
	}
}

// TestRowTablesSpill checks that the per-row state of stratified and
// row-balanced grouped splits, kept in a temporary file when it exceeds
// the memory limit, gives the same bytes as in memory, and that the file
// is removed.
func TestRowTablesSpill(t *testing.T) {
	in := genInput(t, 5_000, 2, 700)
	splits := mustRatios(t, "train=0.7,valid=0.2,test=0.1")
	for name, cfg := range map[string]pipeline.SplitConfig{
		"stratify":      {Stratify: "label"},
		"group by rows": {Group: "user_id", RatioBy: pipeline.RatioByRows},
	} {
		cfg.Inputs, cfg.Seed, cfg.Splits = []string{in}, "3", splits
		cfg.Out = filepath.Join(t.TempDir(), "mem")
		want := runSplit(t, cfg)
		tmp := t.TempDir()
		cfg.Out = filepath.Join(t.TempDir(), "file")
		cfg.ShuffleMemory, cfg.TempDir = 1<<10, tmp // far below 5000 rows' state
		got := runSplit(t, cfg)
		if fingerprint(got) != fingerprint(want) {
			t.Errorf("%s: a file-backed row table gives other bytes", name)
		}
		if left, _ := os.ReadDir(tmp); len(left) != 0 {
			t.Errorf("%s: %d temporary files left", name, len(left))
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), cfg.Out, []string{in}); err != nil {
			t.Fatal(err)
		}
	}
}
