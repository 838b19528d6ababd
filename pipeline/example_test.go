package pipeline_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// Split a folder of Parquet files 80/10/10 with exact sizes. The same seed
// gives the same rows in each split, in the same bytes, for any number of
// workers.
func ExampleSplit() {
	dir, err := os.MkdirTemp("", "splitdata-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	splits, err := splitter.ParseRatios("train=0.8,valid=0.1,test=0.1")
	if err != nil {
		log.Fatal(err)
	}
	m, err := pipeline.Split(context.Background(), pipeline.SplitConfig{
		Inputs: []string{filepath.Join("testdata", "golden", "input")}, // 2,000 rows in 2 files
		Out:    filepath.Join(dir, "out"),
		Seed:   "42",
		Splits: splits,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range m.Splits {
		fmt.Printf("%s: %d rows in %s\n", s.Name, s.Rows, s.Files[0].Path)
	}
	// Output:
	// train: 1600 rows in train/part-00000.parquet
	// valid: 200 rows in valid/part-00000.parquet
	// test: 200 rows in test/part-00000.parquet
}

// Shuffle all rows into one reproducible order per epoch, then check the
// result against its inputs.
func ExampleShuffle() {
	dir, err := os.MkdirTemp("", "splitdata-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	in := filepath.Join("testdata", "golden", "input")
	out := filepath.Join(dir, "shuffled")
	m, err := pipeline.Shuffle(context.Background(), pipeline.ShuffleConfig{
		Inputs: []string{in},
		Out:    out,
		Seed:   "42",
		Epoch:  1, JobOptions: pipeline.JobOptions{ShuffleMemory: 256 << 10}, // beyond this, rows spill to disk; the order is the same
	})
	if err != nil {
		log.Fatal(err)
	}
	r, err := pipeline.VerifyWithInputs(context.Background(), out, []string{in})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d rows in %s; every row checked: %v\n", m.Rows, m.Splits[0].Files[0].Path, r.RowsChecked)
	// Output:
	// 2000 rows in part-00000.parquet; every row checked: true
}

// Inspect reads only footers: rows, row groups and columns of each file.
func ExampleInspect() {
	reports, err := pipeline.Inspect(context.Background(), []string{filepath.Join("testdata", "golden", "input")}, sources.Options{})
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range reports {
		fmt.Printf("%s: %d rows in %d row groups, %d columns, first %s (%s)\n",
			filepath.Base(r.Path), r.Rows, r.RowGroups, len(r.Columns), r.Columns[0].Path, r.Columns[0].Codecs[0])
	}
	// Output:
	// part-00000.parquet: 1000 rows in 4 row groups, 7 columns, first id (SNAPPY)
	// part-00001.parquet: 1000 rows in 4 row groups, 7 columns, first id (SNAPPY)
}
