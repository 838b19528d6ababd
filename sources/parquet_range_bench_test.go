package sources_test

import (
	"fmt"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/sources"
)

// benchOneRowGroup writes rows generated rows in a single row group, as
// pandas and Polars often write, and returns its path.
func benchOneRowGroup(b *testing.B, rows int64) string {
	b.Helper()
	paths, err := gendata.Write(b.Context(), b.TempDir(), gendata.Config{Rows: rows, RowGroupRows: rows, Seed: 1, Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	return paths[0]
}

func openBench(b *testing.B, path string) *sources.Parquet {
	b.Helper()
	p, err := sources.OpenParquetFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// BenchmarkReadBatchRange decodes a 500,000-row row group in units of
// fewer rows, as the engine reads a large row group, into a reused batch
// (as the engine's readers recycle theirs); compare with BenchmarkReadBatch,
// which decodes whole row groups.
func BenchmarkReadBatchRange(b *testing.B) {
	const rows = 500_000
	p := openBench(b, benchOneRowGroup(b, rows))
	benchReadRanges(b, p, rows, 10_000, 100_000, rows)
}

// BenchmarkReadOnePageRowGroup decodes a 122,880-row row group written
// with one page per column chunk, as DuckDB writes them, whole (unit=122880)
// and in two units, as the engine cut such row groups until it read them
// whole (pipeline/engine_units.go): each unit decompresses and decodes every
// page whole, so two units cost about twice the decoding of one.
func BenchmarkReadOnePageRowGroup(b *testing.B) {
	const rows = 122_880
	paths, err := gendata.Write(b.Context(), b.TempDir(), gendata.Config{Rows: rows, RowGroupRows: rows, Seed: 1, Workers: 1, PageBufferSize: 256 << 20})
	if err != nil {
		b.Fatal(err)
	}
	p := openBench(b, paths[0])
	if starts, err := p.PageStarts(0); err != nil || len(starts) != 1 {
		b.Fatalf("page starts %v (%v), want one page", starts, err)
	}
	benchReadRanges(b, p, rows, rows, rows/2)
}

// BenchmarkReadRowGroupRange reads the same units as rows: the path of
// grouped jobs and of formats without a columnar encoder.
func BenchmarkReadRowGroupRange(b *testing.B) {
	const rows = 500_000
	p := openBench(b, benchOneRowGroup(b, rows))
	for _, unit := range []int64{10_000, 100_000} {
		b.Run(fmt.Sprintf("unit=%d", unit), func(b *testing.B) {
			b.SetBytes(p.Size())
			b.ReportAllocs()
			for b.Loop() {
				for first := int64(0); first < rows; first += unit {
					want := min(unit, rows-first)
					var got int64
					err := p.ReadRowGroupRange(b.Context(), 0, first, want, 1024, func(rows []parquet.Row) error {
						got += int64(len(rows))
						return nil
					})
					if err != nil {
						b.Fatal(err)
					}
					if got != want {
						b.Fatalf("%d rows, want %d", got, want)
					}
				}
			}
		})
	}
}

// BenchmarkFirstRange opens a file holding one 500,000-row row group and
// decodes 1,000 rows from its middle: the footer, then the row group's page
// locations, which the first range of a row group finds (and later ranges
// find cached).
func BenchmarkFirstRange(b *testing.B) {
	path := benchOneRowGroup(b, 500_000)
	b.ReportAllocs()
	for b.Loop() {
		p, err := sources.OpenParquetFile(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.ReadBatchRangeInto(b.Context(), 0, 250_000, 1000, nil); err != nil {
			b.Fatal(err)
		}
		p.Close()
	}
}

// benchReadRanges reads row group 0 of p, of rows rows, in ranges of
// each of units rows, a sub-benchmark each, reusing the batch, and
// reports the process's CPU time per op beside the wall time.
func benchReadRanges(b *testing.B, p *sources.Parquet, rows int64, units ...int64) {
	for _, unit := range units {
		b.Run(fmt.Sprintf("unit=%d", unit), func(b *testing.B) {
			b.SetBytes(p.Size())
			b.ReportAllocs()
			var reuse *columnar.Batch
			cpu := processCPU(b)
			for b.Loop() {
				for first := int64(0); first < rows; first += unit {
					n := min(unit, rows-first)
					batch, err := p.ReadBatchRangeInto(b.Context(), 0, first, n, reuse)
					if err != nil {
						b.Fatal(err)
					}
					if int64(batch.Len) != n {
						b.Fatalf("%d rows, want %d", batch.Len, n)
					}
					reuse = batch
				}
			}
			reportCPU(b, cpu)
		})
	}
}
