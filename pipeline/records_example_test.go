package pipeline_test

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// Records already in memory are split without files; the splits hold the
// same rows Split would write for the same rows and seed.
func ExampleSplitRecords() {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range int64(10) {
		b.Field(0).(*array.Int64Builder).Append(i)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	splits, err := pipeline.SplitRecords(context.Background(), []arrow.RecordBatch{rec}, pipeline.RecordsConfig{
		Seed:   "42",
		Splits: []splitter.Split{{Name: "train", Ratio: 0.8}, {Name: "test", Ratio: 0.2}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range splits {
		fmt.Println(s.Name, s.Record.NumRows())
		s.Record.Release()
	}
	// Output:
	// train 8
	// test 2
}

// A sample of k rows is the first k rows of canonical order.
func ExampleSampleRecords() {
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.PrimitiveTypes.Int64}}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range int64(100) {
		b.Field(0).(*array.Int64Builder).Append(i)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	sample, err := pipeline.SampleRecords(context.Background(), []arrow.RecordBatch{rec}, "1", 5)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sample.Release()
	fmt.Println(sample.NumRows())
	// Output:
	// 5
}
