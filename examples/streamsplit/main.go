// Streamsplit splits a stream of Arrow records 80/20 in an ETL loop, in constant memory.
package main

import (
	"context"
	"fmt"
	"log"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/splitdata/splitdata/pipeline"
)

func main() {
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	r := array.ReaderFromIter(schema, func(yield func(arrow.RecordBatch, error) bool) { // extract
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for start := int64(0); start < 100_000; start += 10_000 {
			for id := start; id < start+10_000; id++ {
				b.Field(0).(*array.Int64Builder).Append(id)
			}
			if !yield(b.NewRecordBatch(), nil) { // the reader releases it
				return
			}
		}
	})
	defer r.Release()
	rows := map[string]int64{} // exact sizes need the row count (Approx needs none)
	for b, err := range pipeline.SplitStream(context.Background(), r, pipeline.StreamConfig{Seed: "42", Rows: 100_000}) {
		if err != nil {
			log.Fatal(err)
		}
		rows[b.Name] += b.Record.NumRows() // load: write b.Record to b.Name's sink
	}
	fmt.Printf("train %d rows, test %d rows\n", rows["train"], rows["test"])
}
