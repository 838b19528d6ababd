package sinks_test

import (
	"io"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// benchRows is the size of the benchmarks' row groups: splitdata's
// default row group.
const benchRows = 128 << 10

// rawSize is the size of rows' values in their plain encoding, the
// throughput unit of the benchmarks.
func rawSize(rows []parquet.Row) int64 {
	var n int64
	for _, row := range rows {
		for _, v := range row {
			n += int64(len(v.Bytes()))
		}
	}
	return n
}

// sinkGroup keeps benchmark results alive.
var sinkGroup *sinks.EncodedRowGroup

// BenchmarkEncode encodes one 128K-row group of the typical 7-column table
// (two int64, a low-cardinality string, a double, an optional double, a
// 40-byte string, a timestamp).
func BenchmarkEncode(b *testing.B) {
	rows := typicalRows(0, benchRows)
	for _, tc := range []struct {
		name string
		opts sinks.ParquetOptions
	}{
		{"snappy", sinks.ParquetOptions{}},
		{"zstd", sinks.ParquetOptions{Compression: "zstd"}},
		{"snappy-dict", sinks.ParquetOptions{Dictionary: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			enc, err := sinks.NewRowGroupEncoder(typicalSchema(), tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(rawSize(rows))
			b.ReportAllocs()
			for b.Loop() {
				g, err := enc.Encode(&sliceReader{rows: rows})
				if err != nil {
					b.Fatal(err)
				}
				sinkGroup = g
			}
			b.ReportMetric(float64(sinkGroup.Size()), "group-bytes")
		})
	}
	// The columnar path's encoder on the same rows, held as one batch.
	layout, err := columnar.LayoutOf(typicalSchema())
	if err != nil {
		b.Fatal(err)
	}
	batch := batchesOf(b, layout, rows, rand.New(rand.NewPCG(1, 1)))
	b.Run("snappy-batches", func(b *testing.B) {
		enc, err := sinks.NewRowGroupEncoder(typicalSchema(), sinks.ParquetOptions{})
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(rawSize(rows))
		b.ReportAllocs()
		for b.Loop() {
			g, err := enc.EncodeBatches(batch)
			if err != nil {
				b.Fatal(err)
			}
			sinkGroup = g
		}
		b.ReportMetric(float64(sinkGroup.Size()), "group-bytes")
	})
}

// BenchmarkAppendClose stitches eight encoded 128K-row groups into a file
// written to io.Discard: the file writer's own cost, without encoding.
func BenchmarkAppendClose(b *testing.B) {
	rows := typicalRows(0, benchRows)
	enc, err := sinks.NewRowGroupEncoder(typicalSchema(), sinks.ParquetOptions{})
	if err != nil {
		b.Fatal(err)
	}
	g, err := enc.Encode(&sliceReader{rows: rows})
	if err != nil {
		b.Fatal(err)
	}
	const groups = 8
	b.SetBytes(groups * g.Size())
	b.ReportAllocs()
	for b.Loop() {
		w, err := sinks.NewParquetFileWriter(io.Discard, typicalSchema(), sinks.ParquetOptions{}, nil)
		if err != nil {
			b.Fatal(err)
		}
		for range groups {
			if err := w.Append(g); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
