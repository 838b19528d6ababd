package sinks_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// batchesOf holds rows column by column, cut into parts of random sizes
// (some empty), as the engine's routing produces them: batches, and picks
// of rows scattered over two batches in another order.
func batchesOf(t testing.TB, layout columnar.Layout, rows []parquet.Row, r *rand.Rand) []columnar.Rows {
	t.Helper()
	hold := func(rows []parquet.Row) *columnar.Batch {
		b := columnar.New(layout, len(rows))
		for _, row := range rows {
			for _, v := range row {
				if err := b.Cols[v.Column()].AppendValue(v); err != nil {
					t.Fatalf("AppendValue(%v): %v", v, err)
				}
			}
		}
		b.Len = len(rows)
		return b
	}
	var out []columnar.Rows
	for lo := 0; lo < len(rows) || len(out) == 0; {
		hi := min(len(rows), lo+r.IntN(300))
		if r.IntN(2) == 0 {
			out = append(out, hold(rows[lo:hi]))
			lo = hi
			continue
		}
		// Row k of the part is row at[k] of srcs[k%2], placed by a
		// permutation.
		var scattered [2][]parquet.Row
		refs := make([]columnar.Ref, hi-lo)
		for _, k := range r.Perm(hi - lo) {
			s := k % 2
			refs[k] = columnar.Ref{Batch: int32(s), Row: int32(len(scattered[s]))}
			scattered[s] = append(scattered[s], rows[lo+k])
		}
		out = append(out, columnar.NewPick([]*columnar.Batch{hold(scattered[0]), hold(scattered[1])}, refs))
		lo = hi
	}
	return out
}

// EncodeBatches writes the bytes Encode writes for the same rows: every
// schema without repeated fields, row counts around parquet-go's 64-row
// chunks and several pages per column, batches of random sizes, with and
// without dictionaries and with small pages.
func TestEncodeBatchesMatchesEncode(t *testing.T) {
	schemas := testSchemas()
	schemas = append(schemas, schemaCase{"struct", parquet.NewSchema("s", parquet.Group{
		"id": parquet.Int(64),
		"s": parquet.Optional(parquet.Group{
			"p": parquet.Optional(parquet.Int(32)),
			"q": parquet.String(),
			"t": parquet.Optional(parquet.Group{"u": parquet.Optional(parquet.Leaf(parquet.DoubleType))}),
		}),
	})}, schemaCase{"typical", typicalSchema()})
	options := []struct {
		name string
		opts sinks.ParquetOptions
	}{
		{"default", sinks.ParquetOptions{}},
		{"dict-small-pages", sinks.ParquetOptions{Dictionary: true, PageBufferSize: 1024}},
		{"zstd-small-pages", sinks.ParquetOptions{Compression: "zstd", PageBufferSize: 300}},
	}
	tested := 0
	for _, sc := range schemas {
		layout, err := columnar.LayoutOf(sc.schema)
		if err != nil {
			if !errors.Is(err, columnar.ErrRepeated) {
				t.Fatalf("%s: LayoutOf: %v", sc.name, err)
			}
			continue
		}
		tested++
		for _, o := range options {
			enc, err := sinks.NewRowGroupEncoder(sc.schema, o.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{0, 1, 63, 64, 65, 257, 3000} {
				t.Run(fmt.Sprintf("%s/%s/%d", sc.name, o.name, n), func(t *testing.T) {
					rows := newRowGen(sc.schema, uint64(n)).rows(n)
					want, err := enc.Encode(&sliceReader{rows: rows})
					if err != nil {
						t.Fatal(err)
					}
					r := rand.New(rand.NewPCG(uint64(n), 7))
					got, err := enc.EncodeBatches(batchesOf(t, layout, rows, r))
					if err != nil {
						t.Fatal(err)
					}
					if got.NumRows() != int64(n) {
						t.Fatalf("NumRows = %d, want %d", got.NumRows(), n)
					}
					wantFile := writeFile(t, sc.schema, o.opts, nil, []*sinks.EncodedRowGroup{want})
					gotFile := writeFile(t, sc.schema, o.opts, nil, []*sinks.EncodedRowGroup{got})
					if !bytes.Equal(gotFile, wantFile) {
						samePages(t, gotFile, wantFile)
						t.Fatalf("files differ (%d vs %d bytes)", len(gotFile), len(wantFile))
					}
					if n > 0 {
						_, back := readBack(t, gotFile)
						compareRows(t, "read back", concat(back), rows)
					}
				})
			}
		}
	}
	if tested < 5 {
		t.Fatalf("only %d schemas without repeated fields tested", tested)
	}
}

// A batch whose columns are not the encoder's schema's is refused, by the
// encoder of every format.
func TestEncodeBatchesRefusesOtherLayouts(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{"a": parquet.Int(64), "b": parquet.Optional(parquet.String())})
	good, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		layout columnar.Layout
		len    int // rows the batch claims
	}{
		{"fewer columns", good[:1], 0},
		{"other kind", columnar.Layout{{Kind: parquet.Int32, Width: 4}, good[1]}, 0},
		{"required for optional", columnar.Layout{good[0], {Kind: parquet.ByteArray}}, 0},
		{"rows disagree", good, 3},
	}
	formats := append(textFormats(), namedFormat{"parquet", sinks.Parquet(sinks.ParquetOptions{})})
	for _, tf := range formats {
		enc, err := tf.f.NewEncoder(schema)
		if err != nil {
			t.Fatal(err)
		}
		be, ok := enc.(sinks.BatchEncoder)
		if !ok {
			t.Fatalf("the %s encoder is not a BatchEncoder", tf.name)
		}
		for _, tt := range tests {
			t.Run(tf.name+"/"+tt.name, func(t *testing.T) {
				b := columnar.New(tt.layout, 0)
				b.Len = tt.len
				if _, err := be.EncodeBatches([]columnar.Rows{b}); err == nil {
					t.Fatal("EncodeBatches accepted a batch of another layout")
				}
			})
		}
	}
}

// A released row group's buffer holds the next one; files appended before
// the release keep their bytes (the file writer copies what it keeps).
func TestReleaseReusesBuffers(t *testing.T) {
	schema := typicalSchema()
	enc, err := sinks.NewRowGroupEncoder(schema, sinks.ParquetOptions{PageBufferSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	groups := splitRows(typicalRows(0, 6000), 2000, 2000, 2000)
	want := writeFile(t, schema, sinks.ParquetOptions{PageBufferSize: 4096}, nil, encodeGroups(t, enc, groups))

	var buf bytes.Buffer
	w, err := sinks.NewParquetFileWriter(&buf, schema, sinks.ParquetOptions{PageBufferSize: 4096}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, rows := range groups {
		g, err := enc.Encode(&sliceReader{rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Append(g); err != nil {
			t.Fatalf("Append(group %d): %v", i, err)
		}
		g.Release()
		g.Release() // a second release is harmless
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatal("releasing row groups after appending them changed the file")
	}
}
