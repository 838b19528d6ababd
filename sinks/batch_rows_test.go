package sinks_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// textColumn is a column the batch comparisons draw values of.
type textColumn struct {
	name   string
	node   parquet.Node
	values []parquet.Value // what its non-null values are drawn from
}

// textColumns returns a column of every type the Arrow, CSV and JSON Lines
// outputs hold, with values at the edges of what their formatters write:
// extreme integers, NaN, infinities and -0, strings that need quoting or
// escaping, byte arrays that are not UTF-8 (which CSV and JSON Lines
// refuse, as JSON Lines refuses NaN and infinities).
func textColumns() []textColumn {
	i32 := func(vs ...int32) []parquet.Value { return valuesOf(parquet.Int32Value, vs...) }
	i64 := func(vs ...int64) []parquet.Value { return valuesOf(parquet.Int64Value, vs...) }
	f32 := func(vs ...float32) []parquet.Value { return valuesOf(parquet.FloatValue, vs...) }
	f64 := func(vs ...float64) []parquet.Value { return valuesOf(parquet.DoubleValue, vs...) }
	bs := func(fixed bool, vs ...string) []parquet.Value {
		if fixed {
			return valuesOf(func(v string) parquet.Value { return parquet.FixedLenByteArrayValue([]byte(v)) }, vs...)
		}
		return valuesOf(func(v string) parquet.Value { return parquet.ByteArrayValue([]byte(v)) }, vs...)
	}
	inf, nan, negZero := math.Inf(1), math.NaN(), math.Copysign(0, -1)
	texts := []string{"plain", "a,b", "a;b", `say "hi"`, "two\nlines", "cr\r", "\uFEFFbom", "", " spaced ", "é", "<&>", "tab\t", "\x01ctl", "NA", `back\slash`, "日本"}
	return []textColumn{
		{"bool", parquet.Leaf(parquet.BooleanType), []parquet.Value{parquet.BooleanValue(true), parquet.BooleanValue(false)}},
		{"int8", parquet.Int(8), i32(math.MinInt8, math.MaxInt8, 0, -1)},
		{"int16", parquet.Int(16), i32(math.MinInt16, math.MaxInt16, 7)},
		{"int32", parquet.Int(32), i32(math.MinInt32, math.MaxInt32, 0)},
		{"int64", parquet.Int(64), i64(math.MinInt64, math.MaxInt64, 0, -3)},
		{"uint8", parquet.Uint(8), i32(0, math.MaxUint8, 1)},
		{"uint16", parquet.Uint(16), i32(0, math.MaxUint16)},
		{"uint32", parquet.Uint(32), i32(0, -1, math.MaxInt32)},
		{"uint64", parquet.Uint(64), i64(0, -1, math.MaxInt64)},
		{"plain_int32", parquet.Leaf(parquet.Int32Type), i32(math.MinInt32, -1, 42)},
		{"plain_int64", parquet.Leaf(parquet.Int64Type), i64(math.MinInt64, 1<<53+1)},
		{"int96", parquet.Leaf(parquet.Int96Type), []parquet.Value{
			parquet.Int96Value(deprecated.Int96{0, 0, 2440588}), parquet.Int96Value(deprecated.Int96{999, 1, 2460000}),
		}},
		{"float", parquet.Leaf(parquet.FloatType), f32(0.1, float32(negZero), float32(nan), float32(inf), float32(-inf), 1e-7, math.MaxFloat32, 3)},
		{"double", parquet.Leaf(parquet.DoubleType), f64(0.1, 1e21, 1e-7, 100, negZero, nan, inf, -inf, 5e-324, -2.5)},
		{"float16", parquet.Leaf(float16Leaf{parquet.FixedLenByteArrayType(2)}), bs(true, "\x00\x3c", "\x00\x40", "\x00\x00", "\x00\x7c")},
		{"dec_int32", parquet.Decimal(2, 9, parquet.Int32Type), i32(12345, -5, 0, math.MaxInt32)},
		{"dec_int64", parquet.Decimal(4, 18, parquet.Int64Type), i64(-1, 123456789012345678, 0)},
		{"dec_fixed", parquet.Decimal(3, 20, parquet.FixedLenByteArrayType(9)), bs(true, "\x00\x00\x00\x00\x00\x00\x00\x30\x39", "\xff\xff\xff\xff\xff\xff\xff\xff\xff", "\x80\x00\x00\x00\x00\x00\x00\x00\x00")},
		{"dec_bytes", parquet.Decimal(2, 30, parquet.ByteArrayType), bs(false, "\x01", "\xff\x00", "\x7f\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff")},
		{"date", parquet.Date(), i32(0, -1, 19782, -719162)},
		{"time_ms", parquet.Time(parquet.Millisecond), i32(0, 3723004, 86399999)},
		{"time_us", parquet.Time(parquet.Microsecond), i64(0, 86399999999)},
		{"time_ns", parquet.Time(parquet.Nanosecond), i64(1, 86399999999999)},
		{"ts_ms", parquet.Timestamp(parquet.Millisecond), i64(1500, -1, 0)},
		{"ts_us", parquet.Timestamp(parquet.Microsecond), i64(1, -1, 1714566600250000)},
		{"ts_ns_local", parquet.TimestampAdjusted(parquet.Nanosecond, false), i64(-1, 1714566600250000123)},
		{"ts_us_local", parquet.TimestampAdjusted(parquet.Microsecond, false), i64(-62135596800000000, 253402300799999999)},
		{"uuid", parquet.UUID(), bs(true, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", "0123456789abcdef")},
		{"string", parquet.String(), bs(false, texts...)},
		{"enum", parquet.Enum(), bs(false, "red", "green,blue")},
		{"json", parquet.JSON(), bs(false, `{"a":1}`, `[1,"x"]`)},
		{"bytes", parquet.Leaf(parquet.ByteArrayType), bs(false, "raw", "", "a\"b")},
		{"fixed", parquet.Leaf(parquet.FixedLenByteArrayType(3)), bs(true, "abc", "a,c", "\n\n\n")},
		{"bytes_not_utf8", parquet.Leaf(parquet.ByteArrayType), bs(false, "\xff\xfe", "ok", "\xc3")},
	}
}

// valuesOf returns the values mk makes of vs.
func valuesOf[T any](mk func(T) parquet.Value, vs ...T) []parquet.Value {
	out := make([]parquet.Value, len(vs))
	for k, v := range vs {
		out[k] = mk(v)
	}
	return out
}

// textSchema is a schema of cols, each optional when optional, and the
// column index of each of cols in it (a group orders fields by name).
func textSchema(cols []textColumn, optional bool) (*parquet.Schema, []int) {
	g := parquet.Group{}
	for _, c := range cols {
		node := c.node
		if optional {
			node = parquet.Optional(node)
		}
		g[c.name] = node
	}
	schema := parquet.NewSchema("t", g)
	index := make([]int, len(cols))
	for k, c := range cols {
		index[k] = slices.IndexFunc(schema.Fields(), func(f parquet.Field) bool { return f.Name() == c.name })
	}
	return schema, index
}

// textRows returns n rows of a schema of cols (index as textSchema
// returns it), nullPct percent of the values null when optional.
func textRows(r *rand.Rand, cols []textColumn, index []int, optional bool, nullPct, n int) []parquet.Row {
	rows := make([]parquet.Row, n)
	for i := range rows {
		row := make(parquet.Row, len(cols))
		for k, c := range cols {
			j := index[k]
			switch {
			case optional && r.IntN(100) < nullPct:
				row[j] = parquet.NullValue().Level(0, 0, j)
			case optional:
				row[j] = c.values[r.IntN(len(c.values))].Level(0, 1, j)
			default:
				row[j] = c.values[r.IntN(len(c.values))].Level(0, 0, j)
			}
		}
		rows[i] = row
	}
	return rows
}

// namedFormat is a format with options, named for subtests.
type namedFormat struct {
	name string
	f    sinks.Format
}

// textFormats are the formats whose EncodeBatches is compared with Encode.
func textFormats() []namedFormat {
	return []namedFormat{
		{"arrow", sinks.Arrow(sinks.ArrowOptions{})},
		{"arrow-lz4", sinks.Arrow(sinks.ArrowOptions{Compression: "lz4"})},
		{"csv", sinks.CSV(sinks.CSVWriteOptions{})},
		{"csv-semicolon-NA", sinks.CSV(sinks.CSVWriteOptions{Delimiter: ';', Null: "NA", NoHeader: true})},
		{"jsonl", sinks.JSONL()},
	}
}

// bothWays encodes groups of rows as chunks with Encode, and again with
// EncodeBatches over the same rows held in batches cut at random, and
// writes a file of each. An encoding error ends either; the two must then
// fail alike.
func bothWays(t testing.TB, f sinks.Format, schema *parquet.Schema, groups [][]parquet.Row, r *rand.Rand) (rowFile, batchFile []byte, rowErr, batchErr error) {
	t.Helper()
	enc, err := f.NewEncoder(schema)
	if err != nil {
		return nil, nil, err, err // a schema the format refuses (INT96 to Arrow)
	}
	be, ok := enc.(sinks.BatchEncoder)
	if !ok {
		t.Fatalf("the %s encoder is not a BatchEncoder", f.Name())
	}
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	write := func(encode func(rows []parquet.Row) (sinks.Chunk, error)) ([]byte, error) {
		var buf bytes.Buffer
		w, err := f.NewFileWriter(&buf, schema, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, rows := range groups {
			c, err := encode(rows)
			if err != nil {
				return nil, err
			}
			if c.NumRows() != int64(len(rows)) {
				t.Fatalf("chunk of %d rows says %d", len(rows), c.NumRows())
			}
			if err := w.Append(c); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes(), nil
	}
	rowFile, rowErr = write(func(rows []parquet.Row) (sinks.Chunk, error) {
		return enc.Encode(&sliceReader{rows: rows, max: 100})
	})
	batchFile, batchErr = write(func(rows []parquet.Row) (sinks.Chunk, error) {
		return be.EncodeBatches(batchesOf(t, layout, rows, r))
	})
	return rowFile, batchFile, rowErr, batchErr
}

// sameBothWays fails t unless both ways wrote the same bytes or failed
// with the same message; it reports whether they wrote.
func sameBothWays(t testing.TB, f sinks.Format, schema *parquet.Schema, groups [][]parquet.Row, r *rand.Rand) bool {
	t.Helper()
	rowFile, batchFile, rowErr, batchErr := bothWays(t, f, schema, groups, r)
	switch {
	case rowErr != nil || batchErr != nil:
		if rowErr == nil || batchErr == nil || rowErr.Error() != batchErr.Error() {
			t.Fatalf("Encode: %v\nEncodeBatches: %v", rowErr, batchErr)
		}
		return false
	case !bytes.Equal(rowFile, batchFile):
		n := 0
		for n < min(len(rowFile), len(batchFile)) && rowFile[n] == batchFile[n] {
			n++
		}
		t.Fatalf("files differ (%d and %d bytes) from byte %d:\nEncode:        %q\nEncodeBatches: %q",
			len(rowFile), len(batchFile), n, rowFile[n:min(n+80, len(rowFile))], batchFile[n:min(n+80, len(batchFile))])
	}
	return true
}

// EncodeBatches of the Arrow, CSV and JSON Lines formats writes the bytes
// Encode writes for the same rows, for every column type, required and
// optional, alone in its schema (CSV's quoting of an empty field differs
// there) or beside another, over several chunks of rows held in batches
// and picks; where Encode fails (text that is not UTF-8, NaN in JSON),
// EncodeBatches fails with the same message.
func TestTextEncodeBatchesMatchesEncode(t *testing.T) {
	id := textColumn{"a_id", parquet.Int(64), []parquet.Value{parquet.Int64Value(1), parquet.Int64Value(-2)}}
	wrote := map[string]int{}
	for _, col := range textColumns() {
		for _, shape := range []struct {
			name     string
			cols     []textColumn
			optional bool
		}{
			{"alone", []textColumn{col}, false},
			{"optional-alone", []textColumn{col}, true},
			{"optional-beside", []textColumn{id, col}, true},
		} {
			schema, index := textSchema(shape.cols, shape.optional)
			for _, tf := range textFormats() {
				t.Run(fmt.Sprintf("%s/%s/%s", col.name, shape.name, tf.name), func(t *testing.T) {
					r := rand.New(rand.NewPCG(uint64(len(col.name)), 11))
					rows := textRows(r, shape.cols, index, shape.optional, 20, 700)
					groups := [][]parquet.Row{rows[:0], rows[:1], rows[1:300], rows[300:]}
					if sameBothWays(t, tf.f, schema, groups, r) {
						wrote[tf.name]++
					}
				})
			}
		}
	}
	// An Arrow struct (an optional group of optional fields), which
	// batches hold and the text formats refuse.
	structs := parquet.NewSchema("s", parquet.Group{
		"id": parquet.Int(64),
		"s": parquet.Optional(parquet.Group{
			"p": parquet.Optional(parquet.Int(32)),
			"q": parquet.String(),
			"t": parquet.Optional(parquet.Group{"u": parquet.Optional(parquet.Leaf(parquet.DoubleType))}),
		}),
	})
	rows := newRowGen(structs, 5).rows(900)
	if sameBothWays(t, sinks.Arrow(sinks.ArrowOptions{}), structs, [][]parquet.Row{rows[:400], rows[400:]}, rand.New(rand.NewPCG(5, 5))) {
		wrote["arrow"]++
	}
	// Every format wrote most cases: a comparison of two failures alone
	// would prove nothing.
	for _, tf := range textFormats() {
		if want := 3 * (len(textColumns()) - 3); wrote[tf.name] < want {
			t.Errorf("%s: %d cases written, want at least %d", tf.name, wrote[tf.name], want)
		}
	}
}

// An encoder of a schema batches cannot hold (repeated fields) refuses
// every batch, with the reason.
func TestTextEncodeBatchesRefusesRepeated(t *testing.T) {
	nested := parquet.NewSchema("n", parquet.Group{"l": parquet.List(parquet.Int(32))})
	enc, err := sinks.Arrow(sinks.ArrowOptions{}).NewEncoder(nested)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.(sinks.BatchEncoder).EncodeBatches(nil); !errors.Is(err, columnar.ErrRepeated) {
		t.Fatalf("EncodeBatches of a list schema: %v, want ErrRepeated", err)
	}
}

// FuzzTextEncodeBatches compares EncodeBatches with Encode over random
// rows of a random choice of columns (cols: a bit per column of
// textColumns), nulls and cuts into chunks, batches and picks.
func FuzzTextEncodeBatches(f *testing.F) {
	f.Add(uint64(1), uint64(math.MaxUint64), uint16(300), uint8(20), false)
	f.Add(uint64(2), uint64(1<<28), uint16(1), uint8(0), true)
	f.Add(uint64(3), uint64(0x5555), uint16(257), uint8(90), false)
	all := textColumns()
	f.Fuzz(func(t *testing.T, seed, bits uint64, n uint16, nullPct uint8, required bool) {
		var cols []textColumn
		for k, c := range all {
			if bits>>k&1 == 1 {
				cols = append(cols, c)
			}
		}
		if len(cols) == 0 {
			return
		}
		n %= 2000
		schema, index := textSchema(cols, !required)
		r := rand.New(rand.NewPCG(seed, uint64(n)))
		rows := textRows(r, cols, index, !required, int(nullPct%101), int(n))
		var groups [][]parquet.Row
		for lo := 0; lo < len(rows) || len(groups) == 0; {
			hi := min(len(rows), lo+r.IntN(700))
			groups = append(groups, rows[lo:hi])
			lo = hi
		}
		for _, tf := range textFormats() {
			sameBothWays(t, tf.f, schema, groups, r)
		}
	})
}
