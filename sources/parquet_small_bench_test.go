package sources_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sources"
)

// BenchmarkOpenReadSmall opens a small Parquet file (one row group of
// 10,000 rows, snappy, as each of a many-file dataset's), decodes it
// whole and closes it: the fixed costs per input that dominate when
// there are hundreds (the footer, the page-header checks, the reads).
// SPLITDATA_SMALL_PARQUET names another file to read instead.
func BenchmarkOpenReadSmall(b *testing.B) {
	path := os.Getenv("SPLITDATA_SMALL_PARQUET")
	if path == "" {
		data := writeWide(b, wideRows(10_000, 5), nil, parquet.Compression(&parquet.Snappy), parquet.MaxRowsPerRowGroup(10_000))
		path = filepath.Join(b.TempDir(), "small.parquet")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var reuse *columnar.Batch
	b.ReportAllocs()
	for b.Loop() {
		p, err := sources.OpenParquetFile(path)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(p.Size())
		for i := range p.NumRowGroups() {
			if reuse, err = p.ReadBatchInto(b.Context(), i, reuse); err != nil {
				b.Fatal(err)
			}
		}
		if err := p.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
