package sinks_test

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

var pageWriterSeed = flag.Uint64("pagewriter.seed", 0, "seed of TestPageWriterMatchesParquetGo (0: a fixed set)")

// pwColumn is a column of the page writer's differential test: its node
// and how its non-null values are drawn.
type pwColumn struct {
	name string
	node parquet.Node
}

// pwColumns are the leaf types the batch path writes, each required and
// optional: the kinds splitdata's page writer covers (signed INT32 and
// INT64 with their logical types, FLOAT, DOUBLE) and those left to
// parquet-go (unsigned integers, BOOLEAN, strings, binary, fixed-size,
// INT96, decimals as bytes), so that rows groups mix both writers.
func pwColumns() []pwColumn {
	base := []pwColumn{
		{"i32", parquet.Int(32)},
		{"i64", parquet.Int(64)},
		{"f32", parquet.Leaf(parquet.FloatType)},
		{"f64", parquet.Leaf(parquet.DoubleType)},
		{"date", parquet.Date()},
		{"ts", parquet.Timestamp(parquet.Microsecond)},
		{"tms", parquet.Time(parquet.Millisecond)},
		{"dec32", parquet.Decimal(2, 9, parquet.Int32Type)},
		{"dec64", parquet.Decimal(3, 18, parquet.Int64Type)},
		{"u32", parquet.Uint(32)},
		{"u64", parquet.Uint(64)},
		{"i8", parquet.Int(8)},
		{"bool", parquet.Leaf(parquet.BooleanType)},
		{"str", parquet.String()},
		{"bin", parquet.Leaf(parquet.ByteArrayType)},
		{"fixed", parquet.Leaf(parquet.FixedLenByteArrayType(5))},
		{"i96", parquet.Leaf(parquet.Int96Type)},
	}
	var cols []pwColumn
	for _, c := range base {
		cols = append(cols, c, pwColumn{c.name + "_opt", parquet.Optional(c.node)})
	}
	return cols
}

// pwShape is how the values of a column are drawn for one run.
type pwShape int

const (
	pwRandom   pwShape = iota // wide random values
	pwFew                     // a few distinct values (dictionary pays)
	pwSorted                  // increasing
	pwDescend                 // decreasing
	pwConstant                // one value
	pwSpecial                 // extremes, NaN, -0, +-Inf, empty and long strings
	pwShapes
)

// pwValue draws a non-null value of t for row i.
func pwValue(r *rand.Rand, t parquet.Type, shape pwShape, i int) parquet.Value {
	pick := func() int64 {
		switch shape {
		case pwFew:
			return int64(r.IntN(5)) - 2
		case pwSorted:
			return int64(i) - 1000
		case pwDescend:
			return 1000 - int64(i)
		case pwConstant:
			return 7
		case pwSpecial:
			return []int64{math.MinInt64, math.MaxInt64, 0, -1, 1, math.MinInt32, math.MaxInt32}[r.IntN(7)]
		}
		return int64(r.Uint64())
	}
	switch t.Kind() {
	case parquet.Boolean:
		return parquet.BooleanValue(pick()&1 == 1)
	case parquet.Int32:
		x := int32(pick())
		if lt := t.LogicalType(); lt != nil && lt.Value != nil {
			if s := lt.Value.String(); s == "INT(8,true)" {
				x = int32(int8(x))
			}
		}
		return parquet.Int32Value(x)
	case parquet.Int64:
		return parquet.Int64Value(pick())
	case parquet.Float:
		if shape == pwSpecial {
			return parquet.FloatValue([]float32{float32(math.NaN()), float32(math.Copysign(0, -1)), 0, float32(math.Inf(1)), float32(math.Inf(-1)), math.MaxFloat32, 1.5}[r.IntN(7)])
		}
		return parquet.FloatValue(float32(pick()) / 3)
	case parquet.Double:
		if shape == pwSpecial {
			return parquet.DoubleValue([]float64{math.NaN(), math.Copysign(0, -1), 0, math.Inf(1), math.Inf(-1), math.MaxFloat64, 1.5}[r.IntN(7)])
		}
		return parquet.DoubleValue(float64(pick()) / 3)
	case parquet.Int96:
		x := uint32(pick())
		return parquet.Int96Value([3]uint32{x, x >> 3, 1})
	case parquet.FixedLenByteArray:
		b := make([]byte, t.Length())
		for k := range b {
			b[k] = byte(pick() >> (8 * k))
		}
		return parquet.FixedLenByteArrayValue(b)
	default:
		n := int(uint64(pick()) % 40)
		if shape == pwSpecial {
			n = []int{0, 0, 1, 100, 5000}[r.IntN(5)]
		}
		b := make([]byte, n)
		for k := range b {
			b[k] = 'a' + byte(uint64(pick()+int64(k))%26)
		}
		return parquet.ByteArrayValue(b)
	}
}

// TestPageWriterMatchesParquetGo is the page writer's differential test:
// random batches over every leaf type the batch path writes, written by
// splitdata's page writer (for the columns it covers) and by parquet-go's
// writer alone, must give the same file, byte for byte. Each run draws a
// schema (a random subset of the columns), a value shape and null rate
// per column (none, some, all), options (encoding, dictionary, codec,
// page size), a row count and the cut of the rows into batches and
// picks. -pagewriter.seed=N runs seed N alone.
func TestPageWriterMatchesParquetGo(t *testing.T) {
	seeds := make([]uint64, 0, 120)
	if *pageWriterSeed != 0 {
		seeds = append(seeds, *pageWriterSeed)
	} else {
		n := 120
		if testing.Short() {
			n = 30
		}
		for s := range n {
			seeds = append(seeds, uint64(s+1))
		}
	}
	all := pwColumns()
	covered, dictCovered := 0, 0
	for _, seed := range seeds {
		r := rand.New(rand.NewPCG(seed, 22))
		group := parquet.Group{}
		for _, c := range all {
			if r.IntN(3) > 0 {
				group[c.name] = c.node
			}
		}
		if len(group) == 0 {
			group["i64"] = parquet.Int(64)
		}
		schema := parquet.NewSchema("pw", group)
		opts := sinks.ParquetOptions{
			Encoding:       []string{sinks.EncodingAuto, sinks.EncodingPlain}[r.IntN(2)],
			Dictionary:     r.IntN(2) == 0,
			Compression:    []string{"snappy", "zstd", "none", "gzip"}[r.IntN(4)],
			PageBufferSize: []int{0, 100, 300, 1024, 4096}[r.IntN(5)],
		}
		n := []int{0, 1, 63, 64, 65, 200, 1000, 4095, 4097, 9000}[r.IntN(10)]
		if testing.Short() {
			n = min(n, 1000)
		}
		paths := schema.Columns()
		shapes := make([]pwShape, len(paths))
		nullRate := make([]int, len(paths)) // in percent
		for c := range paths {
			shapes[c] = pwShape(r.IntN(int(pwShapes)))
			nullRate[c] = []int{0, 10, 50, 100}[r.IntN(4)]
		}
		rows := make([]parquet.Row, n)
		for i := range rows {
			row := make(parquet.Row, len(paths))
			for c, path := range paths {
				leaf, _ := schema.Lookup(path...)
				maxDef := leaf.MaxDefinitionLevel
				if maxDef > 0 && r.IntN(100) < nullRate[c] {
					row[c] = parquet.NullValue().Level(0, 0, c)
					continue
				}
				row[c] = pwValue(r, leaf.Node.Type(), shapes[c], i).Level(0, maxDef, c)
			}
			rows[i] = row
		}
		name := fmt.Sprintf("seed=%d", seed)
		t.Run(name, func(t *testing.T) {
			layout, err := columnar.LayoutOf(schema)
			if err != nil {
				t.Fatal(err)
			}
			own, err := sinks.NewRowGroupEncoder(schema, opts)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := sinks.NewRowGroupEncoder(schema, opts)
			if err != nil {
				t.Fatal(err)
			}
			sinks.WithoutPageWriter(ref)
			owned := sinks.OwnColumns(own)
			for _, o := range owned {
				if o {
					covered++
				}
			}
			// A stream given the parts a few at a time, or (whole)
			// EncodeBatches given them all, whose page writers write
			// straight into the row group's bytes.
			encode := func(e *sinks.RowGroupEncoder, pr *rand.Rand, whole bool) []byte {
				parts := batchesOf(t, layout, rows, pr)
				if whole {
					g, err := e.EncodeBatches(parts)
					if err != nil {
						t.Fatal(err)
					}
					return writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{g})
				}
				s := e.NewStream(true)
				for len(parts) > 0 {
					k := min(len(parts), 1+pr.IntN(3))
					if err := s.WriteBatches(parts[:k]); err != nil {
						t.Fatal(err)
					}
					parts = parts[k:]
				}
				g, err := s.Finish()
				if err != nil {
					t.Fatal(err)
				}
				return writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{g})
			}
			want := encode(ref, rand.New(rand.NewPCG(seed, 1)), false)
			var got []byte
			for _, whole := range []bool{false, true} {
				got = encode(own, rand.New(rand.NewPCG(seed, 2)), whole)
				if !bytes.Equal(got, want) {
					samePages(t, got, want)
					diffFooters(t, got, want)
					t.Fatalf("page writer's file (EncodeBatches: %v) differs from parquet-go's (%d vs %d bytes), %d rows, options %+v, schema %v; to reproduce: go test ./sinks -run TestPageWriterMatchesParquetGo -pagewriter.seed=%d",
						whole, len(got), len(want), n, opts, schema, seed)
				}
			}
			for _, rg := range rawFooter(t, got).RowGroups {
				for c, cc := range rg.Columns {
					if owned[c] && cc.MetaData.DictionaryPageOffset > 0 {
						dictCovered++
					}
				}
			}
		})
	}
	if *pageWriterSeed == 0 && (covered == 0 || dictCovered == 0) {
		t.Fatalf("runs had %d columns the page writer covers, %d of them with a dictionary: want some of each", covered, dictCovered)
	}
}

// TestPageWriterDictionaryFallback holds the page writer's dictionary
// chunks that outgrow DictionaryMaxBytes to parquet-go's bytes: the page
// that finds the dictionary too large is still written with indexes, the
// chunk's later pages are PLAIN, and the dictionary page keeps every value
// indexed so far. With EncodingAuto the sample (the first 4096 rows, few
// distinct values) chooses the dictionary, and the distinct values after
// it fill it; EncodingPlain with Dictionary gives byte arrays a
// dictionary from the first row.
func TestPageWriterDictionaryFallback(t *testing.T) {
	tests := []struct {
		name  string
		node  parquet.Node
		opts  sinks.ParquetOptions
		rows  int
		nulls bool
	}{
		{"string", parquet.String(), sinks.ParquetOptions{PageBufferSize: 8192}, 40000, false},
		{"optional string", parquet.Optional(parquet.String()), sinks.ParquetOptions{PageBufferSize: 8192}, 40000, true},
		{"binary, plain with dictionary", parquet.Leaf(parquet.ByteArrayType), sinks.ParquetOptions{Encoding: sinks.EncodingPlain, Dictionary: true, Compression: "none", PageBufferSize: 4096}, 30000, false},
		{"int64", parquet.Int(64), sinks.ParquetOptions{Compression: "zstd", PageBufferSize: 8192}, 160000, false},
		{"optional double", parquet.Optional(parquet.Leaf(parquet.DoubleType)), sinks.ParquetOptions{PageBufferSize: 4096}, 160000, true},
		{"int32", parquet.Int(32), sinks.ParquetOptions{PageBufferSize: 8192}, 300000, false},
		{"float, large pages", parquet.Leaf(parquet.FloatType), sinks.ParquetOptions{PageBufferSize: 1 << 19}, 400000, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			schema := parquet.NewSchema("f", parquet.Group{"v": tc.node})
			leaf, _ := schema.Lookup("v")
			typ, maxDef := leaf.Node.Type(), leaf.MaxDefinitionLevel
			r := rand.New(rand.NewPCG(7, uint64(tc.rows)))
			rows := make([]parquet.Row, tc.rows)
			for i := range rows {
				if tc.nulls && r.IntN(10) == 0 {
					rows[i] = parquet.Row{parquet.NullValue().Level(0, 0, 0)}
					continue
				}
				x := uint64(i)
				if i < sinks.DictionarySampleRows && tc.opts.Encoding == "" {
					x = uint64(r.IntN(3))
				}
				var v parquet.Value
				switch typ.Kind() {
				case parquet.ByteArray:
					v = parquet.ByteArrayValue(fmt.Appendf(nil, "%040d", x))
				case parquet.Int32:
					v = parquet.Int32Value(int32(x))
				case parquet.Int64:
					v = parquet.Int64Value(int64(x) * 1000003)
				case parquet.Float:
					v = parquet.FloatValue(float32(x) / 3)
				default:
					v = parquet.DoubleValue(float64(x) / 3)
				}
				rows[i] = parquet.Row{v.Level(0, maxDef, 0)}
			}
			layout, err := columnar.LayoutOf(schema)
			if err != nil {
				t.Fatal(err)
			}
			files := make([][]byte, 2)
			for k := range files {
				e, err := sinks.NewRowGroupEncoder(schema, tc.opts)
				if err != nil {
					t.Fatal(err)
				}
				if k == 1 {
					sinks.WithoutPageWriter(e)
				}
				g, err := e.EncodeBatches(batchesOf(t, layout, rows, rand.New(rand.NewPCG(3, uint64(k)))))
				if err != nil {
					t.Fatal(err)
				}
				files[k] = writeFile(t, schema, tc.opts, nil, []*sinks.EncodedRowGroup{g})
			}
			if !bytes.Equal(files[0], files[1]) {
				samePages(t, files[0], files[1])
				diffFooters(t, files[0], files[1])
				t.Fatalf("page writer's file differs from parquet-go's (%d vs %d bytes)", len(files[0]), len(files[1]))
			}
			// The case is one of fallback: both kinds of data page.
			md := rawFooter(t, files[0]).RowGroups[0].Columns[0].MetaData
			kinds := map[format.Encoding]bool{}
			for _, st := range md.EncodingStats {
				if st.PageType == format.DataPage {
					kinds[st.Encoding] = true
				}
			}
			if !kinds[format.Plain] || !kinds[format.RLEDictionary] || md.DictionaryPageOffset == 0 {
				t.Fatalf("chunk's encoding stats %+v, dictionary page at %d: want PLAIN and RLE_DICTIONARY data pages and a dictionary page", md.EncodingStats, md.DictionaryPageOffset)
			}
		})
	}
}

// diffFooters reports the column chunks whose metadata, column index or
// offset index differ between the files got and want.
func diffFooters(t *testing.T, got, want []byte) {
	t.Helper()
	a, b := rawFooter(t, got), rawFooter(t, want)
	for r := range min(len(a.RowGroups), len(b.RowGroups)) {
		for c := range min(len(a.RowGroups[r].Columns), len(b.RowGroups[r].Columns)) {
			x, y := a.RowGroups[r].Columns[c], b.RowGroups[r].Columns[c]
			if gx, gy := fmt.Sprintf("%#v", x.MetaData), fmt.Sprintf("%#v", y.MetaData); gx != gy {
				t.Errorf("row group %d, column %d: metadata\ngot  %s\nwant %s", r, c, gx, gy)
			}
			ci := func(data []byte, cc format.ColumnChunk) []byte {
				return data[cc.ColumnIndexOffset : cc.ColumnIndexOffset+int64(cc.ColumnIndexLength)]
			}
			if !bytes.Equal(ci(got, x), ci(want, y)) {
				var u, v format.ColumnIndex
				_ = thrift.Unmarshal(new(thrift.CompactProtocol), ci(got, x), &u)
				_ = thrift.Unmarshal(new(thrift.CompactProtocol), ci(want, y), &v)
				t.Errorf("row group %d, column %d: column index\ngot  %#v\nwant %#v", r, c, u, v)
			}
		}
	}
}

// The page writer's byte array pages of empty strings and of a single
// value, whose bounds parquet-go writes as absent or as empty depending on
// the buffers its column buffer holds, match parquet-go's: every 64-row
// chunk closes a page (a page buffer of 1 byte), and per chunk the
// optional column holds one value, empty or not, or none.
func TestPageWriterEmptyStrings(t *testing.T) {
	schema := parquet.NewSchema("e", parquet.Group{
		"o": parquet.Optional(parquet.String()),
		"s": parquet.String(),
	})
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	// Per chunk of 64 rows: "" an empty value, "x" a value, "-" none,
	// "e" all empty, "a" all "a".
	tests := []struct {
		name   string
		chunks string
		tail   int // rows after the chunks, all empty strings
	}{
		{"all empty", "eeee", 0},
		{"all empty, one-row tail", "ee", 1},
		{"one value per page", "xxxx", 0},
		{"one empty value per page", "0000", 0},
		{"empty after a value", "x0x00", 0},
		{"empty after values", "a0a0", 1},
		{"empty after none", "-0-0", 0},
		{"mixed", "ex0-a0e0x-0", 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var rows []parquet.Row
			add := func(o parquet.Value, s string) {
				rows = append(rows, parquet.Row{o.Level(0, o.DefinitionLevel(), 0), parquet.ByteArrayValue([]byte(s)).Level(0, 0, 1)})
			}
			null := parquet.NullValue()
			val := func(s string) parquet.Value { return parquet.ByteArrayValue([]byte(s)).Level(0, 1, 0) }
			for _, ch := range tc.chunks {
				for i := range 64 {
					switch {
					case ch == 'e':
						add(val(""), "")
					case ch == 'a':
						add(val("a"), "a")
					case i == 10 && ch == 'x':
						add(val("x"), "")
					case i == 10 && ch == '0':
						add(val(""), "")
					default:
						add(null, "")
					}
				}
			}
			for range tc.tail {
				add(val(""), "")
			}
			opts := sinks.ParquetOptions{Encoding: sinks.EncodingPlain, PageBufferSize: 1}
			files := make([][]byte, 2)
			for k := range files {
				e, err := sinks.NewRowGroupEncoder(schema, opts)
				if err != nil {
					t.Fatal(err)
				}
				if k == 1 {
					sinks.WithoutPageWriter(e)
				}
				g, err := e.EncodeBatches(batchesOf(t, layout, rows, rand.New(rand.NewPCG(1, 2))))
				if err != nil {
					t.Fatal(err)
				}
				files[k] = writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{g})
			}
			if !bytes.Equal(files[0], files[1]) {
				samePages(t, files[0], files[1])
				diffFooters(t, files[0], files[1])
				t.Fatalf("page writer's file differs from parquet-go's (%d vs %d bytes)", len(files[0]), len(files[1]))
			}
		})
	}
}

// TestEncodeBatchesWritesPagesInPlace holds EncodeBatches to writing its
// page writers' pages straight into the row group's bytes: encoding a row
// group of S encoded bytes on a new encoder (no buffer to reuse) must
// allocate under 3S. The row group's buffer, grown by doubling, costs
// under 2S; a chunk buffer per column, copied into it at the end, as
// streams given rows a piece at a time keep, cost about 2S more.
func TestEncodeBatchesWritesPagesInPlace(t *testing.T) {
	schema := parquet.NewSchema("m", parquet.Group{
		"a": parquet.Int(64),
		"b": parquet.Optional(parquet.Leaf(parquet.DoubleType)),
		"c": parquet.String(),
		"d": parquet.Int(32),
	})
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(5, 5))
	rows := make([]parquet.Row, 100000)
	for i := range rows {
		b := parquet.DoubleValue(r.Float64()).Level(0, 1, 1)
		if i%7 == 0 {
			b = parquet.NullValue().Level(0, 0, 1)
		}
		rows[i] = parquet.Row{
			parquet.Int64Value(int64(r.Uint64())).Level(0, 0, 0),
			b,
			parquet.ByteArrayValue(fmt.Appendf(nil, "%x", r.Uint64())).Level(0, 0, 2),
			parquet.Int32Value(int32(i)).Level(0, 0, 3),
		}
	}
	parts := batchesOf(t, layout, rows, rand.New(rand.NewPCG(1, 1)))
	// Small pages, so that the page writers' scratch is small beside the
	// chunks; PLAIN, so that no sample is held.
	opts := sinks.ParquetOptions{Encoding: sinks.EncodingPlain, PageBufferSize: 4096, Compression: "none"}
	e, err := sinks.NewRowGroupEncoder(schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range sinks.OwnColumns(e) {
		if !o {
			t.Fatalf("columns the page writer covers: %v, want all", sinks.OwnColumns(e))
		}
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	g, err := e.EncodeBatches(parts)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	size := int64(len(writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{g})))
	if alloc := int64(after.TotalAlloc - before.TotalAlloc); alloc >= 3*size {
		t.Errorf("EncodeBatches allocated %d bytes for a row group of about %d bytes (%.2fx), want under 3x", alloc, size, float64(alloc)/float64(size))
	} else {
		t.Logf("EncodeBatches allocated %d bytes for a row group of about %d bytes (%.2fx)", alloc, size, float64(alloc)/float64(size))
	}
}
