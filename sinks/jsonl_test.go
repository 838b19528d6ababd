package sinks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// jsonlBytes encodes each chunk of rows and writes a whole file of them.
func jsonlBytes(t testing.TB, schema *parquet.Schema, chunks ...[]parquet.Row) ([]byte, error) {
	t.Helper()
	return formatBytes(t, sinks.JSONL(), schema, chunks...)
}

func TestJSONLFormat(t *testing.T) {
	f := sinks.JSONL()
	if f.Name() != "jsonl" || f.Ext() != ".jsonl" {
		t.Errorf("Name %q Ext %q", f.Name(), f.Ext())
	}
}

func TestJSONLFormatValues(t *testing.T) {
	i96 := func(days uint32, nanos uint64) parquet.Value {
		return parquet.Int96Value(deprecated.Int96{uint32(nanos), uint32(nanos >> 32), days})
	}
	bytesOf := func(ss ...string) []parquet.Value {
		var vs []parquet.Value
		for _, s := range ss {
			vs = append(vs, parquet.ByteArrayValue([]byte(s)))
		}
		return vs
	}
	for _, tc := range []struct {
		name   string
		node   parquet.Node
		values []parquet.Value
		want   string // the values' JSON texts, one a line
	}{
		{"bool", parquet.Leaf(parquet.BooleanType), []parquet.Value{parquet.BooleanValue(true), parquet.BooleanValue(false)}, "true\nfalse"},
		{"int32", parquet.Int(32), []parquet.Value{parquet.Int32Value(-7), parquet.Int32Value(math.MaxInt32)}, "-7\n2147483647"},
		{"int64", parquet.Leaf(parquet.Int64Type), []parquet.Value{parquet.Int64Value(math.MinInt64)}, "-9223372036854775808"},
		{"uint32", parquet.Uint(32), []parquet.Value{parquet.Int32Value(-1)}, "4294967295"},
		{"uint64", parquet.Uint(64), []parquet.Value{parquet.Int64Value(-1)}, "18446744073709551615"},
		{"float", parquet.Leaf(parquet.FloatType), []parquet.Value{parquet.FloatValue(0.1), parquet.FloatValue(3), parquet.FloatValue(1e21)}, "0.1\n3.0\n1e+21"},
		{"double", parquet.Leaf(parquet.DoubleType), []parquet.Value{
			parquet.DoubleValue(0.1), parquet.DoubleValue(1e21), parquet.DoubleValue(1e-7), parquet.DoubleValue(100),
			parquet.DoubleValue(math.Copysign(0, -1)), parquet.DoubleValue(1e20), parquet.DoubleValue(1.5e-300), parquet.DoubleValue(0.000001),
		}, "0.1\n1e+21\n1e-7\n100.0\n-0.0\n100000000000000000000.0\n1.5e-300\n0.000001"},
		{"string escapes", parquet.String(), bytesOf("plain", `say "hi"`, "back\\slash", "two\nlines\r\t", "\x00\x1f", "<a&b>", "é\u2028\u2029", ""),
			`"plain"` + "\n" + `"say \"hi\""` + "\n" + `"back\\slash"` + "\n" + `"two\nlines\r\t"` + "\n" + `"\u0000\u001f"` + "\n" +
				`"\u003ca\u0026b\u003e"` + "\n" + `"é\u2028\u2029"` + "\n" + `""`},
		{"bytes", parquet.Leaf(parquet.ByteArrayType), bytesOf("raw"), `"raw"`},
		{"fixed", parquet.Leaf(parquet.FixedLenByteArrayType(3)), []parquet.Value{parquet.FixedLenByteArrayValue([]byte("abc"))}, `"abc"`},
		{"date", parquet.Date(), []parquet.Value{parquet.Int32Value(0), parquet.Int32Value(-1), parquet.Int32Value(19782)}, `"1970-01-01"` + "\n" + `"1969-12-31"` + "\n" + `"2024-02-29"`},
		{"timestamp micros UTC", parquet.Timestamp(parquet.Microsecond), []parquet.Value{parquet.Int64Value(-1), parquet.Int64Value(1714566600250000)},
			`"1969-12-31T23:59:59.999999Z"` + "\n" + `"2024-05-01T12:30:00.250000Z"`},
		{"timestamp nanos local", parquet.TimestampAdjusted(parquet.Nanosecond, false), []parquet.Value{parquet.Int64Value(-1)}, `"1969-12-31T23:59:59.999999999"`},
		{"time millis", parquet.Time(parquet.Millisecond), []parquet.Value{parquet.Int32Value(3723004)}, `"01:02:03.004"`},
		{"decimal int32", parquet.Decimal(2, 9, parquet.Int32Type), []parquet.Value{parquet.Int32Value(12345), parquet.Int32Value(-5)}, `"123.45"` + "\n" + `"-0.05"`},
		{"decimal fixed", parquet.Decimal(3, 20, parquet.FixedLenByteArrayType(9)), []parquet.Value{
			parquet.FixedLenByteArrayValue([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
		}, `"-0.001"`},
		{"uuid", parquet.UUID(), []parquet.Value{parquet.FixedLenByteArrayValue([]byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00})},
			`"123e4567-e89b-12d3-a456-426614174000"`},
		{"int96", parquet.Leaf(parquet.Int96Type), []parquet.Value{i96(2440589, 3600e9+500)}, `"1970-01-02T01:00:00.000000500"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schema := parquet.NewSchema("t", parquet.Group{"v": tc.node})
			rows := make([]parquet.Row, len(tc.values))
			for i, v := range tc.values {
				rows[i] = parquet.Row{v.Level(0, 0, 0)}
			}
			got, err := jsonlBytes(t, schema, rows)
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for line := range strings.SplitSeq(tc.want, "\n") {
				fmt.Fprintf(&want, "{\"v\":%s}\n", line)
			}
			if string(got) != want.String() {
				t.Errorf("got  %q\nwant %q", got, want.String())
			}
			for line := range strings.SplitSeq(strings.TrimSuffix(string(got), "\n"), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("line %q is not valid JSON", line)
				}
			}
		})
	}
}

// TestJSONLStringsAsMarshal checks quoting against encoding/json's Marshal
// over random strings of awkward characters.
func TestJSONLStringsAsMarshal(t *testing.T) {
	seed := uint64(1)
	r := rand.New(rand.NewPCG(seed, 0))
	alphabet := []rune("a\"\\/\b\f\n\r\t\x00\x1f\x7f<>&é\u2028\u2029\U0001F600\uFFFD")
	schema := parquet.NewSchema("t", parquet.Group{"s": parquet.String()})
	var rows []parquet.Row
	var want strings.Builder
	for range 500 {
		rs := make([]rune, r.IntN(8))
		for i := range rs {
			rs[i] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(rs)
		rows = append(rows, parquet.Row{parquet.ByteArrayValue([]byte(s)).Level(0, 0, 0)})
		m, err := json.Marshal(map[string]string{"s": s})
		if err != nil {
			t.Fatal(err)
		}
		want.Write(m)
		want.WriteByte('\n')
	}
	got, err := jsonlBytes(t, schema, rows)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want.String() {
		t.Errorf("seed %d: quoting differs from encoding/json", seed)
	}
}

// TestJSONLFloatsAsMarshal checks doubles and floats against
// encoding/json's Marshal, which writes integral values without ".0", and
// that the text reads back exactly.
func TestJSONLFloatsAsMarshal(t *testing.T) {
	seed := uint64(2)
	r := rand.New(rand.NewPCG(seed, 0))
	for _, bits := range []int{32, 64} {
		node := parquet.Leaf(parquet.DoubleType)
		if bits == 32 {
			node = parquet.Leaf(parquet.FloatType)
		}
		schema := parquet.NewSchema("t", parquet.Group{"f": node})
		var rows []parquet.Row
		var fs []float64
		for i := range 2000 {
			var f float64
			switch i % 3 {
			case 0:
				f = math.Float64frombits(r.Uint64())
			case 1:
				f = float64(r.Int64N(1<<40)) * math.Pow(10, float64(r.IntN(50)-25))
			default:
				f = float64(r.Int32N(1000))
			}
			if math.IsNaN(f) || math.IsInf(f, 0) || bits == 32 && math.IsInf(float64(float32(f)), 0) {
				continue
			}
			if bits == 32 {
				f = float64(float32(f))
				rows = append(rows, parquet.Row{parquet.FloatValue(float32(f)).Level(0, 0, 0)})
			} else {
				rows = append(rows, parquet.Row{parquet.DoubleValue(f).Level(0, 0, 0)})
			}
			fs = append(fs, f)
		}
		got, err := jsonlBytes(t, schema, rows)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
		for i, line := range lines {
			text := strings.TrimSuffix(strings.TrimPrefix(line, `{"f":`), "}")
			var m []byte
			if bits == 32 {
				m, _ = json.Marshal(float32(fs[i]))
			} else {
				m, _ = json.Marshal(fs[i])
			}
			want := string(m)
			if !strings.ContainsAny(want, ".e") {
				want += ".0"
			}
			back, err := strconv.ParseFloat(text, bits)
			if text != want || err != nil || back != fs[i] {
				t.Fatalf("seed %d: %v (float%d) written %s, want %s (reads back as %v, %v)", seed, fs[i], bits, text, want, back, err)
			}
		}
	}
}

func TestJSONLFormatErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		schema *parquet.Schema
		want   string
	}{
		{"list", parquet.NewSchema("t", parquet.Group{"id": parquet.Int(64), "tags": parquet.List(parquet.String())}),
			`new jsonl encoder: JSON Lines output cannot hold nested column "tags"; use --format parquet or arrow`},
		{"repeated leaf", parquet.NewSchema("t", parquet.Group{"r": parquet.Repeated(parquet.Int(32))}),
			`new jsonl encoder: JSON Lines output cannot hold nested column "r"; use --format parquet or arrow`},
		{"struct", parquet.NewSchema("t", parquet.Group{"s": parquet.Optional(parquet.Group{"x": parquet.Int(32)})}),
			`new jsonl encoder: JSON Lines output cannot hold nested column "s"; use --format parquet or arrow`},
		{"interval", parquet.NewSchema("t", parquet.Group{"i": parquet.Leaf(intervalType{parquet.FixedLenByteArrayType(12)})}),
			`new jsonl encoder: column "i": JSON Lines output cannot hold INTERVAL values; use --format parquet or arrow`},
		{"nil schema", nil, `new jsonl encoder: schema is nil`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sinks.JSONL().NewEncoder(tc.schema)
			if err == nil || err.Error() != tc.want {
				t.Errorf("NewEncoder: %v, want %s", err, tc.want)
			}
			if _, err := sinks.JSONL().NewFileWriter(&bytes.Buffer{}, tc.schema, nil); err == nil {
				t.Errorf("NewFileWriter: no error")
			}
		})
	}

	schema := parquet.NewSchema("t", parquet.Group{"id": parquet.Int(64), "name": parquet.Optional(parquet.Leaf(parquet.ByteArrayType)), "x": parquet.Optional(parquet.Leaf(parquet.DoubleType))})
	enc, err := sinks.JSONL().NewEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	row := func(id int64, name []byte, x float64) parquet.Row {
		return parquet.Row{parquet.Int64Value(id).Level(0, 0, 0), parquet.ByteArrayValue(name).Level(0, 1, 1), parquet.DoubleValue(x).Level(0, 1, 2)}
	}
	for _, tc := range []struct {
		name string
		rows []parquet.Row
		want string
	}{
		{"invalid UTF-8", []parquet.Row{row(1, []byte("ok"), 1), row(2, []byte{'a', 0xff}, 1)},
			`encode jsonl: row 1: column "name": value is not valid UTF-8 text; JSON Lines output holds text only (use --format parquet or arrow)`},
		{"NaN", []parquet.Row{row(1, nil, math.NaN())},
			`encode jsonl: row 0: column "x": NaN cannot be written in JSON, which has no NaN or infinity; use --format parquet, arrow or csv`},
		{"Inf", []parquet.Row{row(1, nil, 1), row(1, nil, math.Inf(-1))},
			`encode jsonl: row 1: column "x": -Inf cannot be written in JSON, which has no NaN or infinity; use --format parquet, arrow or csv`},
	} {
		if _, err := enc.Encode(&sliceReader{rows: tc.rows}); err == nil || err.Error() != tc.want {
			t.Errorf("%s: Encode = %v, want %s", tc.name, err, tc.want)
		}
	}
	misshapen := []parquet.Row{{parquet.Int64Value(1).Level(0, 0, 0)}}
	if _, err := enc.Encode(&sliceReader{rows: misshapen}); !errors.Is(err, sinks.ErrInvalidRow) {
		t.Errorf("Encode of a row missing a column: %v, want ErrInvalidRow", err)
	}
}

// intervalType is a FIXED_LEN_BYTE_ARRAY(12) annotated INTERVAL.
type intervalType struct{ parquet.Type }

func (intervalType) ConvertedType() *deprecated.ConvertedType {
	c := deprecated.Interval
	return &c
}

func TestJSONLFileWriter(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{"a": parquet.Int(64)})
	got, err := jsonlBytes(t, schema)
	if err != nil || len(got) != 0 {
		t.Errorf("file of no rows: %q, %v; want empty", got, err)
	}
	var buf bytes.Buffer
	w, err := sinks.JSONL().NewFileWriter(&buf, schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := parquet.NewSchema("t", parquet.Group{"b": parquet.Int(64)})
	enc, err := sinks.JSONL().NewEncoder(other)
	if err != nil {
		t.Fatal(err)
	}
	c, err := enc.Encode(&sliceReader{rows: []parquet.Row{{parquet.Int64Value(1).Level(0, 0, 0)}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(c); !errors.Is(err, sinks.ErrIncompatibleRowGroup) {
		t.Errorf("Append of a chunk of other columns = %v, want ErrIncompatibleRowGroup", err)
	}
	csvEnc, err := sinks.CSV(sinks.CSVWriteOptions{}).NewEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := csvEnc.Encode(&sliceReader{rows: []parquet.Row{{parquet.Int64Value(1).Level(0, 0, 0)}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(cc); !errors.Is(err, sinks.ErrIncompatibleRowGroup) {
		t.Errorf("Append of a CSV chunk = %v, want ErrIncompatibleRowGroup", err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err == nil {
		t.Errorf("second Close: no error")
	}
	if err := w.Append(c); err == nil {
		t.Errorf("Append after Close: no error")
	}
	if buf.Len() != 0 {
		t.Errorf("refused chunks were written: %q", buf.Bytes())
	}
}

func TestJSONLConcurrentEncode(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{"i": parquet.Int(64), "s": parquet.Optional(parquet.String())})
	chunks := make([][]parquet.Row, 8)
	for c := range chunks {
		for i := range 50 {
			chunks[c] = append(chunks[c], optRowReq(int64(c*50+i), fmt.Sprintf("v%d", i)))
		}
	}
	want, err := jsonlBytes(t, schema, chunks...)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := sinks.JSONL().NewEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	encoded := make([]sinks.Chunk, len(chunks))
	errs := make([]error, len(chunks))
	var wg sync.WaitGroup
	for c := range chunks {
		wg.Go(func() { encoded[c], errs[c] = enc.Encode(&sliceReader{rows: chunks[c]}) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := sinks.JSONL().NewFileWriter(&buf, schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range encoded {
		if err := w.Append(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("concurrently encoded file differs")
	}
}

// TestJSONLRoundTrip reads canonical JSON Lines with the JSON Lines source
// and writes its rows back with the sink: the bytes must not change.
func TestJSONLRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		in   sources.JSONLOptions
	}{
		{"inferred", `{"id":1,"name":"Ada","score":93.5,"ok":true}` + "\n" +
			`{"id":2,"name":"say \"hi\"\n\u003cb\u003e","score":null,"ok":false}` + "\n" +
			`{"id":3,"name":null,"score":1e+21,"ok":null}` + "\n" +
			`{"id":-4,"name":"é","score":-0.25,"ok":true}` + "\n" +
			`{"id":5,"name":"","score":7.0,"ok":true}` + "\n", sources.JSONLOptions{}},
		{"schema", `{"at":"2024-05-01T12:30:00.250000Z","day":"2024-05-01","n":-7,"s":"x"}` + "\n" +
			`{"at":null,"day":null,"n":9223372036854775807,"s":null}` + "\n" +
			`{"at":"1969-12-31T23:59:59.999999Z","day":"1900-02-28","n":0,"s":"\u2028"}` + "\n",
			sources.JSONLOptions{Schema: "at:timestamp,day:date,n:int64!,s:string"}},
		{"tiny and huge doubles", `{"d":5e-324}` + "\n" + `{"d":1.7976931348623157e+308}` + "\n" + `{"d":-0.0}` + "\n" + `{"d":0.000001}` + "\n", sources.JSONLOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := sources.OpenJSONL("in.jsonl", strings.NewReader(tc.data), int64(len(tc.data)), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := jsonlBytes(t, src.Schema(), readSource(t, src))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.data {
				t.Errorf("round trip changed the bytes:\ngot  %q\nwant %q", got, tc.data)
			}
		})
	}
}

func ExampleJSONL() {
	schema := parquet.NewSchema("t", parquet.Group{
		"id":    parquet.Int(64),
		"name":  parquet.Optional(parquet.String()),
		"score": parquet.Leaf(parquet.DoubleType),
	})
	f := sinks.JSONL()
	enc, err := f.NewEncoder(schema)
	if err != nil {
		panic(err)
	}
	// parquet.Group orders fields by name: id, name, score.
	rows := []parquet.Row{
		{parquet.Int64Value(1).Level(0, 0, 0), parquet.ByteArrayValue([]byte("Ada")).Level(0, 1, 1), parquet.DoubleValue(2).Level(0, 0, 2)},
		{parquet.Int64Value(2).Level(0, 0, 0), parquet.NullValue().Level(0, 0, 1), parquet.DoubleValue(0.5).Level(0, 0, 2)},
	}
	chunk, err := enc.Encode(&sliceReader{rows: rows})
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	w, err := f.NewFileWriter(&buf, schema, nil)
	if err != nil {
		panic(err)
	}
	if err := w.Append(chunk); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	fmt.Print(buf.String())
	// Output:
	// {"id":1,"name":"Ada","score":2.0}
	// {"id":2,"name":null,"score":0.5}
}
