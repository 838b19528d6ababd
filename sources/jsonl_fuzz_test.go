package sources

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
)

// FuzzJSONL opens arbitrary bytes as a JSON Lines file and reads every
// unit: that must give rows or an *InputError, never a panic. A file that
// reads without error must read to the same rows when cut into other
// units, when its inferred columns are given back with --schema, and when
// its rows are written by the JSON Lines sink and read again with that
// schema.
func FuzzJSONL(f *testing.F) {
	seeds := []string{
		`{"a":1,"b":"x"}` + "\n" + `{"a":2.5,"c":true}` + "\n",
		"\xEF\xBB\xBF" + `{"s":"\u00e9\ud800\n","n":null}` + "\r\n\r\n" + `{"s":"<&>"}`,
		`{"a":1}` + "\n" + `{"a":"x"}` + "\n",
		`{"a":[1]}`, `{"a":{}}`, `[1]`, `1`, `{"a":1} {}`, `{"a":1,"a":2}`, `{"":1}`, "",
		`{"a":9223372036854775808,"b":-0,"c":1e400}`,
		`{"a":1}` + "\n" + `{"b":2}` + "\n" + `{"a":3}` + "\n" + `{"c":4}` + "\n",
		"{\"a\":\"\xff\"}",
	}
	for _, s := range seeds {
		f.Add([]byte(s), uint8(0))
		f.Add([]byte(s), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, sample uint8) {
		old := jsonlUnitRows
		defer func() { jsonlUnitRows = old }()
		opts := JSONLOptions{InferRows: int(sample % 8)}

		read := func(opts JSONLOptions, unit int) (*JSONL, [][]string, error) {
			jsonlUnitRows = unit
			// f.csv is the name checkInputError expects.
			j, err := OpenJSONL("f.csv", bytesReaderAt(data), int64(len(data)), opts)
			if err != nil {
				checkInputError(t, err)
				return nil, nil, err
			}
			rows, err := readFuzzed(t, j)
			return j, rows, err
		}

		j, rows, err := read(opts, 1+int(sample%5))
		if err != nil {
			return
		}
		_, again, err := read(opts, 65536)
		if err != nil || !reflect.DeepEqual(again, rows) {
			t.Fatalf("with one unit: %v, rows %q, want %q", err, again, rows)
		}
		given := j.Columns().String()
		if cols, err := ParseCSVSchema(given); err != nil || !reflect.DeepEqual(cols, j.Columns()) {
			return // a column name --schema cannot spell
		}
		opts.Schema = given
		_, again, err = read(opts, 2)
		if err != nil || !reflect.DeepEqual(again, rows) {
			t.Fatalf("with --schema %q: %v, rows %q, want %q", given, err, again, rows)
		}

		data = writeJSONL(t, j)
		_, again, err = read(opts, 3)
		if err != nil || !reflect.DeepEqual(again, rows) {
			t.Fatalf("written by the sink as %q: %v, rows %q, want %q", data, err, again, rows)
		}
	})
}

// writeJSONL writes the rows of j with the JSON Lines sink.
func writeJSONL(t *testing.T, j *JSONL) []byte {
	format := sinks.JSONL()
	enc, err := format.NewEncoder(j.Schema())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := format.NewFileWriter(&buf, j.Schema(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range j.NumUnits() {
		var rows []parquet.Row
		err := j.ReadUnit(t.Context(), i, 2, func(batch []parquet.Row) error {
			for _, r := range batch {
				rows = append(rows, r.Clone())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			continue
		}
		chunk, err := enc.Encode(&rowSlice{rows})
		if err != nil {
			t.Fatalf("encode rows read from a JSON Lines file: %v", err)
		}
		if err := w.Append(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
