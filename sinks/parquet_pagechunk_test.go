package sinks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// A page writer is kept for the next row group only while its page
// scratch is within PooledWriterBytes, which the memory plan counts: one
// whose page held a value far larger than a page is dropped, and one of
// ordinary pages is kept.
func TestPooledWriterScratchBounded(t *testing.T) {
	schema := parquet.NewSchema("m", parquet.Group{
		"a": parquet.Int(64),
		"s": parquet.String(),
	})
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	for _, tc := range []struct {
		name string
		long int // length of row 0's string; the others are short
		kept bool
	}{
		{"short values", 8, true},
		{"a value of 64 pages", 64 * page, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := ParquetOptions{Encoding: EncodingPlain, PageBufferSize: page, Compression: "none"}
			e, err := NewRowGroupEncoder(schema, opts)
			if err != nil {
				t.Fatal(err)
			}
			b := columnar.New(layout, 5000)
			for r := range 5000 {
				s := fmt.Sprintf("%08d", r)
				if r == 0 {
					s = strings.Repeat("x", tc.long)
				}
				for _, v := range []parquet.Value{parquet.Int64Value(int64(r)).Level(0, 0, 0), parquet.ByteArrayValue([]byte(s)).Level(0, 0, 1)} {
					if err := b.Cols[v.Column()].AppendValue(v); err != nil {
						t.Fatal(err)
					}
				}
				b.Len++
			}
			g, err := e.EncodeBatches([]columnar.Rows{b})
			if err != nil {
				t.Fatal(err)
			}
			g.Release()
			bound := PooledWriterBytes(page)
			kept := false
			for c := range e.pagers {
				for _, w := range e.pagers[c].free {
					if n := w.scratchSize(); n > bound {
						t.Errorf("column %d: a writer of %d bytes of scratch is kept, above PooledWriterBytes(%d) = %d", c, n, page, bound)
					}
					kept = kept || c == 1
				}
			}
			if kept != tc.kept {
				t.Errorf("the string column's writer kept: %v, want %v", kept, tc.kept)
			}
		})
	}
}
