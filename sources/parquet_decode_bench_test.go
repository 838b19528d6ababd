package sources_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/delta"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sources"
)

// decodeBenchRow is a row of the decode benchmarks' input: the column
// kinds of the issue 22 shapes (a Polars-written flights file: optional,
// dictionary-encoded int64 and strings; DuckDB's and ours: plain values
// beside them).
type decodeBenchRow struct {
	Delay  *int64  `parquet:"delay,optional,dict"`
	Origin *string `parquet:"origin,optional,dict"`
	ID     int64   `parquet:"id"`
	Text   string  `parquet:"text"`
}

// writeDecodeBench writes rows decodeBenchRows in one row group, every
// 50th row's origin null, with opts, and returns its path.
func writeDecodeBench(b *testing.B, rows int, opts ...parquet.WriterOption) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "decode.parquet")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := parquet.NewGenericWriter[decodeBenchRow](f, append([]parquet.WriterOption{parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(int64(rows))}, opts...)...)
	airports := make([]string, 300)
	for k := range airports {
		airports[k] = fmt.Sprintf("A%02d", k)
	}
	buf := make([]decodeBenchRow, 0, 4096)
	for i := range rows {
		r := decodeBenchRow{ID: int64(i) * 7919, Text: fmt.Sprintf("row %d of the decode benchmark", i)}
		d := int64(i*31%700 - 100)
		r.Delay = &d
		if i%50 != 0 {
			o := airports[i*17%len(airports)]
			r.Origin = &o
		}
		buf = append(buf, r)
		if len(buf) == cap(buf) || i == rows-1 {
			if _, err := w.Write(buf); err != nil {
				b.Fatal(err)
			}
			buf = buf[:0]
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkDecodeColumns decodes a 400,000-row row group of plain and
// dictionary-encoded int64 and string columns, whole and in units of
// 40,000 rows as the engine cuts a large row group, into a reused batch
// (as the engine's readers recycle theirs): the decode path with its
// allocations.
func BenchmarkDecodeColumns(b *testing.B) {
	const rows = 400_000
	p := openBench(b, writeDecodeBench(b, rows))
	benchReadRanges(b, p, rows, 40_000, rows)
}

// BenchmarkDecodePages decodes BenchmarkDecodeColumns' row group whole
// into a reused batch with direct page decoding and with parquet-go's
// pages: the allocations direct decoding spares (parquet-go's page
// buffers, from pools the collector empties, are fresh memory once a
// cycle has run).
func BenchmarkDecodePages(b *testing.B) {
	const rows = 400_000
	p := openBench(b, writeDecodeBench(b, rows))
	for _, way := range []struct {
		name string
		off  bool
	}{{"direct", false}, {"parquet-go", true}} {
		b.Run("pages="+way.name, func(b *testing.B) {
			defer sources.SetDirectOff(way.off)()
			benchReadRanges(b, p, rows, rows)
		})
	}
}

// BenchmarkDecodeDeltaPages is BenchmarkDecodePages with the plain
// columns delta-encoded, as parquet-go writes them by default for strings
// (DELTA_LENGTH_BYTE_ARRAY) and on request for integers
// (DELTA_BINARY_PACKED): what direct decoding of those pages saves.
func BenchmarkDecodeDeltaPages(b *testing.B) {
	const rows = 400_000
	p := openBench(b, writeDecodeBench(b, rows,
		parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaLengthByteArray),
		parquet.DefaultEncodingFor(parquet.Int64, &parquet.DeltaBinaryPacked)))
	for _, way := range []struct {
		name string
		off  bool
	}{{"direct", false}, {"parquet-go", true}} {
		b.Run("pages="+way.name, func(b *testing.B) {
			defer sources.SetDirectOff(way.off)()
			benchReadRanges(b, p, rows, 40_000, rows)
		})
	}
}

// BenchmarkDeltaLengthByteArray decodes a page of 20,000 strings of 5 to
// 60 bytes, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY, into a reused
// column with reused buffers, as direct decoding does, and with
// parquet-go's decoder into reused buffers (which still leaves the copy
// into a batch to do).
func BenchmarkDeltaLengthByteArray(b *testing.B) {
	const n = 20_000
	rng := rand.New(rand.NewPCG(1, 2))
	var data []byte
	offsets := []uint32{0}
	for range n {
		data = append(data, fmt.Sprintf("%0*d", 5+rng.IntN(56), rng.Uint64())...)
		offsets = append(offsets, uint32(len(data)))
	}
	for _, enc := range []struct {
		name     string
		prefixed bool
		enc      interface {
			EncodeByteArray(dst, src []byte, offsets []uint32) ([]byte, error)
			DecodeByteArray(dst, src []byte, offsets []uint32) ([]byte, []uint32, error)
		}
	}{{"lengths", false, new(delta.LengthByteArrayEncoding)}, {"prefixes", true, new(delta.ByteArrayEncoding)}} {
		src, err := enc.enc.EncodeByteArray(nil, data, offsets)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("encoding="+enc.name+"/decoder=direct", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			col := &columnar.Column{Type: columnar.Type{Kind: parquet.ByteArray}}
			bufs := new(sources.PageBuffers)
			cpu := processCPU(b)
			for b.Loop() {
				col.Offsets, col.Bytes = col.Offsets[:0], col.Bytes[:0]
				if err := sources.AppendDeltaLengths(col, n, nil, src, enc.prefixed, bufs); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
		b.Run("encoding="+enc.name+"/decoder=parquet-go", func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			var values []byte
			var offs []uint32
			cpu := processCPU(b)
			for b.Loop() {
				if values, offs, err = enc.enc.DecodeByteArray(values, src, offs); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}
