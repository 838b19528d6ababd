package pipeline_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// The quick start: split files by path, split files of an fs.FS, split a
// stream of Arrow records in an ETL loop.
func Example() {
	out, err := os.MkdirTemp("", "splitdata-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(out)
	ctx := context.Background()
	splits, err := splitter.ParseRatios("train=0.8,test=0.2")
	if err != nil {
		log.Fatal(err)
	}

	// Files by path (a file, a directory or a glob), into a directory.
	m, err := pipeline.Split(ctx, pipeline.SplitConfig{
		Inputs: []string{filepath.Join("testdata", "golden", "input")},
		Out:    filepath.Join(out, "by-path"), Seed: "42", Splits: splits,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("by path:", m.Splits[0].Rows, m.Splits[1].Rows)

	// The same files as values: an fs.FS here, io.ReaderAt data or your own
	// sources.FileSource just as well (pipeline.Input).
	inputs, err := pipeline.FSInputs(os.DirFS(filepath.Join("testdata", "golden", "input")), "*.parquet")
	if err != nil {
		log.Fatal(err)
	}
	m, err = pipeline.Split(ctx, pipeline.SplitConfig{
		Out: filepath.Join(out, "by-value"), Seed: "42", Splits: splits,
		JobOptions: pipeline.JobOptions{Sources: inputs},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("by value:", m.Splits[0].Rows, m.Splits[1].Rows)

	// A stream of records, in constant memory: exact sizes need its row
	// count; Approx or Group need none.
	r := idReader(10, 100)
	defer r.Release()
	rows := map[string]int64{}
	for b, err := range pipeline.SplitStream(ctx, r, pipeline.StreamConfig{Seed: "42", Splits: splits, Rows: 1000}) {
		if err != nil {
			log.Fatal(err)
		}
		rows[b.Name] += b.Record.NumRows() // write b.Record to b.Name's sink here
	}
	fmt.Println("stream:", rows["train"], rows["test"])
	// Output:
	// by path: 1600 400
	// by value: 1600 400
	// stream: 800 200
}

// idReader returns a reader of records of int64 ids 0, 1, ...: n records of
// size rows each.
func idReader(n, size int) array.RecordReader {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	var recs []arrow.RecordBatch
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i := range n * size {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		if (i+1)%size == 0 {
			recs = append(recs, b.NewRecordBatch())
		}
	}
	r, err := array.NewRecordReader(schema, recs)
	if err != nil {
		log.Fatal(err)
	}
	for _, rec := range recs {
		rec.Release() // the reader holds its own references
	}
	return r
}

// Split a stream of records of unknown length: approximate splits need no
// row count (nor do grouped ones, StreamConfig.Group).
func ExampleSplitStream() {
	r := idReader(4, 250)
	defer r.Release()
	rows := map[string]int64{}
	cfg := pipeline.StreamConfig{Seed: "7", Approx: true} // default splits: train=0.8,test=0.2
	for b, err := range pipeline.SplitStream(context.Background(), r, cfg) {
		if err != nil {
			log.Fatal(err)
		}
		rows[b.Name] += b.Record.NumRows()
	}
	fmt.Println(rows["train"]+rows["test"], rows["train"] > rows["test"])
	// Output: 1000 true
}
