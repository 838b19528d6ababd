package sinks_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// repeat returns n copies of v.
func repeat(v int32, n int) []int32 { return slices.Repeat([]int32{v}, n) }

// TestIndexRuns checks the bytes of the 0.7.0 index encoder against the
// format (apache/parquet-format Encodings.md) and the rule of
// docs/algorithm.md, worked out by hand.
func TestIndexRuns(t *testing.T) {
	cases := []struct {
		name string
		idx  []int32
		want []byte
	}{
		// As parquet-go writes it: width 0, an RLE run of no values.
		{"empty", nil, []byte{0, 0}},
		// Width 0: one RLE run, no value bytes.
		{"zeros", repeat(0, 20), []byte{0, 20 << 1}},
		// Width 1, 3 values, fewer than a group: RLE runs of 1, as
		// parquet-go writes a page's last values.
		{"short", []int32{1, 0, 1}, []byte{1, 2, 1, 2, 0, 2, 1}},
		// Width 14: 11 equal values pay as a run (154 bits > 4 bytes): a
		// 2-byte value, 11 << 1 = 22.
		{"one run", repeat(10000, 11), []byte{14, 22, 0x10, 0x27}},
		// Width 10: two runs back to back, no packing between them,
		// whatever their alignment (4 values: 40 bits > 4 bytes).
		{"runs", append(repeat(1000, 4), repeat(1001, 5)...), []byte{10, 8, 0xe8, 0x03, 10, 0xe9, 0x03}},
		// 3 values (30 bits) do not pay: packed, 8 values in 10 bytes.
		{"runs too short", append(repeat(1, 3), repeat(1000, 5)...), []byte{10, 1<<1 | 1, 1, 4, 16, 0, 0xfa, 0xe8, 0xa3, 0x8f, 0x3e, 0xfa}},
		// Width 2: a run of 2 does not pay (4 bits against 3 bytes): 8
		// values bit-packed, then the last 2 as runs.
		{"run too short", []int32{3, 3, 1, 2, 0, 0, 1, 1, 2, 3}, []byte{2, 1<<1 | 1, 0b10_01_11_11, 0b01_01_00_00, 2, 2, 2, 3}},
		// Width 1: 9 values wait (2 groups); 7 of the next run complete
		// the second group, its other 40 pay as a run (40 bits > 3 bytes).
		{"steal to fill a group", append([]int32{1, 0, 1, 0, 1, 0, 1, 0, 1}, repeat(0, 47)...),
			[]byte{1, 2<<1 | 1, 0b01010101, 0b00000001, 40 << 1, 0}},
		// Width 1: 24 equal values cost exactly 3 bytes as a run: packed.
		{"run at the bar", append([]int32{1}, repeat(0, 31)...), []byte{1, 4<<1 | 1, 1, 0, 0, 0}},
		// 25 after the 7 that fill the group do pay.
		{"run past the bar", append([]int32{1}, repeat(0, 32)...), []byte{1, 1<<1 | 1, 1, 25 << 1, 0}},
		// Width 32: the value takes 4 bytes.
		{"width 32", repeat(-1, 3), []byte{32, 6, 0xff, 0xff, 0xff, 0xff}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := sinks.AppendIndexRuns(nil, tc.idx)
			if !bytes.Equal(got, tc.want) {
				t.Errorf("AppendIndexRuns(%v)\n got %#v\nwant %#v", tc.idx, got, tc.want)
			}
			checkIndexRuns(t, tc.idx, got)
		})
	}
}

// checkIndexRuns decodes enc with parquet-go's decoder and checks that it
// holds idx, followed by no more than the padding of a group.
func checkIndexRuns(t *testing.T, idx []int32, enc []byte) {
	t.Helper()
	var dec rle.DictionaryEncoding
	got, err := dec.DecodeInt32(nil, enc)
	if err != nil {
		t.Fatalf("decode %v: %v", idx, err)
	}
	if len(got) < len(idx) || len(got) > len(idx)+7 || !slices.Equal(got[:len(idx)], idx) {
		t.Fatalf("decoded %d values %v, want %d values %v", len(got), got, len(idx), idx)
	}
	for _, v := range got[len(idx):] {
		if v != 0 {
			t.Fatalf("padding holds %d, want zeros", v)
		}
	}
}

// TestIndexRunsAsParquetGo checks that where no run pays and no group of
// 8 equal indexes lies on the page's grid, the 0.7.0 encoder writes
// parquet-go's bytes: high-cardinality pages of every length up to a few
// groups, and longer ones.
func TestIndexRunsAsParquetGo(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var enc rle.DictionaryEncoding
	for _, n := range append(slices.Collect(func(yield func(int) bool) {
		for n := range 40 {
			yield(n)
		}
	}), 1000, 4097, 100_000) {
		idx := make([]int32, n)
		for i := range idx {
			idx[i] = int32(r.IntN(1 << 20))
		}
		want, err := enc.EncodeInt32(nil, idx)
		if err != nil {
			t.Fatal(err)
		}
		if got := sinks.AppendIndexRuns(nil, idx); !bytes.Equal(got, want) {
			t.Errorf("%d random indexes: %d bytes, parquet-go's %d:\n got %x\nwant %x", n, len(got), len(want), got[:min(len(got), 64)], want[:min(len(want), 64)])
		}
	}
}

// TestIndexRunsRoundTrip encodes pages of runs of random lengths and
// widths, each read back by parquet-go's decoder, and checks that a
// clustered column (runs of about 11 indexes, as flights' dates) takes
// less than a third of the bytes of parquet-go's encoder.
func TestIndexRunsRoundTrip(t *testing.T) {
	seed := uint64(22)
	r := rand.New(rand.NewPCG(seed, 0))
	for range 300 {
		width := r.IntN(33)
		var idx []int32
		for n := r.IntN(3000); len(idx) < n; {
			v := int32(0)
			if width > 0 {
				v = int32(r.Uint32() >> (32 - width))
			}
			idx = append(idx, repeat(v, 1+r.IntN(1+r.IntN(40)))...)
		}
		checkIndexRuns(t, idx, sinks.AppendIndexRuns(nil, idx))
	}

	var idx []int32
	for v := int32(0); len(idx) < 131072; v++ {
		idx = append(idx, repeat(v, 6+r.IntN(11))...)
	}
	ours := sinks.AppendIndexRuns(nil, idx)
	var enc rle.DictionaryEncoding
	theirs, err := enc.EncodeInt32(nil, idx)
	if err != nil {
		t.Fatal(err)
	}
	if 3*len(ours) > len(theirs) {
		t.Errorf("clustered indexes (seed %d): %d bytes, parquet-go's %d: want under a third", seed, len(ours), len(theirs))
	}
	checkIndexRuns(t, idx, ours)
}

// FuzzIndexRuns checks that any page of indexes reads back whole.
func FuzzIndexRuns(f *testing.F) {
	f.Add([]byte{1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0}, uint8(3))
	f.Add(bytes.Repeat([]byte{7, 0, 0, 0}, 40), uint8(1))
	f.Fuzz(func(t *testing.T, raw []byte, shift uint8) {
		idx := make([]int32, len(raw)/4)
		for i := range idx {
			idx[i] = int32(binary.LittleEndian.Uint32(raw[4*i:]) >> (shift % 32) & 0x7fffffff)
		}
		checkIndexRuns(t, idx, sinks.AppendIndexRuns(nil, idx))
	})
}

// clusteredInput returns rows of a schema mixing columns splitdata's page
// writer covers with columns parquet-go writes (unsigned, fixed-size,
// nested, BOOLEAN), whose values come in runs of 1 to 30 equal values
// (sorted dates, labels in order), with nulls in runs too: the indexes
// of their dictionaries have runs that pay anywhere on the 8-value grid.
func clusteredInput(n int, seed uint64) (*parquet.Schema, []parquet.Row) {
	schema := parquet.NewSchema("clustered", parquet.Group{
		"a_date":  parquet.Timestamp(parquet.Microsecond),
		"b_label": parquet.Optional(parquet.String()),
		"c_u32":   parquet.Uint(32),
		"d_fixed": parquet.Optional(parquet.Leaf(parquet.FixedLenByteArrayType(4))),
		"e_s": parquet.Optional(parquet.Group{
			"code": parquet.Optional(parquet.Int(64)),
		}),
		"f_f64": parquet.Leaf(parquet.DoubleType),
	})
	r := rand.New(rand.NewPCG(seed, 7))
	next := make([]int, 6) // per column, the row its run ends at
	vals := make([]int, 6)
	null := make([]bool, 6)
	rows := make([]parquet.Row, n)
	for i := range rows {
		for c := range next {
			if i == next[c] {
				next[c] = i + 1 + r.IntN(1+r.IntN(30))
				vals[c] += 1 + r.IntN(2)
				null[c] = r.IntN(8) == 0
			}
		}
		v := vals
		row := parquet.Row{parquet.Int64Value(1_600_000_000_000_000+int64(v[0])*60_000_000).Level(0, 0, 0)}
		if null[1] {
			row = append(row, parquet.NullValue().Level(0, 0, 1))
		} else {
			row = append(row, parquet.ByteArrayValue(fmt.Appendf(nil, "label-%d", v[1]%300)).Level(0, 1, 1))
		}
		row = append(row, parquet.Int32Value(int32(v[2]%1000)).Level(0, 0, 2))
		if null[3] {
			row = append(row, parquet.NullValue().Level(0, 0, 3))
		} else {
			row = append(row, parquet.FixedLenByteArrayValue(binary.BigEndian.AppendUint32(nil, uint32(v[3]%50))).Level(0, 1, 3))
		}
		switch {
		case null[4] && v[4]%2 == 0:
			row = append(row, parquet.NullValue().Level(0, 0, 4))
		case null[4]:
			row = append(row, parquet.NullValue().Level(0, 1, 4))
		default:
			row = append(row, parquet.Int64Value(int64(v[4]%5000)).Level(0, 2, 4))
		}
		row = append(row, parquet.DoubleValue(float64(v[5]%2000)/4).Level(0, 0, 5))
		rows[i] = row
	}
	return schema, rows
}

// TestIndexRunsEveryPath writes clustered rows through every path that
// encodes a row group: the page writer (a stream, and EncodeBatches
// writing in place), parquet-go's writer given batches, rows (the row
// path), and a stream whose pages go to files. Each writes the same
// bytes, with the 0.7.0 runs and with AlignedIndexRuns (0.6.0's bytes,
// which parquet-go writes as they are), each with 0.8.0's dictionaries
// (priced compressed, their pages compressed by snappy's better encoder)
// and with RawDictionaryPricing (0.7.0's); the runs take fewer bytes, and
// every file reads back as its rows.
func TestIndexRunsEveryPath(t *testing.T) {
	type variant struct{ aligned, raw bool }
	for _, n := range []int{1, 200, 5000, 20000} {
		schema, rows := clusteredInput(n, uint64(n))
		layout, err := columnar.LayoutOf(schema)
		if err != nil {
			t.Fatal(err)
		}
		sizes := map[variant]int{}
		for _, v := range []variant{{false, false}, {true, false}, {false, true}, {true, true}} {
			opts := sinks.ParquetOptions{PageBufferSize: 4096, AlignedIndexRuns: v.aligned, RawDictionaryPricing: v.raw}
			name := fmt.Sprintf("rows=%d/aligned=%v/raw=%v", n, v.aligned, v.raw)
			t.Run(name, func(t *testing.T) {
				encoder := func(pageWriter bool) *sinks.RowGroupEncoder {
					e, err := sinks.NewRowGroupEncoder(schema, opts)
					if err != nil {
						t.Fatal(err)
					}
					if !pageWriter {
						sinks.WithoutPageWriter(e)
					}
					return e
				}
				file := func(g *sinks.EncodedRowGroup, err error) []byte {
					t.Helper()
					if err != nil {
						t.Fatal(err)
					}
					return writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{g})
				}
				stream := func(e *sinks.RowGroupEncoder, dir string) []byte {
					t.Helper()
					var s *sinks.RowGroupStream
					if dir == "" {
						s = e.NewStream(true)
					} else if s, err = e.NewStreamIn(true, dir); err != nil {
						t.Fatal(err)
					}
					defer s.Close()
					parts := batchesOf(t, layout, rows, rand.New(rand.NewPCG(uint64(n), 3)))
					for _, p := range parts {
						if err := s.WriteBatches([]columnar.Rows{p}); err != nil {
							t.Fatal(err)
						}
					}
					return file(s.Finish())
				}
				paths := []struct {
					name  string
					bytes func() []byte
				}{
					{"page writer stream", func() []byte { return stream(encoder(true), "") }},
					{"page writer in place", func() []byte {
						return file(encoder(true).EncodeBatches(batchesOf(t, layout, rows, rand.New(rand.NewPCG(uint64(n), 4)))))
					}},
					{"parquet-go batches", func() []byte { return stream(encoder(false), "") }},
					{"row path", func() []byte { return file(encoder(true).Encode(&sliceReader{rows: rows})) }},
					{"stream in files", func() []byte { return stream(encoder(true), t.TempDir()) }},
				}
				var want []byte
				for k, p := range paths {
					got := p.bytes()
					if k == 0 {
						want = got
						_, groups := readBack(t, got)
						compareRows(t, name, concat(groups), rows)
						if pages, better, _ := dictionaryPages(t, got); !v.raw && better != pages {
							t.Errorf("%s: %d of %d dictionary pages compressed by the better encoder, want all", p.name, better, pages)
						}
						continue
					}
					if !bytes.Equal(got, want) {
						samePages(t, got, want)
						diffFooters(t, got, want)
						t.Fatalf("%s wrote %d bytes, %s %d", p.name, len(got), paths[0].name, len(want))
					}
				}
				sizes[v] = len(want)
			})
		}
		t.Logf("%d rows: %v", n, sizes)
		for _, raw := range []bool{false, true} {
			if runs, aligned := sizes[variant{false, raw}], sizes[variant{true, raw}]; n >= 5000 && runs >= aligned {
				t.Errorf("%d rows, raw=%t: %d bytes with runs, %d aligned: want fewer", n, raw, runs, aligned)
			}
		}
	}
}

// BenchmarkIndexRuns encodes a 128K-value page of clustered indexes (runs
// of 6 to 16, as flights' dates) and one of random indexes, with the
// 0.7.0 encoder and with parquet-go's (0.6.0's), side by side.
func BenchmarkIndexRuns(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	var clustered, random []int32
	for v := int32(0); len(clustered) < 1<<17; v++ {
		clustered = append(clustered, repeat(v, 6+r.IntN(11))...)
	}
	for range 1 << 17 {
		random = append(random, int32(r.IntN(300)))
	}
	for _, in := range []struct {
		name string
		idx  []int32
	}{{"clustered", clustered}, {"random", random}} {
		var dst []byte
		b.Run(in.name+"/runs", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(4 * int64(len(in.idx)))
			for b.Loop() {
				dst = sinks.AppendIndexRuns(dst[:0], in.idx)
			}
		})
		b.Run(in.name+"/aligned", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(4 * int64(len(in.idx)))
			var enc rle.DictionaryEncoding
			for b.Loop() {
				dst, _ = enc.EncodeInt32(dst[:0], in.idx)
			}
		})
	}
}

// TestIndexRunsDuckDB has DuckDB read clustered rows written with the
// 0.7.0 runs, with 0.6.0's indexes, as 0.8.0 prices dictionaries and
// without dictionaries: every column must give DuckDB the same values
// (checksums) in each. It runs where
// TestDuckDBReadback does.
func TestIndexRunsDuckDB(t *testing.T) {
	node := duckNode(t)
	schema, rows := clusteredInput(30000, 5)
	dir := t.TempDir()
	cases := []struct {
		name string
		opts sinks.ParquetOptions
	}{
		// Priced raw (0.7.0's choice), the sorted dates get a dictionary;
		// priced compressed (0.8.0's default) they stay PLAIN, and the
		// other columns' dictionary pages take snappy's better encoder.
		{"runs", sinks.ParquetOptions{RawDictionaryPricing: true}},
		{"runs-zstd-small-pages", sinks.ParquetOptions{Compression: "zstd", PageBufferSize: 1000, RawDictionaryPricing: true}},
		{"aligned", sinks.ParquetOptions{AlignedIndexRuns: true, RawDictionaryPricing: true}},
		{"priced", sinks.ParquetOptions{}},
		{"plain", sinks.ParquetOptions{Encoding: sinks.EncodingPlain}},
	}
	var paths []string
	for _, tc := range cases {
		enc, err := sinks.NewRowGroupEncoder(schema, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		data := writeFile(t, schema, tc.opts, nil, encodeGroups(t, enc, splitRows(rows, 7000, 13000, 10000)))
		if tc.name == "runs" && !slices.Contains(rawFooter(t, data).RowGroups[0].Columns[0].MetaData.Encoding, format.RLEDictionary) {
			t.Fatal("the sorted dates are not dictionary-encoded: the test reads no runs")
		}
		path := filepath.Join(dir, tc.name+".parquet")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
	}
	got := duckCheck(t, node, paths...)
	if len(got.Files) != len(cases) {
		t.Fatalf("check.mjs reported %d files, want %d", len(got.Files), len(cases))
	}
	want := got.Files[len(cases)-1] // plain: no indexes at all
	for i, f := range got.Files {
		if f.Rows != len(rows) || len(f.Columns) != len(want.Columns) {
			t.Fatalf("%s: DuckDB read %d rows of %d columns, want %d of %d", cases[i].name, f.Rows, len(f.Columns), len(rows), len(want.Columns))
		}
		for c, col := range f.Columns {
			if col != want.Columns[c] {
				t.Errorf("%s: column %s: DuckDB reads %+v, without dictionaries %+v", cases[i].name, col.Name, col, want.Columns[c])
			}
		}
	}
}
