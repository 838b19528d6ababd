package sources_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sources"
)

// TestFloat16Schema opens the corpus files with FLOAT16 columns: the
// schema a Parquet source presents must keep the annotation parquet-go
// drops (else outputs lose it and DuckDB reads BLOB), on exactly those
// leaves, and the rows must read as before. Files without FLOAT16 have
// none (their schema is parquet-go's own, as the golden tests require).
func TestFloat16Schema(t *testing.T) {
	tests := []struct {
		file string
		want []string // FLOAT16 leaves, in column order
	}{
		{"float16_zeros_and_nans.parquet", []string{"x"}},
		{"float16_nonzeros_and_nans.parquet", []string{"x"}},
		{"floating_orders_nan_count.parquet", []string{"float16_ieee754", "float16_typedef"}},
		{"byte_stream_split_extended.gzip.parquet", []string{"float16_plain", "float16_byte_stream_split"}},
		{"alltypes_plain.parquet", nil},
		{"fixed_length_byte_array.parquet", nil},
	}
	dir := corpusData(t)
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p, err := sources.OpenParquetFile(filepath.Join(dir, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			schema := p.Schema()
			var got []string
			for _, path := range schema.Columns() {
				leaf, _ := schema.Lookup(path...)
				if lt := leaf.Node.Type().LogicalType(); lt != nil {
					if _, ok := lt.Value.(*format.Float16Type); ok {
						if k, n := leaf.Node.Type().Kind(), leaf.Node.Type().Length(); k != parquet.FixedLenByteArray || n != 2 {
							t.Errorf("%s: FLOAT16 on %v(%d)", strings.Join(path, "."), k, n)
						}
						got = append(got, strings.Join(path, "."))
					}
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("FLOAT16 leaves %q, want %q", got, tt.want)
			}
			rows := 0
			for i := range p.NumRowGroups() {
				if err := p.ReadRowGroup(context.Background(), i, 64, func(r []parquet.Row) error { rows += len(r); return nil }); err != nil {
					t.Fatal(err)
				}
			}
			if int64(rows) != p.NumRows() {
				t.Errorf("read %d rows, footer says %d", rows, p.NumRows())
			}
		})
	}
}
