package sinks_test

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// BenchmarkStreamWide streams a row group of the peers' wide shape (20
// string columns of about 23 bytes, 32K rows given 4096 at a time) and
// appends it to a file, as a job that streams its output row groups
// does: its pages in a pool's blocks ("blocks"), in a temporary file
// ("files"), and, for comparison, all columns through parquet-go with
// pages in files (what streams did before the page writer ran in them,
// "parquet-go-files") and the row group encoded whole ("held"). Each row
// group is released once written, so what is reused counts as in a run.
func BenchmarkStreamWide(b *testing.B) {
	const cols, rows, piece = 20, benchRows / 4, 4096
	group := parquet.Group{}
	for c := range cols {
		group[fmt.Sprintf("s%02d", c)] = parquet.String()
	}
	schema := parquet.NewSchema("wide", group)
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	var parts []columnar.Rows
	var size int64
	for lo := 0; lo < rows; lo += piece {
		batch, n := wideBatch(b, layout, cols, piece, r)
		size += n
		parts = append(parts, batch)
	}
	for _, tc := range []string{"held", "blocks", "files", "parquet-go-files"} {
		b.Run(tc, func(b *testing.B) {
			enc, err := sinks.NewRowGroupEncoder(schema, sinks.ParquetOptions{})
			if err != nil {
				b.Fatal(err)
			}
			opts := sinks.StreamOptions{Checked: true, Dir: b.TempDir()}
			switch tc {
			case "blocks":
				opts.Blocks = sinks.NewBlockPool(64 << 20)
			case "parquet-go-files":
				sinks.WithoutPageWriter(enc)
			}
			b.SetBytes(size)
			b.ReportAllocs()
			start := cpuTime(b)
			for b.Loop() {
				var g *sinks.EncodedRowGroup
				if tc == "held" {
					g, err = enc.EncodeBatches(parts)
				} else {
					g, err = streamParts(enc, opts, parts)
				}
				if err != nil {
					b.Fatal(err)
				}
				w, err := sinks.NewParquetFileWriter(io.Discard, schema, sinks.ParquetOptions{}, nil)
				if err != nil {
					b.Fatal(err)
				}
				if err := w.Append(g); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
				g.Release()
			}
			reportCPU(b, start)
		})
	}
}

// streamParts streams parts, one WriteBatches each, and finishes.
func streamParts(enc *sinks.RowGroupEncoder, opts sinks.StreamOptions, parts []columnar.Rows) (*sinks.EncodedRowGroup, error) {
	s, err := enc.NewStreamWith(opts)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for _, p := range parts {
		if err := s.WriteBatches([]columnar.Rows{p}); err != nil {
			return nil, err
		}
	}
	return s.Finish()
}

// BenchmarkSampleDecision is EncodingAuto's decision for the sample of a
// row group of the wide shape (4,096 rows of 20 string columns, as a pick
// of two batches' rows): from parquet.Values cloned out of the batches,
// as streams of batches decided up to this change ("values"), and from
// the rows where they sit ("rows"); both by raw sizes, the rule of 0.7.0
// and --compressed-pricing=false (0.8.0's default prices the sample's
// values compressed, whichever way it is held).
func BenchmarkSampleDecision(b *testing.B) {
	const cols, rows = 20, sinks.DictionarySampleRows
	group := parquet.Group{}
	for c := range cols {
		group[fmt.Sprintf("s%02d", c)] = parquet.String()
	}
	schema := parquet.NewSchema("wide", group)
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		b.Fatal(err)
	}
	enc, err := sinks.NewRowGroupEncoder(schema, sinks.ParquetOptions{RawDictionaryPricing: true})
	if err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(4, 4))
	var srcs []*columnar.Batch
	var size int64
	for range 2 {
		batch, n := wideBatch(b, layout, cols, rows, r)
		size += n
		srcs = append(srcs, batch)
	}
	refs := make([]columnar.Ref, rows)
	for k := range refs {
		refs[k] = columnar.Ref{Batch: int32(k % 2), Row: int32(r.IntN(rows))}
	}
	segs := []columnar.Rows{columnar.NewPick(srcs, refs)}
	size /= 2
	b.Run("values", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			for c := range cols {
				vals := segs[0].AppendValues(nil, c, 0, rows)
				for i := range vals {
					vals[i] = vals[i].Clone()
				}
				decisionSink = sinks.PaysDictionary(parquet.ByteArray, vals)
			}
		}
	})
	b.Run("rows", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		for b.Loop() {
			decisionSink = sinks.DictionaryRows(enc, segs)[0]
		}
	})
}

// decisionSink keeps the benchmarks' decisions live.
var decisionSink bool

// wideBatch returns a batch of rows rows of layout's cols string columns,
// each value 16 to 31 random letters from r, and the values' bytes.
func wideBatch(b *testing.B, layout columnar.Layout, cols, rows int, r *rand.Rand) (*columnar.Batch, int64) {
	batch := columnar.New(layout, rows)
	var size int64
	for range rows {
		for c := range cols {
			v := make([]byte, 16+r.IntN(16))
			for i := range v {
				v[i] = byte('a' + r.IntN(26))
			}
			size += int64(len(v))
			if err := batch.Cols[c].AppendValue(parquet.ByteArrayValue(v).Level(0, 0, c)); err != nil {
				b.Fatal(err)
			}
		}
	}
	batch.Len = rows
	return batch, size
}
