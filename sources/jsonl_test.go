package sources

// These tests are in package sources, not sources_test, to lower the unit
// size (jsonlUnitRows); they use only the exported API otherwise.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// withJSONLUnitRows sets the unit size for the rest of the test.
func withJSONLUnitRows(t testing.TB, n int) {
	old := jsonlUnitRows
	jsonlUnitRows = n
	t.Cleanup(func() { jsonlUnitRows = old })
}

// openJSONLString opens data as a JSON Lines file named "t.jsonl".
func openJSONLString(data string, opts JSONLOptions) (*JSONL, error) {
	return OpenJSONL("t.jsonl", strings.NewReader(data), int64(len(data)), opts)
}

func TestJSONLRead(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   string
		opts   JSONLOptions
		schema string // want Columns().String()
		rows   string // want rows, in rowsOf syntax
	}{
		{"inference", `{"i":1,"f":1.5,"b":true,"s":"x"}` + "\n" + `{"i":-2,"f":3,"b":false,"s":"y"}` + "\n", JSONLOptions{},
			"i:int64,f:double,b:bool,s:string", "1|1.5|true|x;-2|3|false|y"},
		{"union of keys in first-seen order", `{"b":1}` + "\n" + `{"a":"x","b":2}` + "\n" + `{"c":null}` + "\n", JSONLOptions{},
			"b:int64,a:string,c:string", "1|<null>|<null>;2|x|<null>;<null>|<null>|<null>"},
		{"int then double", `{"n":1}` + "\n" + `{"n":2.5}` + "\n" + `{"n":1e2}` + "\n", JSONLOptions{},
			"n:double", "1;2.5;100"},
		{"int64 out of range is a double", `{"n":9223372036854775808}` + "\n", JSONLOptions{},
			"n:double", "9.223372036854776e+18"},
		{"int64 limits", `{"n":9223372036854775807}` + "\n" + `{"n":-9223372036854775808}` + "\n", JSONLOptions{},
			"n:int64", "9223372036854775807;-9223372036854775808"},
		{"escapes", `{"s":"a\"b\\c\n\u00e9\ud83d\ude00\t"}` + "\n", JSONLOptions{},
			"s:string", "a\"b\\c\né😀\t"},
		{"blank lines, CRLF, BOM, no final newline", "\xEF\xBB\xBF\n" + `{"a":1}` + "\r\n  \t\r\n\n" + ` { "a" : 2 } `, JSONLOptions{},
			"a:int64", "1;2"},
		{"empty object", `{}` + "\n" + `{"a":true}` + "\n", JSONLOptions{},
			"a:bool", "<null>;true"},
		{"schema", `{"d":"2024-05-01","t":"2024-05-01T00:00:01Z","n":3,"x":2}` + "\n" + `{"n":4}` + "\n",
			JSONLOptions{Schema: "n:int64!,x:double,d:date,t:timestamp"},
			"n:int64!,x:double,d:date,t:timestamp", "3|2|19844|1714521601000000;4|<null>|<null>|<null>"},
		{"schema over an empty file", "", JSONLOptions{Schema: "a:string"}, "a:string", ""},
		{"sample of every record", `{"a":1}` + "\n" + strings.Repeat(`{"a":null}`+"\n", 1000) + `{"a":2.5,"b":true}` + "\n", JSONLOptions{InferRows: -1},
			"a:double,b:bool", "1|<null>;" + strings.Repeat("<null>|<null>;", 1000) + "2.5|true"},
		{"null-only column is string", `{"a":null}` + "\n", JSONLOptions{}, "a:string", "<null>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := openJSONLString(tc.data, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := j.Columns().String(); got != tc.schema {
				t.Errorf("schema %q, want %q", got, tc.schema)
			}
			rows, err := readAllText(t, j, 2)
			if err != nil {
				t.Fatal(err)
			}
			if want := rowsOf(tc.rows); !reflect.DeepEqual(rows, want) {
				t.Errorf("rows %q, want %q", rows, want)
			}
			if j.NumRows() != int64(len(rowsOf(tc.rows))) {
				t.Errorf("NumRows %d, want %d", j.NumRows(), len(rowsOf(tc.rows)))
			}
		})
	}
}

func TestJSONLErrors(t *testing.T) {
	const hint = "the type was inferred from the first 1 records: pass --schema to set the types or raise --infer-rows"
	for _, tc := range []struct {
		name string
		data string
		opts JSONLOptions
		want string // the error's text, at open or read
		is   error
	}{
		{"nested object", `{"a":1}` + "\n" + `{"a":2,"p":{"x":1}}` + "\n", JSONLOptions{},
			`t.jsonl: line 2, column "p": unsupported input: nested values are not supported; flatten them or use Parquet/Arrow`, ErrUnsupported},
		{"nested array past the sample", `{"a":1}` + "\n\n" + `{"a":[1,2]}` + "\n", JSONLOptions{InferRows: 1},
			`t.jsonl: line 3, column "a": unsupported input: nested values are not supported; flatten them or use Parquet/Arrow`, ErrUnsupported},
		{"unknown key past the sample", `{"a":1}` + "\n" + `{"a":2,"b":3}` + "\n", JSONLOptions{InferRows: 1},
			`t.jsonl: line 2, column "b": schema mismatch: key is not among the columns found in the first 1 records; pass --schema to name every column or raise --infer-rows`, ErrSchemaMismatch},
		{"key not in schema", `{"a":1,"b":3}` + "\n", JSONLOptions{Schema: "a:int64"},
			`t.jsonl: line 1, column "b": schema mismatch: key is not a column of --schema`, ErrSchemaMismatch},
		{"wrong type past the sample", `{"a":1}` + "\n" + `{"a":"x"}` + "\n", JSONLOptions{InferRows: 1},
			`t.jsonl: line 2, column "a": corrupt input: "x" is not an int64; ` + hint, ErrCorrupt},
		{"fraction in an int64 column", `{"a":1}` + "\n" + `{"a":1.5}` + "\n", JSONLOptions{InferRows: 1},
			`t.jsonl: line 2, column "a": corrupt input: 1.5 is not an int64; ` + hint, ErrCorrupt},
		{"wrong type given", `{"a":true}` + "\n", JSONLOptions{Schema: "a:double"},
			`t.jsonl: line 1, column "a": corrupt input: true is not a double (as --schema says)`, ErrCorrupt},
		{"bad date", `{"d":"2024-13-01"}` + "\n", JSONLOptions{Schema: "d:date"},
			`t.jsonl: line 1, column "d": corrupt input: "2024-13-01" is not a date (want YYYY-MM-DD) (as --schema says)`, ErrCorrupt},
		{"mixed types in the sample", `{"a":1}` + "\n" + `{"a":true}` + "\n", JSONLOptions{},
			`t.jsonl: line 2, column "a": corrupt input: a bool here but an integer on line 1: a column holds values of one type`, ErrCorrupt},
		{"null in a required column", `{"a":null}` + "\n", JSONLOptions{Schema: "a:int64!"},
			`t.jsonl: line 1, column "a": corrupt input: null in a required column`, ErrCorrupt},
		{"missing key of a required column", `{"b":1}` + "\n", JSONLOptions{Schema: "a:int64!,b:int64"},
			`t.jsonl: line 1, column "a": corrupt input: key missing in a required column`, ErrCorrupt},
		{"duplicate key", `{"a":1,"a":2}` + "\n", JSONLOptions{},
			`t.jsonl: line 1, column "a": corrupt input: key appears twice in the record`, ErrCorrupt},
		{"not an object", `{"a":1}` + "\n" + `[1]` + "\n", JSONLOptions{},
			`t.jsonl: line 2: corrupt input: the line is not a JSON object: JSON Lines input needs one object per line`, ErrCorrupt},
		{"two objects on a line", `{"a":1} {"a":2}` + "\n", JSONLOptions{},
			`t.jsonl: line 1: corrupt input: more than one JSON value on the line`, ErrCorrupt},
		{"object across lines", "{\"a\":\n1}\n", JSONLOptions{},
			`t.jsonl: line 1: corrupt input: invalid JSON: the line ends inside the object`, ErrCorrupt},
		{"syntax", `{"a":1,}` + "\n", JSONLOptions{},
			`t.jsonl: line 1: corrupt input: invalid JSON: invalid character '}' looking for beginning of object key string`, ErrCorrupt},
		{"invalid UTF-8", "{\"a\":\"\xff\"}\n", JSONLOptions{},
			`t.jsonl: line 1: corrupt input: invalid UTF-8 (JSON text must be UTF-8)`, ErrCorrupt},
		{"double out of range", `{"a":1e999}` + "\n", JSONLOptions{},
			`t.jsonl: line 1, column "a": corrupt input: 1e999 is out of the range of a double`, ErrCorrupt},
		{"empty key", `{"":1}` + "\n", JSONLOptions{},
			`t.jsonl: line 1: unsupported input: empty key: every column needs a name`, ErrUnsupported},
		{"empty file", "\n\n", JSONLOptions{},
			`t.jsonl: corrupt input: no record to take the columns from (pass --schema)`, ErrCorrupt},
		{"no keys", "{}\n", JSONLOptions{},
			`t.jsonl: corrupt input: no key in the records sampled to take the columns from (pass --schema)`, ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := openJSONLString(tc.data, tc.opts)
			if err == nil {
				_, err = readAllText(t, j, 1)
			}
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error\n%v\nwant\n%s", err, tc.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, tc.is) {
				t.Errorf("error %v: not an *InputError wrapping %v", err, tc.is)
			}
		})
	}
	if _, err := openJSONLString("{}\n", JSONLOptions{Schema: "a"}); err == nil {
		t.Errorf("bad --schema accepted")
	}
}

// genJSONL makes a JSON Lines file of n records with blank lines and
// missing keys, and the rows it holds as value texts, computed from the
// generator rather than read back.
func genJSONL(n int) (string, [][]string) {
	var b strings.Builder
	var rows [][]string
	for i := range n {
		name := fmt.Sprintf("n%d \"q\"", i)
		if i%7 == 3 {
			b.WriteString("\n  \n")
		}
		score := "<null>"
		if i%5 == 0 {
			fmt.Fprintf(&b, `{"id":%d,"name":%s}`+"\n", i, strconv.Quote(name))
		} else {
			f := float64(i) / 4
			score = strconv.FormatFloat(f, 'g', -1, 64)
			fmt.Fprintf(&b, `{"name":%s,"score":%s,"id":%d}`+"\n", strconv.Quote(name), strconv.FormatFloat(f, 'f', -1, 64), i)
		}
		rows = append(rows, []string{strconv.Itoa(i), name, score})
	}
	return b.String(), rows
}

func TestJSONLUnits(t *testing.T) {
	data, want := genJSONL(100)
	for _, unit := range []int{1, 2, 7, 99, 100, 101, 65536} {
		for _, batch := range []int{1, 3, 64} {
			t.Run(fmt.Sprintf("unit=%d/batch=%d", unit, batch), func(t *testing.T) {
				withJSONLUnitRows(t, unit)
				j, err := openJSONLString(data, JSONLOptions{Schema: "id:int64!,name:string,score:double"})
				if err != nil {
					t.Fatal(err)
				}
				if got, wantUnits := j.NumUnits(), (100+unit-1)/unit; got != wantUnits {
					t.Errorf("NumUnits = %d, want %d", got, wantUnits)
				}
				var sum int64
				for i := range j.NumUnits() {
					n := j.UnitNumRows(i)
					if n > int64(unit) || i < j.NumUnits()-1 && n != int64(unit) {
						t.Errorf("unit %d has %d rows, unit size %d", i, n, unit)
					}
					sum += n
				}
				if sum != 100 || j.NumRows() != 100 {
					t.Errorf("units hold %d rows, NumRows %d, want 100", sum, j.NumRows())
				}
				got, err := readAllText(t, j, batch)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("rows differ from the generated ones")
				}
			})
		}
	}
}

// TestJSONLInference checks the inferred columns of the generated file:
// id first seen first, score a double although many values are integral.
func TestJSONLInference(t *testing.T) {
	data, want := genJSONL(30)
	j, err := openJSONLString(data, JSONLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := j.Columns().String(); got != "id:int64,name:string,score:double" {
		t.Errorf("columns %q", got)
	}
	got, err := readAllText(t, j, 4)
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("rows %q, %v; want %q", got, err, want)
	}
}

// TestJSONLErrorLineInLaterUnit checks that lines are counted from the
// start of the file, not of the unit, across blank lines.
func TestJSONLErrorLineInLaterUnit(t *testing.T) {
	data, _ := genJSONL(50)
	data += `{"id":"bad"}` + "\n"
	line := strings.Count(data, "\n")
	for _, unit := range []int{1, 3, 10, 1000} {
		withJSONLUnitRows(t, unit)
		j, err := openJSONLString(data, JSONLOptions{InferRows: 10})
		if err != nil {
			t.Fatal(err)
		}
		_, err = readAllText(t, j, 4)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Line != int64(line) || ie.Column != "id" {
			t.Errorf("unit size %d: error %v, want one at line %d, column id", unit, err, line)
		}
	}
}

func TestJSONLConcurrentUnits(t *testing.T) {
	withJSONLUnitRows(t, 16)
	data, want := genJSONL(500)
	j, err := openJSONLString(data, JSONLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := readUnitsConcurrently(t, j)
	if !reflect.DeepEqual(all, want) {
		t.Errorf("rows read concurrently differ from the file's")
	}
}

func TestJSONLReadUnitStops(t *testing.T) {
	j, err := openJSONLString("{\"a\":1}\n{\"a\":2}\n", JSONLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	checkReadUnitStops(t, j)
}

// TestJSONLLongLine reads a line longer than the read buffer.
func TestJSONLLongLine(t *testing.T) {
	long := strings.Repeat("é", jsonlBufferSize)
	data := `{"s":"a"}` + "\n" + `{"s":"` + long + `"}` + "\n" + `{"s":"b"}`
	j, err := openJSONLString(data, JSONLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAllText(t, j, 2)
	if want := [][]string{{"a"}, {long}, {"b"}}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("read %d rows, %v", len(got), err)
	}
}

func TestOpenJSONLFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.jsonl")
	data := "{\"a\":1}\n{\"a\":2}\n"
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	j, err := OpenJSONLFile(path, JSONLOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if j.Name() != path || j.Size() != int64(len(data)) || j.NumRows() != 2 || j.KeyValueMetadata() != nil {
		t.Errorf("Name %q Size %d NumRows %d KeyValueMetadata %v", j.Name(), j.Size(), j.NumRows(), j.KeyValueMetadata())
	}
	if err := j.CheckUnchanged(); err != nil {
		t.Fatalf("CheckUnchanged on an untouched file: %v", err)
	}
	if err := os.WriteFile(path, []byte(data+"{\"a\":3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := j.CheckUnchanged(); !errors.Is(err, ErrChanged) {
		t.Errorf("CheckUnchanged after a write = %v, want ErrChanged", err)
	}
	if err := j.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if _, err := OpenJSONLFile(t.TempDir(), JSONLOptions{}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("OpenJSONLFile of a directory = %v, want ErrUnsupported", err)
	}
}

// TestJSONLChangedUnderneath checks that a unit whose bytes changed after
// the scan is refused, not read as different rows.
func TestJSONLChangedUnderneath(t *testing.T) {
	withJSONLUnitRows(t, 2)
	buf := []byte("{}\n{}\n{}\n{}\n")
	j, err := OpenJSONL("t.jsonl", bytesReaderAt(buf), int64(len(buf)), JSONLOptions{Schema: "a:int64"})
	if err != nil {
		t.Fatal(err)
	}
	copy(buf, "{}\n  \n") // unit 0 now holds one record
	if _, err = readAllText(t, j, 10); !errors.Is(err, ErrCorrupt) {
		t.Errorf("read of a changed file = %v, want ErrCorrupt", err)
	}
}
