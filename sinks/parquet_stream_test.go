package sinks_test

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// A row group streamed in pieces of any size has the bytes of the same
// rows encoded at once: rows (every schema, repeated fields included) and
// batches (schemas without repeated fields), with and without dictionaries
// and with small pages, so that pages close inside and across pieces. The
// caller's rows are overwritten after each call, which a stream that kept
// them would write.
func TestStreamMatchesEncode(t *testing.T) {
	options := []struct {
		name string
		opts sinks.ParquetOptions
	}{
		{"default", sinks.ParquetOptions{}},
		{"plain", sinks.ParquetOptions{Encoding: sinks.EncodingPlain}},
		{"dict-small-pages", sinks.ParquetOptions{Encoding: sinks.EncodingPlain, Dictionary: true, PageBufferSize: 1024}},
		{"zstd-small-pages", sinks.ParquetOptions{Compression: "zstd", PageBufferSize: 300}},
	}
	schemas := append(testSchemas(), schemaCase{"typical", typicalSchema()})
	for i, sc := range schemas {
		layout, lerr := columnar.LayoutOf(sc.schema)
		for _, o := range options {
			enc, err := sinks.NewRowGroupEncoder(sc.schema, o.opts)
			if err != nil {
				t.Fatal(err)
			}
			sizes := []int{0, 1, 63, 64, 65, 257, 3000}
			if i == len(schemas)-1 {
				// Around the end of EncodingAuto's sample.
				sizes = append(sizes, sinks.DictionarySampleRows-1, sinks.DictionarySampleRows+1, 9000)
			}
			for _, n := range sizes {
				t.Run(fmt.Sprintf("%s/%s/%d", sc.name, o.name, n), func(t *testing.T) {
					rows := newRowGen(sc.schema, uint64(n)).rows(n)
					want, err := enc.Encode(&sliceReader{rows: rows})
					if err != nil {
						t.Fatal(err)
					}
					wantFile := writeFile(t, sc.schema, o.opts, nil, []*sinks.EncodedRowGroup{want})
					r := rand.New(rand.NewPCG(uint64(n), 11))

					s := enc.NewStream(false)
					for lo := 0; lo < n; {
						hi := min(n, lo+r.IntN(300))
						piece := make([]parquet.Row, hi-lo)
						for k := range piece {
							piece[k] = rows[lo+k].Clone()
						}
						if err := s.WriteRows(piece); err != nil {
							t.Fatal(err)
						}
						for _, row := range piece {
							for k := range row {
								row[k] = parquet.Int32Value(-1)
							}
						}
						lo = hi
					}
					checkStream(t, s, n, wantFile, sc.schema, o.opts)

					if lerr != nil {
						if !errors.Is(lerr, columnar.ErrRepeated) {
							t.Fatalf("LayoutOf: %v", lerr)
						}
						return
					}
					s = enc.NewStream(true)
					parts := batchesOf(t, layout, rows, r)
					for len(parts) > 0 {
						k := min(len(parts), 1+r.IntN(3))
						if err := s.WriteBatches(parts[:k]); err != nil {
							t.Fatal(err)
						}
						parts = parts[k:]
					}
					checkStream(t, s, n, wantFile, sc.schema, o.opts)
				})
			}
		}
	}
}

// checkStream finishes s, which was given n rows, and compares the file of
// its row group with want.
func checkStream(t *testing.T, s *sinks.RowGroupStream, n int, want []byte, schema *parquet.Schema, opts sinks.ParquetOptions) {
	t.Helper()
	if s.NumRows() != int64(n) {
		t.Fatalf("NumRows = %d before Finish, want %d", s.NumRows(), n)
	}
	g, err := s.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if g.NumRows() != int64(n) {
		t.Fatalf("finished group holds %d rows, want %d", g.NumRows(), n)
	}
	got := writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{g})
	if !bytes.Equal(got, want) {
		samePages(t, got, want)
		t.Fatalf("streamed file differs (%d vs %d bytes)", len(got), len(want))
	}
	if _, err := s.Finish(); err == nil {
		t.Fatal("a second Finish succeeded")
	}
}

// A stream refuses what Encode refuses (a row of another schema, named by
// its index in the row group) and a mix of rows and batches.
func TestStreamRefuses(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{"a": parquet.Int(64)})
	enc, err := sinks.NewRowGroupEncoder(schema, sinks.ParquetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	good := parquet.Row{parquet.Int64Value(1).Level(0, 0, 0)}
	bad := parquet.Row{parquet.ByteArrayValue([]byte("x")).Level(0, 0, 0)}

	s := enc.NewStream(false)
	if err := s.WriteRows([]parquet.Row{good, good}); err != nil {
		t.Fatal(err)
	}
	err = s.WriteRows([]parquet.Row{good, bad})
	if !errors.Is(err, sinks.ErrInvalidRow) || !strings.Contains(err.Error(), "row 3") {
		t.Fatalf("WriteRows(bad row) = %v, want ErrInvalidRow at row 3", err)
	}
	if _, err := s.Finish(); err == nil {
		t.Fatal("Finish after an error succeeded")
	}

	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	s = enc.NewStream(true)
	if err := s.WriteRows([]parquet.Row{good}); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBatches([]columnar.Rows{columnar.New(layout, 0)}); err == nil {
		t.Fatal("WriteBatches after WriteRows succeeded")
	}
}

// A stream holds its row group encoded: 64 MiB of compressible rows,
// given a piece at a time and dropped after each, leave a live heap of
// a few MiB, where the rows held would take the 64 MiB.
func TestStreamHoldsEncodedBytes(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{"a": parquet.String(), "b": parquet.String()})
	enc, err := sinks.NewRowGroupEncoder(schema, sinks.ParquetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	const rowBytes, pieceRows, pieces = 1024, 1000, 64 // 1000 rows of 1 KiB per piece
	value := func(k int) []byte { return []byte(strings.Repeat(string(rune('a'+k%26)), rowBytes/2)) }
	for _, path := range []string{"rows", "batches"} {
		t.Run(path, func(t *testing.T) {
			s := enc.NewStream(true)
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			for p := range pieces {
				rows := make([]parquet.Row, pieceRows)
				for k := range rows {
					rows[k] = parquet.Row{
						parquet.ByteArrayValue(value(p+k)).Level(0, 0, 0),
						parquet.ByteArrayValue(value(p+k+1)).Level(0, 0, 1),
					}
				}
				if path == "rows" {
					err = s.WriteRows(rows)
				} else {
					b := columnar.New(layout, pieceRows)
					for _, row := range rows {
						for _, v := range row {
							if err := b.Cols[v.Column()].AppendValue(v); err != nil {
								t.Fatal(err)
							}
						}
					}
					b.Len = pieceRows
					err = s.WriteBatches([]columnar.Rows{b})
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			runtime.GC()
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			given := int64(rowBytes * pieceRows * pieces)
			live := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			if live > given/8 {
				t.Errorf("stream of %d MiB of rows holds %d MiB of live heap, want under %d MiB", given>>20, live>>20, given>>23)
			}
			g, err := s.Finish()
			if err != nil {
				t.Fatal(err)
			}
			if g.NumRows() != pieceRows*pieces {
				t.Fatalf("NumRows = %d", g.NumRows())
			}
			runtime.KeepAlive(s)
		})
	}
}
