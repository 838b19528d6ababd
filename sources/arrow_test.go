package sources_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/decimal128"
	"github.com/apache/arrow-go/v18/arrow/float16"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/splitdata/splitdata/sources"
)

// arrowInner is the struct inside arrowRow.
type arrowInner struct {
	A int32   `parquet:"a,int(32)"`
	B *string `parquet:"b,optional"`
}

// arrowRow describes one row of the test record, as parquet-go models the
// Parquet schema the source must produce: parquet-go's own reflection
// (SchemaOf and Deconstruct) gives the expected schema and rows, an
// implementation of the Parquet levels independent of the source's. Fields
// hold the values as the Parquet columns store them (timestamps in
// seconds are in milliseconds there, date64 in days, float16 as float32).
type arrowRow struct {
	Bool   *bool            `parquet:"bool,optional"`
	I8     int8             `parquet:"i8,int(8)"`
	I16    *int16           `parquet:"i16,optional,int(16)"`
	I32    int32            `parquet:"i32,int(32)"`
	I64    int64            `parquet:"i64,int(64)"`
	U8     uint8            `parquet:"u8,uint(8)"`
	U16    uint16           `parquet:"u16,uint(16)"`
	U32    *uint32          `parquet:"u32,optional,uint(32)"`
	U64    uint64           `parquet:"u64,uint(64)"`
	F16    float32          `parquet:"f16"`
	F32    *float32         `parquet:"f32,optional"`
	F64    float64          `parquet:"f64"`
	Str    *string          `parquet:"str,optional"`
	LStr   string           `parquet:"lstr"`
	VStr   *string          `parquet:"vstr,optional"`
	Bin    []byte           `parquet:"bin,optional"`
	LBin   []byte           `parquet:"lbin"`
	VBin   []byte           `parquet:"vbin"`
	FSB    [3]byte          `parquet:"fsb"`
	D32    int32            `parquet:"d32,date"`
	D64    *int32           `parquet:"d64,optional,date"`
	TsS    int64            `parquet:"ts_s,timestamp(millisecond:local)"`
	TsMs   *int64           `parquet:"ts_ms,optional,timestamp(millisecond:utc)"`
	TsUs   int64            `parquet:"ts_us,timestamp(microsecond:utc)"`
	TsNs   int64            `parquet:"ts_ns,timestamp(nanosecond:local)"`
	T32s   int32            `parquet:"t32_s,time(millisecond)"`
	T32ms  int32            `parquet:"t32_ms,time(millisecond)"`
	T64us  int64            `parquet:"t64_us,time(microsecond)"`
	T64ns  int64            `parquet:"t64_ns,time(nanosecond)"`
	Dec    [5]byte          `parquet:"dec,decimal(2:10)"`
	List   []int64          `parquet:"list,list"`
	LList  []string         `parquet:"llist,optional,list"`
	Struct *arrowInner      `parquet:"struct,optional"`
	Map    map[string]int32 `parquet:"map,optional"`
	Dict   *string          `parquet:"dict,optional"`
	Nested []arrowInner     `parquet:"nested,list"`
	Deep   [][]int32        `parquet:"deep,list"`
}

// arrowTestSchema is the Arrow schema of the test record, in the order of
// arrowRow's fields.
func arrowTestSchema() *arrow.Schema {
	inner := arrow.StructOf(
		arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32},
		arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true},
	)
	md := arrow.NewMetadata([]string{"origin", "a key"}, []string{"test", "value"})
	return arrow.NewSchema([]arrow.Field{
		{Name: "bool", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16},
		{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64},
		{Name: "f16", Type: arrow.FixedWidthTypes.Float16},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64},
		{Name: "str", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "lstr", Type: arrow.BinaryTypes.LargeString},
		{Name: "vstr", Type: arrow.BinaryTypes.StringView, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "lbin", Type: arrow.BinaryTypes.LargeBinary},
		{Name: "vbin", Type: arrow.BinaryTypes.BinaryView},
		{Name: "fsb", Type: &arrow.FixedSizeBinaryType{ByteWidth: 3}},
		{Name: "d32", Type: arrow.FixedWidthTypes.Date32},
		{Name: "d64", Type: arrow.FixedWidthTypes.Date64, Nullable: true},
		{Name: "ts_s", Type: &arrow.TimestampType{Unit: arrow.Second}},
		{Name: "ts_ms", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "Europe/Paris"}, Nullable: true},
		{Name: "ts_us", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
		{Name: "ts_ns", Type: &arrow.TimestampType{Unit: arrow.Nanosecond}},
		{Name: "t32_s", Type: arrow.FixedWidthTypes.Time32s},
		{Name: "t32_ms", Type: arrow.FixedWidthTypes.Time32ms},
		{Name: "t64_us", Type: arrow.FixedWidthTypes.Time64us},
		{Name: "t64_ns", Type: arrow.FixedWidthTypes.Time64ns},
		{Name: "dec", Type: &arrow.Decimal128Type{Precision: 10, Scale: 2}},
		{Name: "list", Type: arrow.ListOfNonNullable(arrow.PrimitiveTypes.Int64)},
		{Name: "llist", Type: arrow.LargeListOfNonNullable(arrow.BinaryTypes.String), Nullable: true},
		{Name: "struct", Type: inner, Nullable: true},
		{Name: "map", Type: arrow.MapOfFields(arrow.Field{Name: "key", Type: arrow.BinaryTypes.String}, arrow.Field{Name: "value", Type: arrow.PrimitiveTypes.Int32}), Nullable: true},
		{Name: "dict", Type: &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int16, ValueType: arrow.BinaryTypes.String}, Nullable: true},
		{Name: "nested", Type: arrow.ListOfNonNullable(inner)},
		{Name: "deep", Type: arrow.ListOfNonNullable(arrow.ListOfNonNullable(arrow.PrimitiveTypes.Int32))},
	}, &md)
}

func ptr[T any](v T) *T { return &v }

// randomArrowRows makes n rows with many nulls, empty and nested values.
func randomArrowRows(rng *rand.Rand, n int) []arrowRow {
	str := func() string { return strings.Repeat(string(rune('a'+rng.IntN(26))), rng.IntN(20)) }
	maybe := func() bool { return rng.IntN(3) == 0 }
	rows := make([]arrowRow, n)
	for i := range rows {
		r := &rows[i]
		if !maybe() {
			r.Bool = ptr(rng.IntN(2) == 1)
		}
		r.I8 = int8(rng.Uint32())
		if !maybe() {
			r.I16 = ptr(int16(rng.Uint32()))
		}
		r.I32, r.I64 = int32(rng.Uint32()), int64(rng.Uint64())
		r.U8, r.U16, r.U64 = uint8(rng.Uint32()), uint16(rng.Uint32()), rng.Uint64()
		if !maybe() {
			r.U32 = ptr(rng.Uint32())
		}
		r.F16 = float32(rng.IntN(2048)) / 16 // exact in float16
		if !maybe() {
			r.F32 = ptr(rng.Float32())
		}
		r.F64 = rng.NormFloat64()
		if !maybe() {
			r.Str = ptr(str())
		}
		r.LStr = str()
		if !maybe() {
			r.VStr = ptr(str() + str()) // some longer than 12 bytes, out of line
		}
		if !maybe() {
			r.Bin = []byte(str() + "\x00\xff")
		}
		r.LBin, r.VBin = []byte(str()), []byte(str()+str())
		r.FSB = [3]byte{byte(i), byte(rng.Uint32()), 0xff}
		r.D32 = int32(rng.IntN(40000) - 20000)
		if !maybe() {
			r.D64 = ptr(int32(rng.IntN(40000) - 20000))
		}
		r.TsS = (rng.Int64N(1<<40) - 1<<39) * 1000
		if !maybe() {
			r.TsMs = ptr(int64(rng.Uint64() >> 2))
		}
		r.TsUs, r.TsNs = int64(rng.Uint64()), int64(rng.Uint64())
		r.T32s = int32(rng.IntN(86400)) * 1000
		r.T32ms = int32(rng.IntN(86400000))
		r.T64us = rng.Int64N(86400000000)
		r.T64ns = rng.Int64N(86400000000000)
		// A decimal of up to 10 digits, negative half the time, as 5 big-endian bytes.
		d := rng.Int64N(1e10)
		if rng.IntN(2) == 0 {
			d = -d
		}
		for k := range 5 {
			r.Dec[4-k] = byte(d >> (8 * k))
		}
		r.List = make([]int64, rng.IntN(4))
		for k := range r.List {
			r.List[k] = int64(rng.Uint64())
		}
		if !maybe() {
			r.LList = make([]string, rng.IntN(4))
			for k := range r.LList {
				r.LList[k] = str()
			}
		}
		if !maybe() {
			r.Struct = &arrowInner{A: int32(i)}
			if !maybe() {
				r.Struct.B = ptr(str())
			}
		}
		if !maybe() {
			r.Map = map[string]int32{}
			// One entry at most: parquet-go's Deconstruct takes a Go
			// map's entries in random order.
			for k := range rng.IntN(2) {
				r.Map[fmt.Sprint("k", k)] = int32(rng.Uint32())
			}
		}
		if !maybe() {
			r.Dict = ptr([]string{"red", "green", "blue"}[rng.IntN(3)])
		}
		r.Nested = make([]arrowInner, rng.IntN(3))
		for k := range r.Nested {
			r.Nested[k].A = int32(k)
			if !maybe() {
				r.Nested[k].B = ptr(str())
			}
		}
		r.Deep = make([][]int32, rng.IntN(3))
		for k := range r.Deep {
			r.Deep[k] = make([]int32, rng.IntN(3))
			for j := range r.Deep[k] {
				r.Deep[k][j] = int32(rng.Uint32())
			}
		}
	}
	return rows
}

// arrowRecord builds the Arrow record of rows with the schema of
// arrowTestSchema. The caller releases it.
func arrowRecord(t testing.TB, mem memory.Allocator, rows []arrowRow) arrow.RecordBatch {
	t.Helper()
	b := array.NewRecordBuilder(mem, arrowTestSchema())
	defer b.Release()
	sorted := func(m map[string]int32) []string {
		return slices.Sorted(func(yield func(string) bool) {
			for k := range m {
				if !yield(k) {
					return
				}
			}
		})
	}
	// One dictionary for every batch: the file format allows no other.
	colors := array.NewStringBuilder(mem)
	defer colors.Release()
	colors.AppendValues([]string{"red", "green", "blue"}, nil)
	dict := colors.NewStringArray()
	defer dict.Release()
	if err := b.Field(34).(*array.BinaryDictionaryBuilder).InsertStringDictValues(dict); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		f := 0
		next := func() array.Builder { f++; return b.Field(f - 1) }
		appendOpt(next().(*array.BooleanBuilder), r.Bool)
		next().(*array.Int8Builder).Append(r.I8)
		appendOpt(next().(*array.Int16Builder), r.I16)
		next().(*array.Int32Builder).Append(r.I32)
		next().(*array.Int64Builder).Append(r.I64)
		next().(*array.Uint8Builder).Append(r.U8)
		next().(*array.Uint16Builder).Append(r.U16)
		appendOpt(next().(*array.Uint32Builder), r.U32)
		next().(*array.Uint64Builder).Append(r.U64)
		next().(*array.Float16Builder).Append(float16.New(r.F16))
		appendOpt(next().(*array.Float32Builder), r.F32)
		next().(*array.Float64Builder).Append(r.F64)
		appendOpt(next().(*array.StringBuilder), r.Str)
		next().(*array.LargeStringBuilder).Append(r.LStr)
		appendOpt(next().(*array.StringViewBuilder), r.VStr)
		if bb := next().(*array.BinaryBuilder); r.Bin == nil {
			bb.AppendNull()
		} else {
			bb.Append(r.Bin)
		}
		next().(*array.BinaryBuilder).Append(r.LBin)
		next().(*array.BinaryViewBuilder).Append(r.VBin)
		next().(*array.FixedSizeBinaryBuilder).Append(r.FSB[:])
		next().(*array.Date32Builder).Append(arrow.Date32(r.D32))
		if db := next().(*array.Date64Builder); r.D64 == nil {
			db.AppendNull()
		} else {
			db.Append(arrow.Date64(int64(*r.D64) * 86_400_000))
		}
		next().(*array.TimestampBuilder).Append(arrow.Timestamp(r.TsS / 1000))
		if tb := next().(*array.TimestampBuilder); r.TsMs == nil {
			tb.AppendNull()
		} else {
			tb.Append(arrow.Timestamp(*r.TsMs))
		}
		next().(*array.TimestampBuilder).Append(arrow.Timestamp(r.TsUs))
		next().(*array.TimestampBuilder).Append(arrow.Timestamp(r.TsNs))
		next().(*array.Time32Builder).Append(arrow.Time32(r.T32s / 1000))
		next().(*array.Time32Builder).Append(arrow.Time32(r.T32ms))
		next().(*array.Time64Builder).Append(arrow.Time64(r.T64us))
		next().(*array.Time64Builder).Append(arrow.Time64(r.T64ns))
		var d int64
		for _, c := range r.Dec {
			d = d<<8 | int64(c)
		}
		d = d << 24 >> 24 // sign-extend 40 bits
		next().(*array.Decimal128Builder).Append(decimal128.FromI64(d))
		lb := next().(*array.ListBuilder)
		lb.Append(true)
		for _, v := range r.List {
			lb.ValueBuilder().(*array.Int64Builder).Append(v)
		}
		llb := next().(*array.LargeListBuilder)
		llb.Append(r.LList != nil)
		for _, v := range r.LList {
			llb.ValueBuilder().(*array.StringBuilder).Append(v)
		}
		sb := next().(*array.StructBuilder)
		sb.Append(r.Struct != nil)
		if r.Struct != nil {
			sb.FieldBuilder(0).(*array.Int32Builder).Append(r.Struct.A)
			appendOpt(sb.FieldBuilder(1).(*array.StringBuilder), r.Struct.B)
		}
		mb := next().(*array.MapBuilder)
		mb.Append(r.Map != nil)
		for _, k := range sorted(r.Map) {
			mb.KeyBuilder().(*array.StringBuilder).Append(k)
			mb.ItemBuilder().(*array.Int32Builder).Append(r.Map[k])
		}
		if db := next().(*array.BinaryDictionaryBuilder); r.Dict == nil {
			db.AppendNull()
		} else if err := db.AppendString(*r.Dict); err != nil {
			t.Fatal(err)
		}
		nb := next().(*array.ListBuilder)
		nb.Append(true)
		for _, v := range r.Nested {
			ib := nb.ValueBuilder().(*array.StructBuilder)
			ib.Append(true)
			ib.FieldBuilder(0).(*array.Int32Builder).Append(v.A)
			appendOpt(ib.FieldBuilder(1).(*array.StringBuilder), v.B)
		}
		deep := next().(*array.ListBuilder)
		deep.Append(true)
		for _, l := range r.Deep {
			ib := deep.ValueBuilder().(*array.ListBuilder)
			ib.Append(true)
			for _, v := range l {
				ib.ValueBuilder().(*array.Int32Builder).Append(v)
			}
		}
	}
	return b.NewRecordBatch()
}

// optBuilder is a builder of values of T.
type optBuilder[T any] interface {
	Append(T)
	AppendNull()
}

func appendOpt[T any](b optBuilder[T], v *T) {
	if v == nil {
		b.AppendNull()
	} else {
		b.Append(*v)
	}
}

// expectedRows are the rows parquet-go makes of rows, with the map
// entries in key order, as arrowRecord stores them.
func expectedRows(schema *parquet.Schema, rows []arrowRow) []parquet.Row {
	out := make([]parquet.Row, len(rows))
	for i := range rows {
		out[i] = schema.Deconstruct(nil, &rows[i])
	}
	return out
}

// writeArrow writes recs as an Arrow IPC file (stream false) or stream.
func writeArrow(t testing.TB, mem memory.Allocator, stream bool, schema *arrow.Schema, recs []arrow.RecordBatch, opts ...ipc.Option) []byte {
	t.Helper()
	var buf bytes.Buffer
	opts = append(opts, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	var w interface {
		Write(arrow.RecordBatch) error
		Close() error
	}
	if stream {
		w = ipc.NewWriter(&buf, opts...)
	} else {
		fw, err := ipc.NewFileWriter(&buf, opts...)
		if err != nil {
			t.Fatal(err)
		}
		w = fw
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAllUnits reads every unit of src concurrently and returns the rows,
// cloned, in order.
func readAllUnits(t testing.TB, src sources.Source, batch int) ([]parquet.Row, error) {
	t.Helper()
	units := make([][]parquet.Row, src.NumUnits())
	var g errgroup.Group
	g.SetLimit(4)
	for i := range units {
		g.Go(func() error {
			return src.ReadUnit(context.Background(), i, batch, func(rows []parquet.Row) error {
				for _, r := range rows {
					units[i] = append(units[i], r.Clone())
				}
				return nil
			})
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return slices.Concat(units...), nil
}

func TestArrowRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := []int{17, 0, 40, 1, 23} // an empty batch too
	var all []arrowRow
	var recs []arrow.RecordBatch
	for _, n := range sizes {
		rows := randomArrowRows(rng, n)
		all = append(all, rows...)
		rec := arrowRecord(t, mem, rows)
		defer rec.Release()
		recs = append(recs, rec)
	}
	wantSchema := parquet.SchemaOf(arrowRow{})
	want := expectedRows(wantSchema, all)

	for _, tc := range []struct {
		name   string
		stream bool
		opts   []ipc.Option
	}{
		{"file", false, nil},
		{"stream", true, nil},
		{"file-zstd", false, []ipc.Option{ipc.WithZstd()}},
		{"stream-lz4", true, []ipc.Option{ipc.WithLZ4()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := writeArrow(t, mem, tc.stream, arrowTestSchema(), recs, tc.opts...)
			src, err := sources.OpenArrow(tc.name, bytes.NewReader(data), int64(len(data)), sources.WithAllocator(mem))
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if d := sources.SchemaDiff(wantSchema, src.Schema()); d != "" {
				t.Fatalf("schema: %s\ngot:\n%s\nwant:\n%s", d, src.Schema(), wantSchema)
			}
			if src.NumUnits() != len(sizes) || src.NumRows() != int64(len(all)) {
				t.Fatalf("%d units, %d rows; want %d, %d", src.NumUnits(), src.NumRows(), len(sizes), len(all))
			}
			for i, n := range sizes {
				if got := src.UnitNumRows(i); got != int64(n) {
					t.Errorf("unit %d: %d rows, want %d", i, got, n)
				}
			}
			wantKV := []sources.KeyValue{{Key: "origin", Value: "test"}, {Key: "a key", Value: "value"}}
			if got := src.KeyValueMetadata(); !slices.Equal(got, wantKV) {
				t.Errorf("metadata %v, want %v", got, wantKV)
			}
			for _, batch := range []int{1, 7, 1000} {
				got, err := readAllUnits(t, src, batch)
				if err != nil {
					t.Fatal(err)
				}
				compareRows(t, got, want)
			}
		})
	}
}

// compareRows reports the first rows that differ.
func compareRows(t *testing.T, got, want []parquet.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d", len(got), len(want))
	}
	bad := 0
	for i := range got {
		if !got[i].Equal(want[i]) {
			t.Errorf("row %d:\n got  %v\n want %v", i, got[i], want[i])
			if bad++; bad == 3 {
				t.FailNow()
			}
		}
	}
}

// TestArrowLevels checks the levels of nullable list elements and of maps
// with several entries, which parquet-go's reflection cannot make, against
// levels worked out by hand from the Parquet format's definition. Columns:
// 0 l.list.element (max rep 1, def 3), 1 m.key_value.key (1, 1),
// 2 m.key_value.value (1, 2).
func TestArrowLevels(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int64), Nullable: true},
		{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32)},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	lb := b.Field(0).(*array.ListBuilder)
	lv := lb.ValueBuilder().(*array.Int64Builder)
	lb.Append(true) // [1, null]
	lv.Append(1)
	lv.AppendNull()
	lb.AppendNull() // null
	lb.Append(true) // []
	lb.Append(true) // [null]
	lv.AppendNull()
	mb := b.Field(1).(*array.MapBuilder)
	kb, ib := mb.KeyBuilder().(*array.StringBuilder), mb.ItemBuilder().(*array.Int32Builder)
	mb.Append(true) // {a: 1, b: null}
	kb.Append("a")
	ib.Append(1)
	kb.Append("b")
	ib.AppendNull()
	mb.Append(true) // {}
	mb.Append(true) // {c: 3}
	kb.Append("c")
	ib.Append(3)
	mb.Append(true) // {}
	rec := b.NewRecordBatch()
	defer rec.Release()
	data := writeArrow(t, mem, false, schema, []arrow.RecordBatch{rec})
	src, err := sources.OpenArrow("levels.arrow", bytes.NewReader(data), int64(len(data)), sources.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got, err := readAllUnits(t, src, 10)
	if err != nil {
		t.Fatal(err)
	}
	null := parquet.NullValue()
	str := func(s string) parquet.Value { return parquet.ByteArrayValue([]byte(s)) }
	want := []parquet.Row{
		{parquet.Int64Value(1).Level(0, 3, 0), null.Level(1, 2, 0), str("a").Level(0, 1, 1), str("b").Level(1, 1, 1), parquet.Int32Value(1).Level(0, 2, 2), null.Level(1, 1, 2)},
		{null.Level(0, 0, 0), null.Level(0, 0, 1), null.Level(0, 0, 2)},
		{null.Level(0, 1, 0), str("c").Level(0, 1, 1), parquet.Int32Value(3).Level(0, 2, 2)},
		{null.Level(0, 2, 0), null.Level(0, 0, 1), null.Level(0, 0, 2)},
	}
	compareRows(t, got, want)
}

// TestArrowParquetWriter checks that parquet-go's writer takes the
// converted schema and rows and reads them back equal.
func TestArrowParquetWriter(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rows := randomArrowRows(rand.New(rand.NewPCG(3, 4)), 50)
	rec := arrowRecord(t, mem, rows)
	defer rec.Release()
	data := writeArrow(t, mem, false, arrowTestSchema(), []arrow.RecordBatch{rec})
	src, err := sources.OpenArrow("t.arrow", bytes.NewReader(data), int64(len(data)), sources.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	got, err := readAllUnits(t, src, 16)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, src.Schema())
	if _, err := w.WriteRows(got); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if d := sources.SchemaDiff(src.Schema(), f.Schema()); d != "" {
		t.Fatalf("written schema differs: %s", d)
	}
	back := make([]parquet.Row, len(got)+1)
	r := f.RowGroups()[0].Rows()
	defer r.Close()
	n, err := r.ReadRows(back)
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	compareRows(t, back[:n], got)
}

func TestArrowFileOnDisk(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := arrowRecord(t, mem, randomArrowRows(rand.New(rand.NewPCG(5, 6)), 5))
	defer rec.Release()
	path := filepath.Join(t.TempDir(), "t.arrows")
	if err := os.WriteFile(path, writeArrow(t, mem, true, arrowTestSchema(), []arrow.RecordBatch{rec}), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := sources.OpenArrowFile(path, sources.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	if err := src.CheckUnchanged(); err != nil {
		t.Errorf("CheckUnchanged: %v", err)
	}
	if err := os.WriteFile(path, []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := src.CheckUnchanged(); !errors.Is(err, sources.ErrChanged) {
		t.Errorf("CheckUnchanged after a rewrite: %v, want ErrChanged", err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
}

// oneColumn writes a one-batch Arrow file of a single column.
func oneColumn(t testing.TB, mem memory.Allocator, f arrow.Field, arr arrow.Array) []byte {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{f}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
	defer rec.Release()
	return writeArrow(t, mem, false, schema, []arrow.RecordBatch{rec})
}

func TestArrowRefused(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	ints := func() arrow.Array {
		b := array.NewInt64Builder(mem)
		defer b.Release()
		b.AppendValues([]int64{1, 2}, []bool{true, false})
		return b.NewArray()
	}
	dates := func() arrow.Array {
		b := array.NewDate64Builder(mem)
		defer b.Release()
		b.Append(86_400_000)
		b.Append(86_400_001)
		return b.NewArray()
	}
	durations := func() arrow.Array {
		b := array.NewDurationBuilder(mem, &arrow.DurationType{Unit: arrow.Second})
		defer b.Release()
		b.Append(1)
		return b.NewArray()
	}
	for _, tc := range []struct {
		name    string
		field   arrow.Field
		arr     func() arrow.Array
		atOpen  bool
		want    error
		wantCol string
	}{
		{"duration", arrow.Field{Name: "d", Type: &arrow.DurationType{Unit: arrow.Second}}, durations, true, sources.ErrUnsupported, "d"},
		{"null in non-nullable", arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int64}, ints, false, sources.ErrCorrupt, "x"},
		{"date64 not a whole day", arrow.Field{Name: "day", Type: arrow.FixedWidthTypes.Date64}, dates, false, sources.ErrUnsupported, "day"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arr := tc.arr()
			defer arr.Release()
			data := oneColumn(t, mem, tc.field, arr)
			src, err := sources.OpenArrow("t.arrow", bytes.NewReader(data), int64(len(data)), sources.WithAllocator(mem))
			if err == nil {
				defer src.Close()
				if tc.atOpen {
					t.Fatal("opened")
				}
				_, err = readAllUnits(t, src, 10)
			}
			var ie *sources.InputError
			if !errors.Is(err, tc.want) || !errors.As(err, &ie) || ie.Column != tc.wantCol {
				t.Fatalf("got %v, want %v in column %q", err, tc.want, tc.wantCol)
			}
		})
	}
}

// TestArrowDamaged truncates and flips bytes of Arrow data in both
// formats: every damaged input must open and read to an error or to rows
// that pass the schema check, never panic or hang. Memory is not checked:
// arrow-go v18.8 drops the body buffer of a message it fails to decode
// without releasing it (Go's allocator reclaims it).
func TestArrowDamaged(t *testing.T) {
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(7, 8))
	var recs []arrow.RecordBatch
	for _, n := range []int{3, 4} {
		rec := arrowRecord(t, mem, randomArrowRows(rng, n))
		defer rec.Release()
		recs = append(recs, rec)
	}
	for _, stream := range []bool{false, true} {
		data := writeArrow(t, mem, stream, arrowTestSchema(), recs)
		try := func(what string, b []byte) error {
			src, err := sources.OpenArrow(what, bytes.NewReader(b), int64(len(b)), sources.WithAllocator(mem))
			if err != nil {
				return err
			}
			defer src.Close()
			_, err = readAllUnits(t, src, 5)
			return err
		}
		// Truncations: every cut of the file format must fail (its footer
		// is at the end); a stream cut between messages is a valid
		// shorter stream, cut inside one it must fail.
		step := max(1, len(data)/300)
		for n := 0; n < len(data); n += step {
			err := try(fmt.Sprintf("cut at %d", n), data[:n])
			if !stream && err == nil {
				t.Errorf("file cut to %d of %d bytes opened and read without error", n, len(data))
			}
			var ie *sources.InputError
			if err != nil && !errors.As(err, &ie) {
				t.Errorf("cut at %d: %v is not an InputError", n, err)
			}
		}
		flips := 400
		if testing.Short() {
			flips = 50
		}
		for range flips {
			b := slices.Clone(data)
			p := rng.IntN(len(b))
			b[p] ^= byte(1 + rng.IntN(255))
			if err := try(fmt.Sprintf("flip at %d", p), b); err != nil {
				var ie *sources.InputError
				if !errors.As(err, &ie) {
					t.Errorf("flip at %d: %v is not an InputError", p, err)
				}
			}
		}
	}
}
