package sources

// These tests are in package sources, not sources_test, to lower the unit
// size (csvUnitRows); they use only the exported API otherwise.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// withUnitRows sets the unit size for the rest of the test.
func withUnitRows(t testing.TB, n int) {
	old := csvUnitRows
	csvUnitRows = n
	t.Cleanup(func() { csvUnitRows = old })
}

// openCSVString opens data as a CSV named "t.csv".
func openCSVString(data string, opts CSVOptions) (*CSV, error) {
	return OpenCSV("t.csv", strings.NewReader(data), int64(len(data)), opts)
}

// valueText spells a value for comparisons: <null>, or its Go value.
func valueText(v parquet.Value) string {
	if v.IsNull() {
		return "<null>"
	}
	switch v.Kind() {
	case parquet.Boolean:
		return strconv.FormatBool(v.Boolean())
	case parquet.Int32:
		return strconv.FormatInt(int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.FormatInt(v.Int64(), 10)
	case parquet.Double:
		return strconv.FormatFloat(v.Double(), 'g', -1, 64)
	case parquet.ByteArray:
		return string(v.ByteArray())
	}
	return fmt.Sprintf("%v?", v)
}

// rowsOf splits "a|b;c|d" into rows of fields: ";" separates rows, "|"
// fields.
func rowsOf(s string) [][]string {
	if s == "" {
		return nil
	}
	var rows [][]string
	for r := range strings.SplitSeq(s, ";") {
		rows = append(rows, strings.Split(r, "|"))
	}
	return rows
}

func TestCSVRead(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   string
		opts   CSVOptions
		schema string // want Columns().String()
		rows   string // want rows, in rowsOf syntax
	}{
		{"inference", "i,f,b,s\n1,1.5,true,x\n-2,3,FALSE,y\n", CSVOptions{},
			"i:int64,f:double,b:bool,s:string", "1|1.5|true|x;-2|3|false|y"},
		{"quoting", "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n\"\",plain\n", CSVOptions{},
			"a:string,b:string", "x,y|say \"hi\";<null>|plain"},
		{"CRLF", "a,b\r\n1,x\r\n2,y\r\n", CSVOptions{},
			"a:int64,b:string", "1|x;2|y"},
		{"embedded newlines", "a,b\n\"line1\nline2\",1\n\"cr\r\nlf\",2\n", CSVOptions{},
			"a:string,b:int64", "line1\nline2|1;cr\nlf|2"},
		{"carriage returns", "a,b\nx\ry,\"p\r\nq\"\n", CSVOptions{},
			"a:string,b:string", "x\ry|p\nq"},
		{"tab delimiter", "a\tb\n1,5\tx y\n", CSVOptions{Delimiter: '\t'},
			"a:string,b:string", "1,5|x y"},
		{"multibyte delimiter", "a§b\n1§é\n", CSVOptions{Delimiter: '§'},
			"a:int64,b:string", "1|é"},
		{"BOM stripped", "\xEF\xBB\xBFid,v\n1,2\n", CSVOptions{},
			"id:int64,v:int64", "1|2"},
		{"BOM only in first field", "id\n\xEF\xBB\xBFx\n", CSVOptions{},
			"id:string", "\uFEFFx"},
		{"empty fields are null", "a,b,c\n1,,x\n,2.5,\n", CSVOptions{},
			"a:int64,b:double,c:string", "1|<null>|x;<null>|2.5|<null>"},
		{"null text", "a,b\nNA,\n3,NA\n", CSVOptions{Null: "NA"},
			"a:int64,b:string", "<null>|;3|<null>"},
		{"blank lines skipped", "a\n\n1\n\n\n2\n\n", CSVOptions{},
			"a:int64", "1;2"},
		{"no final newline", "a,b\n1,2", CSVOptions{},
			"a:int64,b:int64", "1|2"},
		{"header only", "a,b\n", CSVOptions{},
			"a:string,b:string", ""},
		{"no header", "1,x\n2,y\n", CSVOptions{NoHeader: true},
			"c0:int64,c1:string", "1|x;2|y"},
		{"leading zeros stay strings", "zip,n\n01234,0\n10000,-0\n", CSVOptions{},
			"zip:string,n:int64", "01234|0;10000|0"},
		{"leading zero doubles are strings", "a,b\n00.5,0.5\n", CSVOptions{},
			"a:string,b:double", "00.5|0.5"},
		{"plus sign", "a,b\n+5,+1.5\n", CSVOptions{},
			"a:int64,b:double", "5|1.5"},
		{"ints and doubles make doubles", "a\n1\n2.5\n", CSVOptions{},
			"a:double", "1;2.5"},
		{"exponents", "a,b\n1e+06,1E-3\n.5,2.\n", CSVOptions{},
			"a:double,b:double", "1e+06|0.001;0.5|2"},
		{"NaN and infinities", "a\nNaN\n+Inf\n-inf\nInfinity\n", CSVOptions{},
			"a:double", "NaN;+Inf;-Inf;+Inf"},
		{"hexadecimal is a string", "a\n0x10\n", CSVOptions{},
			"a:string", "0x10"},
		{"underscores are strings", "a\n1_000\n", CSVOptions{},
			"a:string", "1_000"},
		{"int64 overflow is a double", "a\n9223372036854775808\n", CSVOptions{},
			"a:double", "9.223372036854776e+18"},
		{"double overflow is a string", "a\n1e999\n", CSVOptions{},
			"a:string", "1e999"},
		{"bools and ints make strings", "a\ntrue\n1\n", CSVOptions{},
			"a:string", "true;1"},
		{"bool letter case", "a\nTrue\nfalse\nTRUE\n", CSVOptions{},
			"a:bool", "true;false;true"},
		{"all null is string", "a,b\n,1\n,2\n", CSVOptions{},
			"a:string,b:int64", "<null>|1;<null>|2"},
		{"sample size", "a\n1\nx\n", CSVOptions{InferRows: 2},
			"a:string", "1;x"},
		{"whole file sample", "a\n1\n2\n3\n4.5\n", CSVOptions{InferRows: -1},
			"a:double", "1;2;3;4.5"},
		{"schema with header", "a,b\n1,2\n", CSVOptions{Schema: "a:double, b : string"},
			"a:double,b:string", "1|2"},
		{"schema without header", "1,2\n", CSVOptions{NoHeader: true, Schema: "x:string,y:int64!"},
			"x:string,y:int64!", "1|2"},
		{"schema on empty headerless file", "", CSVOptions{NoHeader: true, Schema: "x:string"},
			"x:string", ""},
		{"dates", "d\n1970-01-02\n1969-12-31\n2024-02-29\n", CSVOptions{Schema: "d:date"},
			"d:date", "1;-1;19782"},
		{"timestamps", "t\n1970-01-01T00:00:01Z\n1970-01-01 00:00:00.000001\n1970-01-01T01:00:00+01:00\n1970-01-02\n1969-12-31T23:59:59.999999Z\n",
			CSVOptions{Schema: "t:timestamp"},
			"t:timestamp", "1000000;1;0;86400000000;-1"},
		{"schema bools and nulls", "a,b\nFalse,\n,x\n", CSVOptions{Schema: "a:bool,b:string"},
			"a:bool,b:string", "false|<null>;<null>|x"},
		{"schema ints read liberally", "a,b\n007,+1.5e1\n", CSVOptions{Schema: "a:int64,b:double"},
			"a:int64,b:double", "7|15"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := openCSVString(tc.data, tc.opts)
			if err != nil {
				t.Fatalf("OpenCSV(%q): %v", tc.data, err)
			}
			if got := c.Columns().String(); got != tc.schema {
				t.Errorf("OpenCSV(%q): columns %s, want %s", tc.data, got, tc.schema)
			}
			want := rowsOf(tc.rows)
			if got := c.NumRows(); got != int64(len(want)) {
				t.Errorf("NumRows = %d, want %d", got, len(want))
			}
			got, err := readAllText(t, c, 2)
			if err != nil {
				t.Fatalf("read %q: %v", tc.data, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("read %q:\ngot  %q\nwant %q", tc.data, got, want)
			}
		})
	}
}

func TestCSVSchemaTypes(t *testing.T) {
	c, err := openCSVString("a,b,c,d,e,f,g\n", CSVOptions{Schema: "a:bool,b:int64,c:double,d:string,e:date,f:timestamp,g:int64!"})
	if err != nil {
		t.Fatal(err)
	}
	want := parquet.NewSchema("schema", parquet.Group{
		"a": parquet.Optional(parquet.Leaf(parquet.BooleanType)),
		"b": parquet.Optional(parquet.Leaf(parquet.Int64Type)),
		"c": parquet.Optional(parquet.Leaf(parquet.DoubleType)),
		"d": parquet.Optional(parquet.String()),
		"e": parquet.Optional(parquet.Date()),
		"f": parquet.Optional(parquet.Timestamp(parquet.Microsecond)),
		"g": parquet.Leaf(parquet.Int64Type),
	})
	if d := SchemaDiff(c.Schema(), want); d != "" {
		t.Errorf("schema differs: %s\ngot  %s\nwant %s", d, c.Schema(), want)
	}
	ts, _ := c.Schema().Fields()[5].Type().LogicalType().Value.(*format.TimestampType)
	if _, micros := ts.Unit.Value.(*format.MicroSeconds); ts == nil || !ts.IsAdjustedToUTC || !micros {
		t.Errorf("timestamp column: logical type %v, want TIMESTAMP(MICROS, UTC)", c.Schema().Fields()[5].Type().LogicalType())
	}
}

func TestCSVColumnOrder(t *testing.T) {
	c, err := openCSVString("zeta,alpha,mid\n1,2,3\n", CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range c.Schema().Fields() {
		names = append(names, f.Name())
	}
	if want := []string{"zeta", "alpha", "mid"}; !reflect.DeepEqual(names, want) {
		t.Errorf("schema fields %q, want file order %q", names, want)
	}
	for i, path := range c.Schema().Columns() {
		leaf, ok := c.Schema().Lookup(path...)
		if !ok || leaf.ColumnIndex != i {
			t.Errorf("column %q: index %d, want %d", path, leaf.ColumnIndex, i)
		}
	}
}

func TestCSVErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		opts CSVOptions
		want string // exact error text
		is   error
	}{
		{"field count", "a,b\n1,2\n3\n", CSVOptions{},
			`t.csv: line 3: corrupt input: record has a wrong number of fields: the header has 2`, ErrCorrupt},
		{"field count after multi-line record", "a,b\n\"x\ny\",2\n\n3,4,5\n", CSVOptions{},
			`t.csv: line 5: corrupt input: record has a wrong number of fields: the header has 2`, ErrCorrupt},
		{"field count without header", "1,2\n3\n", CSVOptions{NoHeader: true},
			`t.csv: line 2: corrupt input: record has a wrong number of fields: the other records have 2`, ErrCorrupt},
		{"field count against schema", "1,2\n", CSVOptions{NoHeader: true, Schema: "a:int64"},
			`t.csv: line 1: corrupt input: record has a wrong number of fields: --schema names 1`, ErrCorrupt},
		{"bare quote", "a,b\n1,x\"y\n", CSVOptions{},
			`t.csv: line 2: corrupt input: bare " in non-quoted-field, at byte 4 of the line`, ErrCorrupt},
		{"unterminated quote", "a,b\n1,\"xy\n2,3\n", CSVOptions{},
			`t.csv: line 3: corrupt input: extraneous or missing " in quoted-field, at byte 5 of the line (in the record starting at line 2)`, ErrCorrupt},
		{"text after quote", "a\n\"x\"y\n", CSVOptions{},
			`t.csv: line 2: corrupt input: extraneous or missing " in quoted-field, at byte 3 of the line`, ErrCorrupt},
		{"value past the sample", "a,b\n1,x\n2,y\nthree,z\n", CSVOptions{InferRows: 2},
			`t.csv: line 4, column "a": corrupt input: "three" is not an int64; the type was inferred from the first 2 records: pass --schema to set the types (e.g. --schema 'a:string,b:string') or raise --infer-rows`, ErrCorrupt},
		{"value against schema", "a,b\n1,x\n", CSVOptions{Schema: "a:string,b:double"},
			`t.csv: line 2, column "b": corrupt input: "x" is not a double (as --schema says)`, ErrCorrupt},
		{"bad bool", "a\n1\n", CSVOptions{Schema: "a:bool"},
			`t.csv: line 2, column "a": corrupt input: "1" is not a bool (as --schema says)`, ErrCorrupt},
		{"bad date", "a\n2024-02-30\n", CSVOptions{Schema: "a:date"},
			`t.csv: line 2, column "a": corrupt input: "2024-02-30" is not a date (as --schema says)`, ErrCorrupt},
		{"bad timestamp", "a\nnoon\n", CSVOptions{Schema: "a:timestamp"},
			`t.csv: line 2, column "a": corrupt input: "noon" is not a timestamp (want RFC 3339, such as 2024-05-01T12:30:00Z) (as --schema says)`, ErrCorrupt},
		{"nanosecond timestamp", "a\n2024-01-01T00:00:00.0000001Z\n", CSVOptions{Schema: "a:timestamp"},
			`t.csv: line 2, column "a": corrupt input: "2024-01-01T00:00:00.0000001Z" is not a timestamp (finer than the microseconds timestamps hold) (as --schema says)`, ErrCorrupt},
		{"value on a later line of its record", "a,b\n\"x\ny\",z\n", CSVOptions{Schema: "a:string,b:int64"},
			`t.csv: line 3, column "b": corrupt input: "z" is not an int64 (as --schema says)`, ErrCorrupt},
		{"null in required column", "a\n\n1\n\"\"\n", CSVOptions{Schema: "a:int64!"},
			`t.csv: line 4, column "a": corrupt input: null (an empty field) in a required column`, ErrCorrupt},
		{"invalid UTF-8", "a,b\n1,x\xff\n", CSVOptions{},
			`t.csv: line 2, column "b": unsupported input: invalid UTF-8 in a string column (Parquet strings must be UTF-8)`, ErrUnsupported},
		{"empty file", "", CSVOptions{},
			`t.csv: corrupt input: empty file: no header record (for a file without one, pass --no-header and --schema)`, ErrCorrupt},
		{"blank file", "\xEF\xBB\xBF\n\r\n", CSVOptions{},
			`t.csv: corrupt input: empty file: no header record (for a file without one, pass --no-header and --schema)`, ErrCorrupt},
		{"empty headerless file", "", CSVOptions{NoHeader: true},
			`t.csv: corrupt input: empty file: no record to take the columns from (pass --schema)`, ErrCorrupt},
		{"duplicate header", "a,b,a\n", CSVOptions{},
			`t.csv: line 1, column "a": unsupported input: header fields 1 and 3 have the same name`, ErrUnsupported},
		{"empty header name", "a,,c\n", CSVOptions{},
			`t.csv: line 1: unsupported input: header field 2 is empty: every column needs a name`, ErrUnsupported},
		{"header not UTF-8", "a,\xff\n", CSVOptions{},
			`t.csv: line 1: unsupported input: header field 2 is not valid UTF-8`, ErrUnsupported},
		{"header against schema", "a,c\n", CSVOptions{Schema: "a:int64,b:int64"},
			`t.csv: line 1, column "c": schema mismatch: header field 2 is "c" but --schema names column 2 "b"`, ErrSchemaMismatch},
		{"header width against schema", "a\n", CSVOptions{Schema: "a:int64,b:int64"},
			`t.csv: line 1: unsupported input: header has 1 fields but --schema names 2 columns`, ErrUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := openCSVString(tc.data, tc.opts)
			if err == nil {
				_, err = readAllText(t, c, 10)
			}
			if err == nil {
				t.Fatalf("read %q: no error, want %s", tc.data, tc.want)
			}
			if err.Error() != tc.want {
				t.Errorf("read %q:\ngot  %s\nwant %s", tc.data, err, tc.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Path != "t.csv" {
				t.Errorf("error %v is not an *InputError naming t.csv", err)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("error %v does not wrap %v", err, tc.is)
			}
		})
	}
}

func TestCSVOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		opts CSVOptions
		ok   bool
	}{
		{CSVOptions{}, true},
		{CSVOptions{Delimiter: ';', Null: "NA", InferRows: -1}, true},
		{CSVOptions{Delimiter: '"'}, false},
		{CSVOptions{Delimiter: '\n'}, false},
		{CSVOptions{Delimiter: '\r'}, false},
		{CSVOptions{Delimiter: utf8RuneError}, false},
		{CSVOptions{Delimiter: -1}, false},
		{CSVOptions{Delimiter: 0xD800}, false},
		{CSVOptions{Schema: "a"}, false},
		{CSVOptions{Schema: "a:int64"}, true},
	} {
		err := tc.opts.Validate()
		if (err == nil) != tc.ok {
			t.Errorf("%+v.Validate() = %v, want ok=%v", tc.opts, err, tc.ok)
		}
		if _, openErr := openCSVString("a\n1\n", tc.opts); !tc.ok && openErr == nil {
			t.Errorf("OpenCSV with %+v: no error", tc.opts)
		}
	}
}

const utf8RuneError = '\uFFFD'

func TestParseCSVSchema(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want CSVSchema // nil: an error
	}{
		{"a:int64", CSVSchema{{Name: "a", Type: CSVInt64}}},
		{"a:bool,b:int64,c:double,d:string,e:date,f:timestamp", CSVSchema{
			{Name: "a", Type: CSVBool}, {Name: "b", Type: CSVInt64}, {Name: "c", Type: CSVDouble},
			{Name: "d", Type: CSVString}, {Name: "e", Type: CSVDate}, {Name: "f", Type: CSVTimestamp}}},
		{" a : int64 ! , b:string", CSVSchema{{Name: "a", Type: CSVInt64, Required: true}, {Name: "b", Type: CSVString}}},
		{"time:of:day:string", CSVSchema{{Name: "time:of:day", Type: CSVString}}},
		{"naïve name:date!", CSVSchema{{Name: "naïve name", Type: CSVDate, Required: true}}},
		{"", nil},
		{"  ", nil},
		{"a", nil},
		{"a:", nil},
		{":int64", nil},
		{"a:int", nil},
		{"a:INT64", nil},
		{"a:int64!!", nil},
		{"a:!", nil},
		{"a:int64,", nil},
		{"a:int64,a:string", nil},
		{"a:int64,,b:string", nil},
		{"\xff:int64", nil},
	} {
		got, err := ParseCSVSchema(tc.in)
		switch {
		case tc.want == nil && err == nil:
			t.Errorf("ParseCSVSchema(%q) = %v, want an error", tc.in, got)
		case tc.want != nil && err != nil:
			t.Errorf("ParseCSVSchema(%q): %v", tc.in, err)
		case !reflect.DeepEqual(got, tc.want):
			t.Errorf("ParseCSVSchema(%q) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

// TestCSVTestdata reads the committed sample files.
func TestCSVTestdata(t *testing.T) {
	for _, tc := range []struct {
		file   string
		opts   CSVOptions
		schema string
		rows   int64
	}{
		{"basic.csv", CSVOptions{}, "id:int64,name:string,score:double,active:bool", 4},
		{"excel.csv", CSVOptions{Delimiter: ';'}, "Name:string,Amount:double,Note:string", 3},
		{"events.tsv", CSVOptions{Delimiter: '\t', Schema: "at:timestamp,day:date,kind:string!"}, "at:timestamp,day:date,kind:string!", 3},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := OpenCSVFile(filepath.Join("testdata", "csv", tc.file), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if got := c.Columns().String(); got != tc.schema || c.NumRows() != tc.rows {
				t.Errorf("columns %s, %d rows; want %s, %d rows", got, c.NumRows(), tc.schema, tc.rows)
			}
			if _, err := readAllText(t, c, 7); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestCSVTimestampValues checks timestamps against the time package.
func TestCSVTimestampValues(t *testing.T) {
	for _, s := range []string{"2024-05-01T12:30:00.25Z", "1900-01-01T00:00:00-05:30", "9999-12-31T23:59:59.999999Z", "0001-01-01T00:00:00Z"} {
		got, err := parseCSVTimestamp(s)
		if err != nil {
			t.Errorf("parseCSVTimestamp(%q): %v", s, err)
			continue
		}
		ref, _ := time.Parse(time.RFC3339Nano, s)
		if want := ref.UnixMicro(); got != want {
			t.Errorf("parseCSVTimestamp(%q) = %d, want %d", s, got, want)
		}
	}
	if _, err := parseCSVTimestamp("2024-05-01T12:30:00.0000005Z"); err == nil {
		t.Errorf("sub-microsecond timestamp accepted")
	}
	if d, err := parseCSVDate("0001-01-01"); err != nil || float64(d) != math.Floor(float64(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Unix())/86400) {
		t.Errorf("parseCSVDate(0001-01-01) = %d, %v", d, err)
	}
}

// BenchmarkCSV opens and reads a file of typical rows.
func BenchmarkCSV(b *testing.B) {
	data := benchCSVData()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		c, err := openCSVString(data, CSVOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for i := range c.NumUnits() {
			if err := c.ReadUnit(context.Background(), i, 1024, func([]parquet.Row) error { return nil }); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// A CSV file's column types are inferred from a sample of its records;
// Columns gives them as the --schema that reads the file the same way.
func ExampleOpenCSV() {
	data := "id,name,score\n1,Ada,93.5\n2,\"Lovelace, Ada\",\n"
	c, err := OpenCSV("people.csv", strings.NewReader(data), int64(len(data)), CSVOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Columns(), c.NumRows(), "rows in", c.NumUnits(), "unit")
	err = c.ReadUnit(context.Background(), 0, 100, func(rows []parquet.Row) error {
		for _, row := range rows {
			fmt.Println(row[0].Int64(), string(row[1].ByteArray()), row[2].IsNull())
		}
		return nil
	})
	fmt.Println(err)
	// Output:
	// id:int64,name:string,score:double 2 rows in 1 unit
	// 1 Ada false
	// 2 Lovelace, Ada true
	// <nil>
}
