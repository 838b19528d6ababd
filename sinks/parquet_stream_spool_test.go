package sinks_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// stringsSchema is a schema whose every column the page writer writes,
// so that a spooled row group keeps its pages where its stream left them.
func stringsSchema() *parquet.Schema {
	return parquet.NewSchema("t", parquet.Group{
		"a": parquet.String(),
		"b": parquet.Optional(parquet.String()),
		"c": parquet.Int(64),
		"d": parquet.Optional(parquet.Leaf(parquet.DoubleType)),
	})
}

// A stream holding its pages in blocks, in a temporary file beyond them,
// or both, writes the bytes of the same rows encoded at once, whether
// its row group keeps its pages there (every column the page writer's)
// or is joined in one buffer (columns parquet-go writes, long page
// bounds): every schema without repeated fields, pools of no block, one
// block and room for all, with and without a directory. Once released,
// the row group gives back every block and leaves no file.
func TestSpooledStreamMatchesEncode(t *testing.T) {
	options := []struct {
		name string
		opts sinks.ParquetOptions
	}{
		{"default", sinks.ParquetOptions{}},
		{"plain", sinks.ParquetOptions{Encoding: sinks.EncodingPlain}},
		{"dict-small-pages", sinks.ParquetOptions{Encoding: sinks.EncodingPlain, Dictionary: true, PageBufferSize: 1024}},
		{"zstd-small-pages", sinks.ParquetOptions{Compression: "zstd", PageBufferSize: 300}},
	}
	schemas := []schemaCase{{"strings", stringsSchema()}, {"typical", typicalSchema()}}
	for _, sc := range testSchemas() {
		if _, err := columnar.LayoutOf(sc.schema); err == nil {
			schemas = append(schemas, sc)
		}
	}
	pools := []struct {
		name   string
		budget int64 // <0: no pool
		dir    bool
	}{
		{"file", -1, true},
		{"one-block", sinks.SpoolBlockBytes, true},
		{"blocks", 64 * sinks.SpoolBlockBytes, true},
		{"blocks-no-dir", 0, false},
	}
	for _, sc := range schemas {
		layout, err := columnar.LayoutOf(sc.schema)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range options {
			enc, err := sinks.NewRowGroupEncoder(sc.schema, o.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, n := range []int{1, 65, 3000, 9000} {
				rows := newRowGen(sc.schema, uint64(n)).rows(n)
				if sc.name == "strings" && n == 3000 {
					// Long values: pages whose bounds are trimmed.
					for i := 1000; i < 1100; i++ {
						rows[i][0] = parquet.ByteArrayValue(bytes.Repeat([]byte{0xff}, 5000)).Level(0, 0, 0)
					}
				}
				want, err := enc.Encode(&sliceReader{rows: rows})
				if err != nil {
					t.Fatal(err)
				}
				wantFile := writeFile(t, sc.schema, o.opts, nil, []*sinks.EncodedRowGroup{want})
				for _, p := range pools {
					t.Run(fmt.Sprintf("%s/%s/%d/%s", sc.name, o.name, n, p.name), func(t *testing.T) {
						var pool *sinks.BlockPool
						if p.budget >= 0 {
							pool = sinks.NewBlockPool(p.budget)
						}
						opts := sinks.StreamOptions{Checked: true, Blocks: pool}
						if p.dir {
							opts.Dir = t.TempDir()
						}
						s, err := enc.NewStreamWith(opts)
						if err != nil {
							t.Fatal(err)
						}
						r := rand.New(rand.NewPCG(uint64(n), 13))
						parts := batchesOf(t, layout, rows, r)
						for len(parts) > 0 {
							k := min(len(parts), 1+r.IntN(3))
							if err := s.WriteBatches(parts[:k]); err != nil {
								t.Fatal(err)
							}
							parts = parts[k:]
						}
						g, err := s.Finish()
						if err != nil {
							t.Fatal(err)
						}
						if err := s.Close(); err != nil {
							t.Fatal(err)
						}
						// Twice: appending does not use the pages up.
						got := writeFile(t, sc.schema, o.opts, nil, []*sinks.EncodedRowGroup{g, g})
						wantTwice := writeFile(t, sc.schema, o.opts, nil, []*sinks.EncodedRowGroup{want, want})
						if !bytes.Equal(got, wantTwice) {
							samePages(t, got, wantTwice)
							t.Fatalf("spooled file differs (%d vs %d bytes)", len(got), len(wantTwice))
						}
						if got := writeFile(t, sc.schema, o.opts, nil, []*sinks.EncodedRowGroup{g}); !bytes.Equal(got, wantFile) {
							t.Fatal("spooled file of one row group differs")
						}
						allOwn := !strings.Contains(fmt.Sprint(sinks.OwnColumns(enc)), "false")
						// Long values too: their pages' bounds are left out
						// as the page writer writes them, so no row group
						// of its columns is read back to trim them.
						if spooled := sinks.Spooled(g); spooled != allOwn {
							t.Errorf("row group kept its pages in the spool: %v, want %v", spooled, allOwn)
						}
						if got := !enc.StreamReadsBack(true); got != allOwn {
							t.Errorf("StreamReadsBack says none is read back: %v, want %v", got, allOwn)
						}
						if p.dir && p.budget == 64*sinks.SpoolBlockBytes && allOwn {
							if left := dirFiles(t, opts.Dir); left != 0 {
								t.Errorf("with room in blocks for every page, %d temporary files", left)
							}
						}
						g.Release()
						if p.dir {
							if left := dirFiles(t, opts.Dir); left != 0 {
								t.Errorf("%d temporary files left after Release", left)
							}
						}
						if pool != nil {
							if free, made := sinks.FreeBlocks(pool); free != made || int64(made)*sinks.SpoolBlockBytes > max(p.budget, 0) {
								t.Errorf("pool of %d bytes made %d blocks, %d given back", p.budget, made, free)
							}
						}
					})
				}
			}
		}
	}
}

// dirFiles returns the number of files in dir.
func dirFiles(t *testing.T, dir string) int {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

// A spooled stream holds its pages in at most its pool's blocks, the
// rest in its temporary file: 64 MiB of string rows through a pool of
// 4 MiB leave a live heap of a few MiB, and the pool never makes more
// than its budget.
func TestSpooledStreamHoldsBlocks(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{"a": parquet.String(), "b": parquet.String()})
	enc, err := sinks.NewRowGroupEncoder(schema, sinks.ParquetOptions{Compression: "none"})
	if err != nil {
		t.Fatal(err)
	}
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	const rowBytes, pieceRows, pieces = 1024, 1000, 64
	r := rand.New(rand.NewPCG(1, 2))
	value := func() []byte {
		b := make([]byte, rowBytes/2)
		for i := range b {
			b[i] = byte('a' + r.IntN(26)) // little to compress, too many values for a dictionary
		}
		return b
	}
	pool := sinks.NewBlockPool(4 * sinks.SpoolBlockBytes)
	dir := t.TempDir()
	s, err := enc.NewStreamWith(sinks.StreamOptions{Checked: true, Blocks: pool, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	for range pieces {
		b := columnar.New(layout, pieceRows)
		for range pieceRows {
			for c := range 2 {
				if err := b.Cols[c].AppendValue(parquet.ByteArrayValue(value()).Level(0, 0, c)); err != nil {
					t.Fatal(err)
				}
			}
		}
		b.Len = pieceRows
		if err := s.WriteBatches([]columnar.Rows{b}); err != nil {
			t.Fatal(err)
		}
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	given := int64(rowBytes * pieceRows * pieces)
	if live := int64(after.HeapAlloc) - int64(before.HeapAlloc); live > given/8 {
		t.Errorf("stream of %d MiB of rows holds %d MiB of live heap, want under %d MiB", given>>20, live>>20, given>>23)
	}
	if pool.Bytes() > 4*sinks.SpoolBlockBytes {
		t.Errorf("pool of 4 MiB holds %d bytes", pool.Bytes())
	}
	if dirFiles(t, dir) == 0 {
		t.Error("pages beyond the pool's blocks went to no temporary file")
	}
	g, err := s.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if g.NumRows() != pieceRows*pieces || !sinks.Spooled(g) {
		t.Fatalf("NumRows = %d, spooled %v", g.NumRows(), sinks.Spooled(g))
	}
	g.Release()
	if free, made := sinks.FreeBlocks(pool); free != made || dirFiles(t, dir) != 0 {
		t.Fatalf("after Release: %d of %d blocks free, %d files", free, made, dirFiles(t, dir))
	}
}

// A stream given pieces of parallelRows rows or more writes half of its
// page writers' columns on another goroutine (writeOwn), both halves
// moving pages into one spool: the bytes are those of the rows encoded at
// once, pieces large and small mixed, pages in blocks and a file.
func TestSpooledStreamParallelColumns(t *testing.T) {
	for _, sc := range []schemaCase{{"strings", stringsSchema()}, {"typical", typicalSchema()}} {
		layout, err := columnar.LayoutOf(sc.schema)
		if err != nil {
			t.Fatal(err)
		}
		enc, err := sinks.NewRowGroupEncoder(sc.schema, sinks.ParquetOptions{PageBufferSize: 4096})
		if err != nil {
			t.Fatal(err)
		}
		const n = 30000
		rows := newRowGen(sc.schema, n).rows(n)
		want, err := enc.Encode(&sliceReader{rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		wantFile := writeFile(t, sc.schema, sinks.ParquetOptions{PageBufferSize: 4096}, nil, []*sinks.EncodedRowGroup{want})
		s, err := enc.NewStreamWith(sinks.StreamOptions{Checked: true, Blocks: sinks.NewBlockPool(sinks.SpoolBlockBytes), Dir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(n, 17))
		parts := batchesOf(t, layout, rows, r)
		large := 0
		for len(parts) > 0 {
			k := min(len(parts), 1+r.IntN(16))
			m := 0
			for _, p := range parts[:k] {
				m += p.NumRows()
			}
			if m >= 1024 {
				large++
			}
			if err := s.WriteBatches(parts[:k]); err != nil {
				t.Fatal(err)
			}
			parts = parts[k:]
		}
		if large == 0 {
			t.Fatalf("%s: no piece of 1024 rows or more", sc.name)
		}
		g, err := s.Finish()
		if err != nil {
			t.Fatal(err)
		}
		got := writeFile(t, sc.schema, sinks.ParquetOptions{PageBufferSize: 4096}, nil, []*sinks.EncodedRowGroup{g})
		if !bytes.Equal(got, wantFile) {
			samePages(t, got, wantFile)
			t.Fatalf("%s: streamed file differs (%d vs %d bytes)", sc.name, len(got), len(wantFile))
		}
		g.Release()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
