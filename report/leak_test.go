package report_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/report"
	"github.com/splitdata/splitdata/splitter"
)

// plantRow is a row of the planted-leak dataset.
type plantRow struct {
	ID    int64   `parquet:"id"`
	Group int64   `parquet:"g"`
	X     float64 `parquet:"x"`
	S     string  `parquet:"s"`
}

func writeRows(t *testing.T, path string, rows []plantRow) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[plantRow](f, parquet.MaxRowsPerRowGroup(4096))
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

func readIDs(t *testing.T, dir string, m *pipeline.Manifest, split string) []int64 {
	t.Helper()
	var ids []int64
	for _, s := range m.Splits {
		if s.Name != split {
			continue
		}
		for _, f := range s.Files {
			rows, err := parquet.ReadFile[plantRow](filepath.Join(dir, f.Path))
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				ids = append(ids, r.ID)
			}
		}
	}
	return ids
}

// TestPlantedLeak plants 1,000 rows of train as exact copies in test and
// 50 group values shared by one train and one test row, in a split made
// with --approx (rows placed one by one, so a group column does not keep
// groups together), and checks the report's exact counts, in memory and
// spilled to disk, with one worker and three.
func TestPlantedLeak(t *testing.T) {
	const n = 20_000
	ctx := context.Background()
	tmp := t.TempDir()
	rows := make([]plantRow, n)
	for i := range rows {
		rows[i] = plantRow{ID: int64(i), Group: int64(i), X: float64(i) / 7, S: fmt.Sprintf("row-%06d", i)}
	}
	cfg := pipeline.SplitConfig{Seed: "42", Approx: true,
		Splits: []splitter.Split{{Name: "train", Ratio: 0.8}, {Name: "test", Ratio: 0.2}}}
	// First run: which row index lands where (a row's split depends only
	// on the seed and its index, not on its values).
	writeRows(t, filepath.Join(tmp, "in1", "data.parquet"), rows)
	cfg.Inputs, cfg.Out = []string{filepath.Join(tmp, "in1")}, filepath.Join(tmp, "out1")
	m1, err := pipeline.Split(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	train, test := readIDs(t, cfg.Out, m1, "train"), readIDs(t, cfg.Out, m1, "test")
	if len(train) < 2000 || len(test) < 1100 {
		t.Fatalf("train %d, test %d rows: too few to plant", len(train), len(test))
	}
	// Plant: test row test[k] becomes a copy of train row train[k] for k <
	// 1000; test row test[1000+k] takes train row train[1000+k]'s group.
	for k := range 1000 {
		rows[test[k]] = rows[train[k]]
	}
	for k := 1000; k < 1050; k++ {
		rows[test[k]].Group = rows[train[k]].Group
	}
	writeRows(t, filepath.Join(tmp, "in2", "data.parquet"), rows)
	cfg.Inputs, cfg.Out = []string{filepath.Join(tmp, "in2")}, filepath.Join(tmp, "out2")
	if _, err := pipeline.Split(ctx, cfg); err != nil {
		t.Fatal(err)
	}
	var first []byte
	// Rows are hashed fast then verified (the default), all with SHA-256,
	// or with a fast hash that collides for every row (every row read
	// again and told apart by its SHA-256): the same report.
	collide := func(uint64) uint64 { return 1 }
	for _, run := range []struct {
		memory  int64
		workers int
		hash    func(uint64) uint64
		sha     bool
	}{{0, 1, nil, false}, {2 << 20, 3, nil, false}, {0, 2, nil, true}, {0, 2, collide, false}, {2 << 20, 1, collide, false}} {
		report.SetRowHash(run.hash, run.sha)
		r, err := report.Compute(ctx, report.Options{Dir: cfg.Out, Group: "g", MemoryLimit: run.memory, Workers: run.workers, TempDir: tmp})
		report.SetRowHash(nil, false)
		if err != nil {
			t.Fatal(err)
		}
		l := r.Leakage
		// The copied rows are 1,000 rows found in both splits; their group
		// values too, with the 50 planted groups: 1,050 groups.
		want := []report.LeakPair{{A: "train", B: "test", Values: 1000, RowsA: 1000, RowsB: 1000}}
		if l.Rows != 1000 || !equalPairs(l.Pairs, want) {
			t.Errorf("memory %d: %d leaked rows, pairs %+v; want 1000, %+v", run.memory, l.Rows, l.Pairs, want)
		}
		wantG := []report.LeakPair{{A: "train", B: "test", Values: 1050, RowsA: 1050, RowsB: 1050}}
		if l.Groups != 1050 || !equalPairs(l.GroupPairs, wantG) {
			t.Errorf("memory %d: %d leaked groups, pairs %+v; want 1050, %+v", run.memory, l.Groups, l.GroupPairs, wantG)
		}
		if len(l.Examples) != 20 || len(l.GroupExamples) != 20 {
			t.Errorf("memory %d: %d row and %d group examples, want 20 each", run.memory, len(l.Examples), len(l.GroupExamples))
		}
		for _, d := range l.Duplicates {
			if d.Count != 0 {
				t.Errorf("memory %d: %d duplicates inside %s, want 0", run.memory, d.Count, d.Split)
			}
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if !bytes.Equal(first, b) {
			t.Errorf("the report differs between memory budgets, worker counts and row hashes (memory %d, workers %d, SHA-256 in the scan %v)", run.memory, run.workers, run.sha)
		}
	}
}

func equalPairs(a, b []report.LeakPair) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
