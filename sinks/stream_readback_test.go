package sinks_test

import (
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
)

// A finished streamed row group is read back whole only where a column is
// not the page writer's (a BOOLEAN, a nested list, an unsigned integer),
// on the row path, and for encoders that do not stream: the memory plan
// counts one there and nowhere else. Strings with long values are the
// page writer's too (TestSpooledStreamMatchesEncode keeps their pages in
// the spool).
func TestStreamReadsBack(t *testing.T) {
	type flat struct {
		ID   int64   `parquet:"id"`
		N    int32   `parquet:"n,optional"`
		S    string  `parquet:"s"`
		B    []byte  `parquet:"b"`
		X    float64 `parquet:"x"`
		Y    float32 `parquet:"y,optional"`
		Text string  `parquet:"text,dict"`
	}
	type withBool struct {
		ID int64 `parquet:"id"`
		OK bool  `parquet:"ok"`
	}
	type withList struct {
		ID   int64    `parquet:"id"`
		Tags []string `parquet:"tags,list"`
	}
	type withUnsigned struct {
		ID uint64 `parquet:"id"`
	}
	tests := []struct {
		name   string
		schema *parquet.Schema
		format sinks.Format
		// want[0]: of rows; want[1]: of batches
		want [2]bool
	}{
		{"flat", parquet.SchemaOf(flat{}), sinks.Parquet(sinks.ParquetOptions{}), [2]bool{true, false}},
		{"flat, plain", parquet.SchemaOf(flat{}), sinks.Parquet(sinks.ParquetOptions{Encoding: sinks.EncodingPlain}), [2]bool{true, false}},
		{"boolean", parquet.SchemaOf(withBool{}), sinks.Parquet(sinks.ParquetOptions{}), [2]bool{true, true}},
		{"list", parquet.SchemaOf(withList{}), sinks.Parquet(sinks.ParquetOptions{}), [2]bool{true, true}},
		{"unsigned", parquet.SchemaOf(withUnsigned{}), sinks.Parquet(sinks.ParquetOptions{}), [2]bool{true, true}},
		{"arrow", parquet.SchemaOf(flat{}), sinks.Arrow(sinks.ArrowOptions{}), [2]bool{true, true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := tc.format.NewEncoder(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			for i, batches := range []bool{false, true} {
				if got := sinks.StreamReadsBack(enc, batches); got != tc.want[i] {
					t.Errorf("StreamReadsBack(batches %v) = %v, want %v", batches, got, tc.want[i])
				}
			}
		})
	}
}
