package sources

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/rowcheck"
	"github.com/splitdata/splitdata/sinks"
)

// FuzzParseCSVSchema checks that any --schema text gives a schema or an
// error, never a panic, and that every accepted schema prints as text that
// parses back to it and makes a valid Parquet schema.
func FuzzParseCSVSchema(f *testing.F) {
	for _, s := range []string{
		"a:int64", "a:bool,b:int64!,c:double,d:string,e:date,f:timestamp",
		" a : string ! ", "x:y:z:date", "a:int64,a:int64", "", ",", ":", "a:",
		"é:string", "a:int64!!", "a:int6", "\xff:bool",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cols, err := ParseCSVSchema(s)
		if err != nil {
			if cols != nil {
				t.Fatalf("ParseCSVSchema(%q) returned columns with error %v", s, err)
			}
			return
		}
		if len(cols) == 0 {
			t.Fatalf("ParseCSVSchema(%q) accepted no columns", s)
		}
		again, err := ParseCSVSchema(cols.String())
		if err != nil || !reflect.DeepEqual(again, cols) {
			t.Fatalf("ParseCSVSchema(%q) = %v; its String %q parses to %v, %v", s, cols, cols.String(), again, err)
		}
		schema := cols.Parquet()
		if got := len(rowcheck.New(schema)); got != len(cols) {
			t.Fatalf("schema of %q has %d leaves, want %d", s, got, len(cols))
		}
		for i, field := range schema.Fields() {
			if field.Name() != cols[i].Name || field.Optional() == cols[i].Required {
				t.Fatalf("schema of %q: field %d is %q (optional %v), want %+v", s, i, field.Name(), field.Optional(), cols[i])
			}
		}
	})
}

// FuzzCSV opens arbitrary bytes as a CSV file and reads every unit: that
// must give rows or an *InputError, never a panic. A file that reads
// without error must read to the same rows when cut into other units, when
// its inferred schema is given back with --schema, and when its rows are
// written by the CSV sink and read again with that schema.
func FuzzCSV(f *testing.F) {
	seeds := []string{
		"a,b\n1,x\n2,y\n",
		"a,b\r\n\"x,\"\"y\"\"\",1.5\r\n\"multi\nline\",\r\n",
		"\xEF\xBB\xBFid;v\n1;true\n\n2;FALSE\n",
		"a\n0x10\n1e5\nNaN\n",
		"a,a\n", "a,\n", "a\n\"unterminated\n", "a,b\n1\n", "a\nx\"y\n", "",
		"a\n1\n2\n3\nfour\n",
		"1,2\n3,4\n",
		"a\n\xff\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s), false, byte(0), uint8(0))
		f.Add([]byte(s), true, byte(1), uint8(2))
		f.Add([]byte(s), false, byte(4), uint8(3)) // null text NA
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "csv", "*"))
	for _, name := range files {
		if data, err := os.ReadFile(name); err == nil {
			f.Add(data, false, byte(2), uint8(1))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, noHeader bool, delim byte, sample uint8) {
		old := csvUnitRows
		defer func() { csvUnitRows = old }()
		delimiter := []rune{',', ';', '\t', '|'}[delim%4]
		null := []string{"", "NA", `\N`}[delim/4%3]
		opts := CSVOptions{Delimiter: delimiter, NoHeader: noHeader, InferRows: int(sample % 8), Null: null}

		read := func(opts CSVOptions, unit int) (*CSV, [][]string, error) {
			csvUnitRows = unit
			c, err := OpenCSV("f.csv", bytesReaderAt(data), int64(len(data)), opts)
			if err != nil {
				checkInputError(t, err)
				return nil, nil, err
			}
			rows, err := readFuzzed(t, c)
			return c, rows, err
		}

		c, rows, err := read(opts, 1+int(sample%5))
		if err != nil {
			return
		}
		_, again, err := read(opts, 65536)
		if err != nil || !reflect.DeepEqual(again, rows) {
			t.Fatalf("with one unit: %v, rows %q, want %q", err, again, rows)
		}
		given := c.Columns().String()
		if cols, err := ParseCSVSchema(given); err != nil || !reflect.DeepEqual(cols, c.Columns()) {
			return // a column name --schema cannot spell
		}
		opts.Schema = given
		_, again, err = read(opts, 2)
		if err != nil || !reflect.DeepEqual(again, rows) {
			t.Fatalf("with --schema %q: %v, rows %q, want %q", given, err, again, rows)
		}

		data = writeCSV(t, c, sinks.CSVWriteOptions{Delimiter: delimiter, NoHeader: noHeader, Null: null})
		_, again, err = read(opts, 3)
		if err != nil || !reflect.DeepEqual(again, rows) {
			t.Fatalf("written by the sink as %q: %v, rows %q, want %q", data, err, again, rows)
		}
	})
}

// writeCSV writes the rows of c with the CSV sink.
func writeCSV(t *testing.T, c *CSV, opts sinks.CSVWriteOptions) []byte {
	format := sinks.CSV(opts)
	enc, err := format.NewEncoder(c.Schema())
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := format.NewFileWriter(&buf, c.Schema(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.NumUnits() {
		var rows []parquet.Row
		err := c.ReadUnit(t.Context(), i, 2, func(batch []parquet.Row) error {
			for _, r := range batch {
				rows = append(rows, r.Clone())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		chunk, err := enc.Encode(&rowSlice{rows})
		if err != nil {
			t.Fatalf("encode rows read from a CSV file: %v", err)
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

// rowSlice is a parquet.RowReader of rows.
type rowSlice struct{ rows []parquet.Row }

func (s *rowSlice) ReadRows(dst []parquet.Row) (int, error) {
	n := copy(dst, s.rows)
	s.rows = s.rows[n:]
	if len(s.rows) == 0 {
		return n, io.EOF
	}
	return n, nil
}

// readFuzzed reads every row of src, a fuzzed text input that opened,
// checking that its units' rows add up to NumRows and, when it reads
// without error, that it holds that many; an error must be one
// checkInputError accepts.
func readFuzzed(t *testing.T, src FileSource) ([][]string, error) {
	t.Helper()
	var total int64
	for i := range src.NumUnits() {
		total += src.UnitNumRows(i)
	}
	if total != src.NumRows() {
		t.Fatalf("units hold %d rows, NumRows %d", total, src.NumRows())
	}
	rows, err := readAllText(t, src, 3)
	checkColumnsPath(t, src, rows, err)
	if err != nil {
		checkInputError(t, err)
		return nil, err
	}
	if int64(len(rows)) != src.NumRows() {
		t.Fatalf("read %d rows, NumRows %d", len(rows), src.NumRows())
	}
	return rows, nil
}

// checkInputError fails unless err is an *InputError naming the file and
// wrapping one of the sentinels.
func checkInputError(t *testing.T, err error) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) || ie.Path != "f.csv" {
		t.Fatalf("error %v is not an *InputError naming f.csv", err)
	}
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrSchemaMismatch) {
		t.Fatalf("error %v wraps none of the sentinels", err)
	}
}
