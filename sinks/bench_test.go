package sinks_test

import (
	"encoding/binary"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"syscall"
	"testing"
	"time"

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

// cpuTime returns the CPU time the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU reports the process's CPU time per operation since start as
// cpu-ns/op: on a machine shared with other jobs, wall time per operation
// measures the load more than the code. It includes the garbage
// collector's work on other threads.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime(b)-start)/float64(b.N), "cpu-ns/op")
}

// sinkGroup keeps benchmark results alive.
var sinkGroup *sinks.EncodedRowGroup

// BenchmarkEncode encodes one 128K-row group of the typical 7-column table
// (two int64, a low-cardinality string, a double, an optional double, a
// 40-byte string, a timestamp): with the default EncodingAuto (a
// dictionary for the label only) and with EncodingPlain (0.4's bytes), as
// rows and as a batch.
func BenchmarkEncode(b *testing.B) {
	rows := typicalRows(0, benchRows)
	for _, tc := range []struct {
		name string
		opts sinks.ParquetOptions
	}{
		{"snappy", sinks.ParquetOptions{}},
		{"snappy-plain", sinks.ParquetOptions{Encoding: sinks.EncodingPlain}},
		{"zstd", sinks.ParquetOptions{Compression: "zstd"}},
		{"snappy-plain-dict", sinks.ParquetOptions{Encoding: sinks.EncodingPlain, Dictionary: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			enc, err := sinks.NewRowGroupEncoder(typicalSchema(), tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(rawSize(rows))
			b.ReportAllocs()
			start := cpuTime(b)
			for b.Loop() {
				g, err := enc.Encode(&sliceReader{rows: rows})
				if err != nil {
					b.Fatal(err)
				}
				sinkGroup = g
			}
			reportCPU(b, start)
			b.ReportMetric(float64(sinkGroup.Size()), "group-bytes")
		})
	}
	// The columnar path's encoder on the same rows, held as one batch.
	layout, err := columnar.LayoutOf(typicalSchema())
	if err != nil {
		b.Fatal(err)
	}
	batch := batchesOf(b, layout, rows, rand.New(rand.NewPCG(1, 1)))
	for _, tc := range []struct {
		name string
		opts sinks.ParquetOptions
	}{
		{"snappy-batches", sinks.ParquetOptions{}},
		{"snappy-plain-batches", sinks.ParquetOptions{Encoding: sinks.EncodingPlain}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			enc, err := sinks.NewRowGroupEncoder(typicalSchema(), tc.opts)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(rawSize(rows))
			b.ReportAllocs()
			start := cpuTime(b)
			for b.Loop() {
				g, err := enc.EncodeBatches(batch)
				if err != nil {
					b.Fatal(err)
				}
				sinkGroup = g
			}
			reportCPU(b, start)
			b.ReportMetric(float64(sinkGroup.Size()), "group-bytes")
		})
	}
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

// BenchmarkEncodeBatches is the columnar path as a split runs it: one
// 128K-row group of the typical table encoded from a whole batch, and from
// a pick of 80% of a batch's rows (a split's share, read in place), each
// group released once encoded as the writer releases it, so that what an
// encoder reuses between row groups counts as it does in a run. With the
// default EncodingAuto and with EncodingPlain (0.4's bytes).
func BenchmarkEncodeBatches(b *testing.B) {
	layout, err := columnar.LayoutOf(typicalSchema())
	if err != nil {
		b.Fatal(err)
	}
	all := typicalRows(0, benchRows*5/4)
	whole := batchOf(b, layout, all[:benchRows])
	src := batchOf(b, layout, all)
	r := rand.New(rand.NewPCG(2, 2))
	sel := make([]int32, 0, benchRows)
	for i := range len(all) {
		if len(sel) < benchRows && r.IntN(5) != 0 {
			sel = append(sel, int32(i))
		}
	}
	pick := columnar.PickRows(src, sel)
	for _, opts := range []struct {
		name string
		opts sinks.ParquetOptions
	}{
		{"auto", sinks.ParquetOptions{}},
		{"plain", sinks.ParquetOptions{Encoding: sinks.EncodingPlain}},
	} {
		for _, in := range []struct {
			name string
			rows columnar.Rows
			size int64
		}{
			{"batch", whole, rawSize(all[:benchRows])},
			{"pick", pick, rawSize(all[:len(sel)])},
		} {
			b.Run(opts.name+"-"+in.name, func(b *testing.B) {
				enc, err := sinks.NewRowGroupEncoder(typicalSchema(), opts.opts)
				if err != nil {
					b.Fatal(err)
				}
				benchEncodeBatches(b, enc, []columnar.Rows{in.rows}, in.size)
			})
		}
	}
}

// batchOf holds rows in one batch of layout.
func batchOf(b *testing.B, layout columnar.Layout, rows []parquet.Row) *columnar.Batch {
	b.Helper()
	batch := columnar.New(layout, len(rows))
	for _, row := range rows {
		for _, v := range row {
			if err := batch.Cols[v.Column()].AppendValue(v); err != nil {
				b.Fatalf("AppendValue(%v): %v", v, err)
			}
		}
	}
	batch.Len = len(rows)
	return batch
}

// BenchmarkPageWriter encodes one 128K-row group of batches with
// splitdata's page writer for the columns it covers ("own") and with
// parquet-go's writer for every column ("parquet-go"), side by side in one
// run, so that their ratio is measured under the same load: the typical
// table (all seven of its columns are the page writer's since it writes
// dictionary pages too, its label column with a dictionary) and its
// numeric columns alone.
func BenchmarkPageWriter(b *testing.B) {
	numeric := parquet.NewSchema("numeric", parquet.Group{
		"a_id":  parquet.Int(64),
		"b_seq": parquet.Int(64),
		"d_x":   parquet.Leaf(parquet.DoubleType),
		"e_y":   parquet.Optional(parquet.Leaf(parquet.DoubleType)),
		"g_ts":  parquet.Timestamp(parquet.Microsecond),
	})
	all := typicalRows(0, benchRows)
	keep := []int{0, 1, 3, 4, 6} // typical's numeric columns
	numRows := make([]parquet.Row, len(all))
	for i, row := range all {
		r := make(parquet.Row, len(keep))
		for k, c := range keep {
			r[k] = row[c].Level(0, row[c].DefinitionLevel(), k)
		}
		numRows[i] = r
	}
	for _, sc := range []struct {
		name   string
		schema *parquet.Schema
		rows   []parquet.Row
	}{
		{"typical", typicalSchema(), all},
		{"numeric", numeric, numRows},
	} {
		layout, err := columnar.LayoutOf(sc.schema)
		if err != nil {
			b.Fatal(err)
		}
		parts := []columnar.Rows{batchOf(b, layout, sc.rows)}
		for _, writer := range []string{"own", "parquet-go"} {
			b.Run("shape="+sc.name+"/writer="+writer, func(b *testing.B) {
				enc, err := sinks.NewRowGroupEncoder(sc.schema, sinks.ParquetOptions{})
				if err != nil {
					b.Fatal(err)
				}
				if writer == "parquet-go" {
					sinks.WithoutPageWriter(enc)
				}
				benchEncodeBatches(b, enc, parts, rawSize(sc.rows))
			})
		}
	}
}

// benchEncodeBatches encodes parts as one row group with enc per op,
// counting size bytes an op, and reports CPU per op beside wall time.
func benchEncodeBatches(b *testing.B, enc *sinks.RowGroupEncoder, parts []columnar.Rows, size int64) {
	b.SetBytes(size)
	b.ReportAllocs()
	start := cpuTime(b)
	for b.Loop() {
		g, err := enc.EncodeBatches(parts)
		if err != nil {
			b.Fatal(err)
		}
		g.Release()
	}
	reportCPU(b, start)
}

// BenchmarkByteArrayBounds finds the bounds of a 1 MiB page of PLAIN
// strings shaped like the wide table's (base-36 numbers and a suffix, one
// in ten a short common value), as the page writer does for every PLAIN
// page of a string column.
func BenchmarkByteArrayBounds(b *testing.B) {
	r := rand.New(rand.NewPCG(6, 6))
	var page []byte
	for len(page) < 1<<20 {
		v := r.Uint64()
		if v%10 == 0 {
			v %= 50
		}
		s := strconv.AppendUint(nil, v, 36)
		s = append(s, "-abcdefghijklmnop"[:(v>>8)%17]...)
		page = binary.LittleEndian.AppendUint32(page, uint32(len(s)))
		page = append(page, s...)
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		sinks.ByteArrayBounds(page)
	}
}

// BenchmarkInt64Bounds finds the bounds of a 256 KiB page of random INT64
// values, as the page writer does for every PLAIN page of such a column.
func BenchmarkInt64Bounds(b *testing.B) {
	r := rand.New(rand.NewPCG(8, 8))
	page := make([]byte, 0, 256<<10)
	for len(page) < cap(page) {
		page = binary.LittleEndian.AppendUint64(page, r.Uint64())
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		sinks.Int64Bounds(page)
	}
}

// BenchmarkFloat64Bounds finds the bounds of a 256 KiB page of random
// doubles, as the page writer does for every PLAIN page of such a column.
func BenchmarkFloat64Bounds(b *testing.B) {
	r := rand.New(rand.NewPCG(9, 9))
	page := make([]byte, 0, 256<<10)
	for len(page) < cap(page) {
		page = binary.LittleEndian.AppendUint64(page, math.Float64bits(r.NormFloat64()))
	}
	b.SetBytes(int64(len(page)))
	b.ReportAllocs()
	for b.Loop() {
		sinks.Float64Bounds(page, 0)
	}
}

// BenchmarkTextEncode encodes one 128K-row chunk of the typical table as
// Arrow, CSV and JSON Lines, from rows ("rows", Encode, as the row path
// hands them over) and from a pick of 80% of a batch's rows
// ("pick", EncodeBatches, as a split's columnar path reads them).
func BenchmarkTextEncode(b *testing.B) {
	schema := typicalSchema()
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		b.Fatal(err)
	}
	all := typicalRows(0, benchRows*5/4)
	r := rand.New(rand.NewPCG(2, 2))
	sel := make([]int32, 0, benchRows)
	for i := range len(all) {
		if len(sel) < benchRows && r.IntN(5) != 0 {
			sel = append(sel, int32(i))
		}
	}
	pick := columnar.PickRows(batchOf(b, layout, all), sel)
	rows := make([]parquet.Row, len(sel))
	for k, i := range sel {
		rows[k] = all[i]
	}
	for _, tf := range textFormats() {
		enc, err := tf.f.NewEncoder(schema)
		if err != nil {
			b.Fatal(err)
		}
		for _, way := range []struct {
			name   string
			encode func() (sinks.Chunk, error)
		}{
			{"rows", func() (sinks.Chunk, error) { return enc.Encode(&sliceReader{rows: rows}) }},
			{"pick", func() (sinks.Chunk, error) { return enc.(sinks.BatchEncoder).EncodeBatches([]columnar.Rows{pick}) }},
		} {
			b.Run(tf.name+"-"+way.name, func(b *testing.B) {
				b.SetBytes(rawSize(rows))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := way.encode(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
