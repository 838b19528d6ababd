package sinks_test

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// optRow makes a row of optional columns: a nil entry is a null.
func optRow(values ...*parquet.Value) parquet.Row {
	row := make(parquet.Row, len(values))
	for j, v := range values {
		if v == nil {
			row[j] = parquet.NullValue().Level(0, 0, j)
		} else {
			row[j] = v.Level(0, 1, j)
		}
	}
	return row
}

func val(v parquet.Value) *parquet.Value { return &v }

// csvBytes encodes each chunk of rows and writes a whole CSV file of them.
func csvBytes(t testing.TB, schema *parquet.Schema, opts sinks.CSVWriteOptions, chunks ...[]parquet.Row) ([]byte, error) {
	t.Helper()
	return formatBytes(t, sinks.CSV(opts), schema, chunks...)
}

// formatBytes encodes each chunk of rows with f, in short reads, and
// writes a whole file of them.
func formatBytes(t testing.TB, f sinks.Format, schema *parquet.Schema, chunks ...[]parquet.Row) ([]byte, error) {
	t.Helper()
	enc, err := f.NewEncoder(schema)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := f.NewFileWriter(&buf, schema, nil)
	if err != nil {
		return nil, err
	}
	for _, rows := range chunks {
		c, err := enc.Encode(&sliceReader{rows: rows, max: 3})
		if err != nil {
			return nil, err
		}
		if c.NumRows() != int64(len(rows)) {
			t.Errorf("chunk of %d rows says %d", len(rows), c.NumRows())
		}
		if err := w.Append(c); err != nil {
			return nil, err
		}
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func TestCSVFormatValues(t *testing.T) {
	i96 := func(days uint32, nanos uint64) parquet.Value {
		return parquet.Int96Value(deprecated.Int96{uint32(nanos), uint32(nanos >> 32), days})
	}
	for _, tc := range []struct {
		name   string
		node   parquet.Node
		values []parquet.Value
		want   string // the records, without the header
	}{
		{"bool", parquet.Leaf(parquet.BooleanType), []parquet.Value{parquet.BooleanValue(true), parquet.BooleanValue(false)}, "true\nfalse\n"},
		{"int32", parquet.Int(32), []parquet.Value{parquet.Int32Value(-7), parquet.Int32Value(math.MaxInt32)}, "-7\n2147483647\n"},
		{"int64", parquet.Leaf(parquet.Int64Type), []parquet.Value{parquet.Int64Value(math.MinInt64)}, "-9223372036854775808\n"},
		{"uint32", parquet.Uint(32), []parquet.Value{parquet.Int32Value(-1)}, "4294967295\n"},
		{"uint64", parquet.Uint(64), []parquet.Value{parquet.Int64Value(-1)}, "18446744073709551615\n"},
		{"float", parquet.Leaf(parquet.FloatType), []parquet.Value{parquet.FloatValue(0.1), parquet.FloatValue(float32(math.Inf(-1)))}, "0.1\n-Inf\n"},
		{"double", parquet.Leaf(parquet.DoubleType), []parquet.Value{
			parquet.DoubleValue(0.1), parquet.DoubleValue(1e21), parquet.DoubleValue(1e-7), parquet.DoubleValue(100),
			parquet.DoubleValue(math.Copysign(0, -1)), parquet.DoubleValue(math.NaN()), parquet.DoubleValue(math.Inf(1)),
		}, "0.1\n1e+21\n1e-07\n100\n-0\nNaN\n+Inf\n"},
		{"string", parquet.String(), []parquet.Value{
			parquet.ByteArrayValue([]byte("plain")), parquet.ByteArrayValue([]byte("a,b")), parquet.ByteArrayValue([]byte(`say "hi"`)),
			parquet.ByteArrayValue([]byte("two\nlines")), parquet.ByteArrayValue([]byte("cr\r")), parquet.ByteArrayValue([]byte("\uFEFFbom")),
			parquet.ByteArrayValue([]byte(" spaced ")), parquet.ByteArrayValue([]byte("é")),
		}, "plain\n\"a,b\"\n\"say \"\"hi\"\"\"\n\"two\nlines\"\n\"cr\r\"\n\"\uFEFFbom\"\n spaced \né\n"},
		{"empty string alone in its record", parquet.String(), []parquet.Value{parquet.ByteArrayValue(nil)}, "\"\"\n"},
		{"bytes", parquet.Leaf(parquet.ByteArrayType), []parquet.Value{parquet.ByteArrayValue([]byte("raw"))}, "raw\n"},
		{"fixed", parquet.Leaf(parquet.FixedLenByteArrayType(3)), []parquet.Value{parquet.FixedLenByteArrayValue([]byte("abc"))}, "abc\n"},
		{"date", parquet.Date(), []parquet.Value{parquet.Int32Value(0), parquet.Int32Value(-1), parquet.Int32Value(19782)}, "1970-01-01\n1969-12-31\n2024-02-29\n"},
		{"timestamp micros UTC", parquet.Timestamp(parquet.Microsecond), []parquet.Value{parquet.Int64Value(1), parquet.Int64Value(-1), parquet.Int64Value(1714566600250000)},
			"1970-01-01T00:00:00.000001Z\n1969-12-31T23:59:59.999999Z\n2024-05-01T12:30:00.250000Z\n"},
		{"timestamp millis UTC", parquet.Timestamp(parquet.Millisecond), []parquet.Value{parquet.Int64Value(1500)}, "1970-01-01T00:00:01.500Z\n"},
		{"timestamp nanos local", parquet.TimestampAdjusted(parquet.Nanosecond, false), []parquet.Value{parquet.Int64Value(-1)}, "1969-12-31T23:59:59.999999999\n"},
		{"time millis", parquet.Time(parquet.Millisecond), []parquet.Value{parquet.Int32Value(3723004)}, "01:02:03.004\n"},
		{"time micros", parquet.Time(parquet.Microsecond), []parquet.Value{parquet.Int64Value(86399999999)}, "23:59:59.999999\n"},
		{"decimal int32", parquet.Decimal(2, 9, parquet.Int32Type), []parquet.Value{parquet.Int32Value(12345), parquet.Int32Value(-5), parquet.Int32Value(0)}, "123.45\n-0.05\n0.00\n"},
		{"decimal int64 scale 0", parquet.Decimal(0, 18, parquet.Int64Type), []parquet.Value{parquet.Int64Value(-42)}, "-42\n"},
		{"decimal fixed", parquet.Decimal(3, 20, parquet.FixedLenByteArrayType(9)), []parquet.Value{
			parquet.FixedLenByteArrayValue([]byte{0, 0, 0, 0, 0, 0, 0, 0x30, 0x39}),
			parquet.FixedLenByteArrayValue([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}),
		}, "12.345\n-0.001\n"},
		{"uuid", parquet.UUID(), []parquet.Value{parquet.FixedLenByteArrayValue([]byte{0x12, 0x3e, 0x45, 0x67, 0xe8, 0x9b, 0x12, 0xd3, 0xa4, 0x56, 0x42, 0x66, 0x14, 0x17, 0x40, 0x00})},
			"123e4567-e89b-12d3-a456-426614174000\n"},
		{"int96", parquet.Leaf(parquet.Int96Type), []parquet.Value{i96(2440588, 1), i96(2440589, 3600e9+500)}, "1970-01-01T00:00:00.000000001\n1970-01-02T01:00:00.000000500\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schema := parquet.NewSchema("t", parquet.Group{"v": tc.node})
			rows := make([]parquet.Row, len(tc.values))
			for i, v := range tc.values {
				rows[i] = parquet.Row{v.Level(0, 0, 0)}
			}
			got, err := csvBytes(t, schema, sinks.CSVWriteOptions{}, rows)
			if err != nil {
				t.Fatal(err)
			}
			if want := "v\n" + tc.want; string(got) != want {
				t.Errorf("got  %q\nwant %q", got, want)
			}
		})
	}
}

func TestCSVQuotingAndOptions(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{
		"a\tb": parquet.Optional(parquet.String()),
		"c,d":  parquet.Optional(parquet.Leaf(parquet.Int64Type)),
	})
	rows := []parquet.Row{
		optRow(val(parquet.ByteArrayValue([]byte("x\ty"))), val(parquet.Int64Value(1))),
		optRow(nil, nil),
		optRow(val(parquet.ByteArrayValue([]byte(""))), val(parquet.Int64Value(2))),
		optRow(val(parquet.ByteArrayValue([]byte("a,b"))), nil),
	}
	for _, tc := range []struct {
		name string
		opts sinks.CSVWriteOptions
		want string
	}{
		{"defaults", sinks.CSVWriteOptions{}, "a\tb,\"c,d\"\nx\ty,1\n,\n,2\n\"a,b\",\n"},
		{"tab", sinks.CSVWriteOptions{Delimiter: '\t'}, "\"a\tb\"\tc,d\n\"x\ty\"\t1\n\t\n\t2\na,b\t\n"},
		{"no header, null text", sinks.CSVWriteOptions{NoHeader: true, Null: "NA"}, "x\ty,1\nNA,NA\n,2\n\"a,b\",NA\n"},
		{"null text needing quotes", sinks.CSVWriteOptions{NoHeader: true, Null: `"n"`}, "x\ty,1\n\"\"\"n\"\"\",\"\"\"n\"\"\"\n,2\n\"a,b\",\"\"\"n\"\"\"\n"},
		{"multibyte delimiter", sinks.CSVWriteOptions{Delimiter: '§'}, "a\tb§c,d\nx\ty§1\n§\n§2\na,b§\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := csvBytes(t, schema, tc.opts, rows[:2], nil, rows[2:])
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestCSVFormatErrors(t *testing.T) {
	for _, tc := range []struct {
		name   string
		schema *parquet.Schema
		opts   sinks.CSVWriteOptions
		want   string
	}{
		{"list", parquet.NewSchema("t", parquet.Group{"id": parquet.Int(64), "tags": parquet.List(parquet.String())}), sinks.CSVWriteOptions{},
			`new csv encoder: CSV output cannot hold nested column "tags"; use --format parquet or arrow`},
		{"repeated leaf", parquet.NewSchema("t", parquet.Group{"r": parquet.Repeated(parquet.Int(32))}), sinks.CSVWriteOptions{},
			`new csv encoder: CSV output cannot hold nested column "r"; use --format parquet or arrow`},
		{"struct", parquet.NewSchema("t", parquet.Group{"s": parquet.Optional(parquet.Group{"x": parquet.Int(32)})}), sinks.CSVWriteOptions{},
			`new csv encoder: CSV output cannot hold nested column "s"; use --format parquet or arrow`},
		{"map", parquet.NewSchema("t", parquet.Group{"m": parquet.Map(parquet.String(), parquet.Int(32))}), sinks.CSVWriteOptions{},
			`new csv encoder: CSV output cannot hold nested column "m"; use --format parquet or arrow`},
		{"bad delimiter", parquet.NewSchema("t", parquet.Group{"a": parquet.Int(32)}), sinks.CSVWriteOptions{Delimiter: '\n'},
			`new csv encoder: csv options: invalid delimiter '\n'`},
		{"nil schema", nil, sinks.CSVWriteOptions{}, `new csv encoder: schema is nil`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := sinks.CSV(tc.opts).NewEncoder(tc.schema)
			if err == nil || err.Error() != tc.want {
				t.Errorf("NewEncoder: %v, want %s", err, tc.want)
			}
			if _, err := sinks.CSV(tc.opts).NewFileWriter(&bytes.Buffer{}, tc.schema, nil); err == nil {
				t.Errorf("NewFileWriter: no error")
			}
		})
	}

	schema := parquet.NewSchema("t", parquet.Group{"id": parquet.Int(64), "name": parquet.Optional(parquet.Leaf(parquet.ByteArrayType))})
	enc, err := sinks.CSV(sinks.CSVWriteOptions{}).NewEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	bad := []parquet.Row{
		{parquet.Int64Value(1).Level(0, 0, 0), parquet.ByteArrayValue([]byte("ok")).Level(0, 1, 1)},
		{parquet.Int64Value(2).Level(0, 0, 0), parquet.ByteArrayValue([]byte{'a', 0xff}).Level(0, 1, 1)},
	}
	_, err = enc.Encode(&sliceReader{rows: bad})
	if want := `encode csv: row 1: column "name": value is not valid UTF-8 text; CSV output holds text only (use --format parquet or arrow)`; err == nil || err.Error() != want {
		t.Errorf("Encode of non-UTF-8 bytes: %v, want %s", err, want)
	}
	misshapen := []parquet.Row{{parquet.Int64Value(1).Level(0, 0, 0)}}
	if _, err := enc.Encode(&sliceReader{rows: misshapen}); !errors.Is(err, sinks.ErrInvalidRow) {
		t.Errorf("Encode of a row missing a column: %v, want ErrInvalidRow", err)
	}
}

func TestCSVFileWriter(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{"a": parquet.Int(64)})
	f := sinks.CSV(sinks.CSVWriteOptions{})
	if f.Name() != "csv" || f.Ext() != ".csv" {
		t.Errorf("Name %q Ext %q", f.Name(), f.Ext())
	}

	got, err := csvBytes(t, schema, sinks.CSVWriteOptions{})
	if err != nil || string(got) != "a\n" {
		t.Errorf("file of no chunks: %q, %v; want the header alone", got, err)
	}
	got, err = csvBytes(t, schema, sinks.CSVWriteOptions{NoHeader: true})
	if err != nil || len(got) != 0 {
		t.Errorf("headerless file of no chunks: %q, %v; want nothing", got, err)
	}

	var buf bytes.Buffer
	w, err := f.NewFileWriter(&buf, schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	pq, err := sinks.Parquet(sinks.ParquetOptions{}).NewEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	g, err := pq.Encode(&sliceReader{rows: []parquet.Row{{parquet.Int64Value(1).Level(0, 0, 0)}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(g); !errors.Is(err, sinks.ErrIncompatibleRowGroup) {
		t.Errorf("Append of a Parquet row group: %v, want ErrIncompatibleRowGroup", err)
	}
	other, err := sinks.CSV(sinks.CSVWriteOptions{Delimiter: ';'}).NewEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	c, err := other.Encode(&sliceReader{rows: []parquet.Row{{parquet.Int64Value(1).Level(0, 0, 0)}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Append(c); !errors.Is(err, sinks.ErrIncompatibleRowGroup) {
		t.Errorf("Append of a chunk with another delimiter: %v, want ErrIncompatibleRowGroup", err)
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
}

// TestCSVConcurrentEncode encodes chunks on several goroutines at once and
// checks they equal chunks encoded one by one.
func TestCSVConcurrentEncode(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{"i": parquet.Int(64), "s": parquet.Optional(parquet.String())})
	var groups [][]parquet.Row
	for g := range 8 {
		var rows []parquet.Row
		for i := range 300 {
			rows = append(rows, optRowReq(int64(g*1000+i), fmt.Sprintf("v%d,%d", g, i)))
		}
		groups = append(groups, rows)
	}
	want, err := csvBytes(t, schema, sinks.CSVWriteOptions{}, groups...)
	if err != nil {
		t.Fatal(err)
	}
	f := sinks.CSV(sinks.CSVWriteOptions{})
	enc, err := f.NewEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	chunks := make([]sinks.Chunk, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for i, rows := range groups {
		wg.Go(func() { chunks[i], errs[i] = enc.Encode(&sliceReader{rows: rows, max: 7}) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := f.NewFileWriter(&buf, schema, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range chunks {
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

// optRowReq makes a row of a required int64 and an optional string.
func optRowReq(i int64, s string) parquet.Row {
	return parquet.Row{parquet.Int64Value(i).Level(0, 0, 0), parquet.ByteArrayValue([]byte(s)).Level(0, 1, 1)}
}

// readSource reads every unit of src, cloning rows.
func readSource(t testing.TB, src sources.Source) []parquet.Row {
	t.Helper()
	var out []parquet.Row
	for i := range src.NumUnits() {
		err := src.ReadUnit(t.Context(), i, 5, func(rows []parquet.Row) error {
			for _, r := range rows {
				out = append(out, r.Clone())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestCSVRoundTrip reads canonical CSV text with the CSV source and writes
// its rows back with the sink: the bytes must not change.
func TestCSVRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		in   sources.CSVOptions
		out  sinks.CSVWriteOptions
	}{
		{"inferred", "id,name,score,ok\n1,Ada,93.5,true\n2,\"Lovelace, Ada\",,false\n3,\"say \"\"hi\"\"\",1e+21,\n4,\"two\nlines\",-0.25,true\n",
			sources.CSVOptions{}, sinks.CSVWriteOptions{}},
		{"schema", "at;day;n;s\n2024-05-01T12:30:00.250000Z;2024-05-01;-7;x\nNA;NA;NA;\n1969-12-31T23:59:59.999999Z;1900-02-28;9223372036854775807;NA\n",
			sources.CSVOptions{Delimiter: ';', Schema: "at:timestamp,day:date,n:int64,s:string", Null: "NA"},
			sinks.CSVWriteOptions{Delimiter: ';', Null: "NA"}},
		{"one column with nulls", "v\n\"\"\nx\n\"\"\n", sources.CSVOptions{}, sinks.CSVWriteOptions{}},
		{"no header", "1\ttrue\n2\tfalse\n", sources.CSVOptions{Delimiter: '\t', NoHeader: true}, sinks.CSVWriteOptions{Delimiter: '\t', NoHeader: true}},
		{"special doubles", "d\nNaN\n+Inf\n-Inf\n-0\n5e-324\n", sources.CSVOptions{}, sinks.CSVWriteOptions{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := sources.OpenCSV("in.csv", strings.NewReader(tc.data), int64(len(tc.data)), tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := csvBytes(t, src.Schema(), tc.out, readSource(t, src))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.data {
				t.Errorf("round trip changed the bytes:\ngot  %q\nwant %q", got, tc.data)
			}
		})
	}
}

// TestParquetToCSV writes a Parquet file with the Parquet sink, reads it
// with the Parquet source and writes it as CSV.
func TestParquetToCSV(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{
		"a_id":    parquet.Int(64),
		"b_name":  parquet.Optional(parquet.String()),
		"c_score": parquet.Optional(parquet.Leaf(parquet.DoubleType)),
		"d_day":   parquet.Date(),
		"e_at":    parquet.Optional(parquet.Timestamp(parquet.Millisecond)),
		"f_price": parquet.Decimal(2, 9, parquet.Int32Type),
	})
	row := func(id int64, name *string, score *float64, day int32, at *int64, cents int32) parquet.Row {
		r := parquet.Row{parquet.Int64Value(id).Level(0, 0, 0)}
		if name == nil {
			r = append(r, parquet.NullValue().Level(0, 0, 1))
		} else {
			r = append(r, parquet.ByteArrayValue([]byte(*name)).Level(0, 1, 1))
		}
		if score == nil {
			r = append(r, parquet.NullValue().Level(0, 0, 2))
		} else {
			r = append(r, parquet.DoubleValue(*score).Level(0, 1, 2))
		}
		r = append(r, parquet.Int32Value(day).Level(0, 0, 3))
		if at == nil {
			r = append(r, parquet.NullValue().Level(0, 0, 4))
		} else {
			r = append(r, parquet.Int64Value(*at).Level(0, 1, 4))
		}
		return append(r, parquet.Int32Value(cents).Level(0, 0, 5))
	}
	name, score, at := "O'Neil, \"Jr\"", 2.5, int64(86400001)
	rows := []parquet.Row{
		row(1, &name, &score, 0, &at, 199),
		row(2, nil, nil, 365, nil, -1),
	}
	enc, err := sinks.NewRowGroupEncoder(schema, sinks.ParquetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	data := writeFile(t, schema, sinks.ParquetOptions{}, nil, encodeGroups(t, enc, splitRows(rows, 1, 1)))
	src, err := sources.OpenParquet("in.parquet", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := csvBytes(t, src.Schema(), sinks.CSVWriteOptions{}, readSource(t, src))
	if err != nil {
		t.Fatal(err)
	}
	want := "a_id,b_name,c_score,d_day,e_at,f_price\n" +
		"1,\"O'Neil, \"\"Jr\"\"\",2.5,1970-01-01,1970-01-02T00:00:00.001Z,1.99\n" +
		"2,,,1971-01-01,,-0.01\n"
	if string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

// Rows are encoded into chunks, possibly on several goroutines, and a file
// writer writes the header and then the chunks in order.
func ExampleCSV() {
	schema := sources.CSVSchema{{Name: "id", Type: sources.CSVInt64, Required: true}, {Name: "note", Type: sources.CSVString}}.Parquet()
	format := sinks.CSV(sinks.CSVWriteOptions{Null: "NA"})
	enc, err := format.NewEncoder(schema)
	if err != nil {
		fmt.Println(err)
		return
	}
	chunk, err := enc.Encode(&sliceReader{rows: []parquet.Row{
		{parquet.Int64Value(1).Level(0, 0, 0), parquet.ByteArrayValue([]byte("a, b")).Level(0, 1, 1)},
		{parquet.Int64Value(2).Level(0, 0, 0), parquet.NullValue().Level(0, 0, 1)},
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	var out strings.Builder
	w, err := format.NewFileWriter(&out, schema, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := w.Append(chunk); err != nil {
		fmt.Println(err)
		return
	}
	if err := w.Close(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(out.String())
	// Output:
	// id,note
	// 1,"a, b"
	// 2,NA
}
