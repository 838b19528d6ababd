package sinks_test

import (
	"bytes"
	"testing"

	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sinks"
)

// Both snappy levels write SNAPPY pages that read back to the rows; level
// 0 is level 1 (fast); level 2 (better) compresses smaller. (That level 2
// writes splitdata 0.1's bytes is pinned by pipeline's golden files.)
func TestSnappyLevels(t *testing.T) {
	schema := typicalSchema()
	rows := newRowGen(schema, 3).rows(5000)
	files := map[int][]byte{}
	for _, level := range []int{0, sinks.SnappyFast, sinks.SnappyBetter} {
		opts := sinks.ParquetOptions{Compression: "snappy", CompressionLevel: level}
		enc, err := sinks.NewRowGroupEncoder(schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		g, err := enc.Encode(&sliceReader{rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		data := writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{g})
		f, back := readBack(t, data)
		compareRows(t, "read back", concat(back), rows)
		for _, col := range f.Metadata().RowGroups[0].Columns {
			if col.MetaData.Codec != format.Snappy {
				t.Fatalf("level %d: column %v has codec %v, want SNAPPY", level, col.MetaData.PathInSchema, col.MetaData.Codec)
			}
		}
		files[level] = data
	}
	if !bytes.Equal(files[0], files[sinks.SnappyFast]) {
		t.Error("level 0 and level 1 wrote different bytes")
	}
	if len(files[sinks.SnappyBetter]) >= len(files[sinks.SnappyFast]) {
		t.Errorf("better: %d bytes, fast: %d, want better smaller", len(files[sinks.SnappyBetter]), len(files[sinks.SnappyFast]))
	}
}
