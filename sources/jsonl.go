package sources

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// DefaultJSONLInferRows is the number of records sampled to find the
// columns of a JSON Lines table and their types when
// [JSONLOptions.InferRows] is 0.
const DefaultJSONLInferRows = DefaultCSVInferRows

// jsonlUnitRows is the number of records in a unit of a JSON Lines input
// (the last unit may have fewer). It is a variable so that tests can cut
// small files into many units.
var jsonlUnitRows = 65536

// jsonlBufferSize is the read buffer of every JSON Lines reader.
const jsonlBufferSize = 64 << 10

// JSONLOptions says how to read a JSON Lines file. The zero value finds
// the columns and their types in the first 1000 records.
type JSONLOptions struct {
	// Schema, when not empty, gives the columns' names and types in the
	// syntax of [ParseCSVSchema], and nothing is inferred: a record with a
	// key the schema does not name is an error.
	Schema string `json:"schema,omitempty"`
	// InferRows is the number of records whose keys and values decide the
	// columns and their types: 0 means [DefaultJSONLInferRows], a negative
	// number every record of the file.
	InferRows int `json:"infer_rows,omitempty"`
}

// Validate reports whether the options are usable.
func (o JSONLOptions) Validate() error {
	if o.Schema != "" {
		if _, err := ParseCSVSchema(o.Schema); err != nil {
			return fmt.Errorf("jsonl options: %w", err)
		}
	}
	return nil
}

// JSONL is an opened JSON Lines input: one JSON object per line, lines
// ending in LF or CRLF; lines holding only spaces, tabs and CRs are
// skipped, and a UTF-8 byte order mark at the start is dropped. It
// implements [FileSource]; the methods it shares with the CSV input (Name,
// Schema, Size, NumRows, NumUnits, UnitNumRows, Columns, CheckUnchanged,
// Close) come from one embedded base.
//
// Opening scans the whole file once for its lines and cuts it into units
// of up to 65536 records and about [TextUnitBytes] decoded, recording each
// unit's byte offset, first line and record count, so that row counts are known before any unit is read, as
// they are from Parquet footers. Only the inference sample is parsed at
// open; the other records are parsed when their unit is read, so a record
// that is not valid JSON, or whose values do not fit the columns, is
// reported by [JSONL.ReadUnit]. The scan holds O(units) memory whatever
// the file's size.
//
// # Columns and types
//
// With [JSONLOptions.Schema] the columns and their types are given.
// Otherwise the columns are the top-level keys of the first
// [JSONLOptions.InferRows] records (1000 by default), in the order they are
// first seen, and their types follow the JSON values sampled, ignoring
// nulls: bool for true and false; int64 for numbers written without
// fraction or exponent within the int64 range; double for other numbers,
// and for a mix of int64 and double; string for strings. A column with no
// non-null value in the sample is a string column. Other mixes, such as a
// string in one record and a number in another, are an error. Dates and
// timestamps are never inferred: give them with a schema, as strings in
// the file (YYYY-MM-DD and RFC 3339, read as CSV reads them). Every
// inferred column is nullable; a schema may make columns required.
//
// A null or a missing key is a null. A nested value (object or array) is
// an error, as are a key that appears twice in a record, a key that is
// not a column, and a value of the wrong type (an int64 column takes only
// integral numbers, a double column any number, date, timestamp and string
// columns JSON strings, bool columns true and false). Lines must be valid
// UTF-8. Errors are [*InputError] values naming the line and the key.
//
// A JSONL may be read by several goroutines at once, one unit each.
type JSONL struct {
	textFile
	index map[string]int // column index by name
}

// OpenJSONLFile opens the JSON Lines file at path and scans it (see
// [JSONL]). The caller must Close it.
func OpenJSONLFile(path string, opts JSONLOptions) (*JSONL, error) {
	f, stamp, err := openFile(path)
	if err != nil {
		return nil, err
	}
	j, err := OpenJSONL(path, f, stamp.opened.Size(), opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	j.attach(f, stamp)
	return j, nil
}

// OpenJSONL scans the JSON Lines data in r, which holds size bytes, and
// settles its columns (see [JSONL]); name is used in errors. Any
// io.ReaderAt works, so inputs need not be local files. Errors in the file
// are [*InputError] values naming the line, and the key where one is
// concerned.
func OpenJSONL(name string, r io.ReaderAt, size int64, opts JSONLOptions) (*JSONL, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	j := &JSONL{textFile: newTextFile(name, r, size, opts.Schema, opts.InferRows, DefaultJSONLInferRows)}
	if err := j.scan(); err != nil {
		return nil, err
	}
	j.index = make(map[string]int, len(j.cols))
	for i, c := range j.cols {
		j.index[c.Name] = i
	}
	j.finish()
	return j, nil
}

// lineReader reads the lines of a range of a JSON Lines file.
type lineReader struct {
	br   *bufio.Reader
	long []byte // a line longer than the buffer, assembled
}

func (j *JSONL) newLineReader(off, end int64) *lineReader {
	return &lineReader{br: bufio.NewReaderSize(io.NewSectionReader(j.r, off, end-off), jsonlBufferSize)}
}

// next returns the next line, without its LF, and the number of bytes it
// took, or io.EOF. The line is valid until the next call.
func (lr *lineReader) next() ([]byte, int64, error) {
	line, err := lr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.long = append(lr.long[:0], line...)
		for err == bufio.ErrBufferFull {
			if int64(len(lr.long)) > maxRecordBytes {
				return nil, 0, recordTooLongError()
			}
			line, err = lr.br.ReadSlice('\n')
			lr.long = append(lr.long, line...)
		}
		line = lr.long
	}
	switch {
	case err == io.EOF && len(line) == 0:
		return nil, 0, io.EOF
	case err != nil && err != io.EOF:
		return nil, 0, err
	}
	n := int64(len(line))
	if n > maxRecordBytes {
		return nil, 0, recordTooLongError()
	}
	line, _ = bytes.CutSuffix(line, []byte{'\n'})
	return line, n, nil
}

// readError wraps an error reading a line.
func readError(err error) error {
	if errors.Is(err, errRecordTooLong) {
		return err
	}
	return fmt.Errorf("read: %w", err)
}

// blank reports whether line holds only JSON whitespace.
func blank(line []byte) bool {
	for _, c := range line {
		if c != ' ' && c != '\t' && c != '\r' {
			return false
		}
	}
	return true
}

// jsonlKind is the kind of a sampled JSON value, for inference.
type jsonlKind int

const (
	kindNone jsonlKind = iota
	kindBool
	kindInt
	kindDouble
	kindString
)

var jsonlKindNames = [...]string{kindNone: "null", kindBool: "a bool", kindInt: "an integer", kindDouble: "a number", kindString: "a string"}

// jsonlInference is what the sample says of one column: the kind of its
// values so far and the line of the value that set it.
type jsonlInference struct {
	kind jsonlKind
	line int64
}

// scan reads the whole file for its lines, cuts it into units and, when
// the columns are inferred, settles them from the sample.
func (j *JSONL) scan() error {
	start, err := j.start()
	if err != nil {
		return err
	}
	lr := j.newLineReader(start, j.size)
	var infer []jsonlInference
	var index map[string]int
	if !j.given {
		index = map[string]int{}
	}
	off, lineNo := start, int64(0)
	sampled := 0
	var seen []bool
	for {
		line, n, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &InputError{Path: j.name, RowGroup: -1, Line: lineNo + 1, Err: readError(err)}
		}
		lineNo++
		lineOff := off
		off += n
		if blank(line) {
			continue
		}
		// Fields are not counted here (the line is parsed only while
		// inferring): a field takes at least 5 bytes of a line ("k":v,),
		// so a line of n bytes holds at most n/5 values.
		j.addRecord(lineOff, lineNo, jsonlUnitRows, n+textValueBytes*(n/5+1))
		if j.given || j.inferN >= 0 && sampled >= j.inferN {
			continue
		}
		sampled++
		seen = seen[:0]
		err = j.parseLine(line, func(key string, v any) error {
			i, ok := index[key]
			if !ok {
				if key == "" {
					return fmt.Errorf("%w: empty key: every column needs a name", ErrUnsupported)
				}
				if len(j.cols) == MaxColumns {
					return tooManyColumns(len(j.cols) + 1)
				}
				i = len(j.cols)
				index[key] = i
				j.cols = append(j.cols, CSVColumn{Name: key})
				infer = append(infer, jsonlInference{})
			}
			for len(seen) <= i {
				seen = append(seen, false)
			}
			if seen[i] {
				return fmt.Errorf("%w: key appears twice in the record", ErrCorrupt)
			}
			seen[i] = true
			return infer[i].add(v, lineNo)
		})
		if err != nil {
			return j.lineError(-1, lineNo, err)
		}
	}
	if !j.given {
		if len(j.cols) == 0 {
			what := "no record"
			if j.numRows > 0 {
				what = "no key in the records sampled"
			}
			return &InputError{Path: j.name, RowGroup: -1, Err: fmt.Errorf("%w: %s to take the columns from (pass --schema)", ErrCorrupt, what)}
		}
		for i := range infer {
			j.cols[i].Type = infer[i].typ()
		}
		j.inferN = sampled
	}
	return nil
}

// start returns the offset of the first byte after a byte order mark.
func (j *JSONL) start() (int64, error) {
	var bom [len(utf8BOM)]byte
	n, err := j.r.ReadAt(bom[:], 0)
	if n == len(bom) && string(bom[:]) == utf8BOM && j.size >= int64(len(bom)) {
		return int64(len(bom)), nil
	}
	if err != nil && err != io.EOF {
		return 0, &InputError{Path: j.name, RowGroup: -1, Err: fmt.Errorf("read: %w", err)}
	}
	return 0, nil
}

// add narrows the inference by the value v of a token on line line.
func (f *jsonlInference) add(v any, line int64) error {
	var k jsonlKind
	switch v := v.(type) {
	case nil:
		return nil
	case bool:
		k = kindBool
	case string:
		k = kindString
	case json.Number:
		k = numberKind(v)
		if k == kindDouble {
			if _, err := strconv.ParseFloat(string(v), 64); err != nil {
				return fmt.Errorf("%w: %s is out of the range of a double", ErrCorrupt, v)
			}
		}
	}
	switch {
	case f.kind == kindNone:
		f.kind, f.line = k, line
	case f.kind == k:
	case f.kind == kindInt && k == kindDouble:
		f.kind = kindDouble
	case f.kind == kindDouble && k == kindInt:
	default:
		return fmt.Errorf("%w: %s here but %s on line %d: a column holds values of one type", ErrCorrupt, jsonlKindNames[k], jsonlKindNames[f.kind], f.line)
	}
	return nil
}

// typ returns the inferred type: string when no value was sampled.
func (f *jsonlInference) typ() CSVType {
	switch f.kind {
	case kindBool:
		return CSVBool
	case kindInt:
		return CSVInt64
	case kindDouble:
		return CSVDouble
	}
	return CSVString
}

// numberKind tells an int64 (no fraction, no exponent, in range) from
// other numbers.
func numberKind(n json.Number) jsonlKind {
	if strings.ContainsAny(string(n), ".eE") {
		return kindDouble
	}
	if _, err := strconv.ParseInt(string(n), 10, 64); err != nil {
		return kindDouble
	}
	return kindInt
}

// keyError is an error about the value of one key of a record.
type keyError struct {
	key string
	err error
}

func (e *keyError) Error() string { return e.err.Error() }
func (e *keyError) Unwrap() error { return e.err }

// lineError turns an error of parseLine into an [*InputError] at line.
func (j *JSONL) lineError(unit int, line int64, err error) error {
	var ke *keyError
	col := ""
	if errors.As(err, &ke) {
		col, err = ke.key, ke.err
	}
	return &InputError{Path: j.name, RowGroup: unit, Line: line, Column: col, Err: err}
}

// parseLine parses line as one JSON object of scalar values and calls fn
// with each key and value (nil, bool, string or json.Number), in order.
// Errors about a key's value come as *keyError.
func (j *JSONL) parseLine(line []byte, fn func(key string, v any) error) error {
	if !utf8.Valid(line) {
		return fmt.Errorf("%w: invalid UTF-8 (JSON text must be UTF-8)", ErrCorrupt)
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	syntax := func(err error) error {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("%w: invalid JSON: %s", ErrCorrupt, se.Error())
		}
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: invalid JSON: the line ends inside the object", ErrCorrupt)
		}
		return fmt.Errorf("%w: invalid JSON: %s", ErrCorrupt, err)
	}
	tok, err := dec.Token()
	if err != nil {
		return syntax(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return fmt.Errorf("%w: the line is not a JSON object: JSON Lines input needs one object per line", ErrCorrupt)
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return syntax(err)
		}
		key, ok := tok.(string)
		if !ok {
			return syntax(fmt.Errorf("object key is not a string"))
		}
		tok, err = dec.Token()
		if err != nil {
			return syntax(err)
		}
		if _, nested := tok.(json.Delim); nested {
			return &keyError{key, fmt.Errorf("%w: nested values are not supported; flatten them or use Parquet/Arrow", ErrUnsupported)}
		}
		if err := fn(key, tok); err != nil {
			var ke *keyError
			if !errors.As(err, &ke) {
				err = &keyError{key, err}
			}
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		return syntax(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return syntax(err)
		}
		return fmt.Errorf("%w: more than one JSON value on the line", ErrCorrupt)
	}
	return nil
}

// ReadUnit parses the records of unit i, converts their values to values
// of the schema and streams them to fn in batches of at most batch rows
// (at least 1), in file order. The rows passed to fn, and the byte slices
// of their values, are borrowed: they are valid only until fn returns.
// ReadUnit checks that the unit holds exactly the records the scan found.
// A record that is not valid JSON, or a value that does not fit its column,
// is reported as an [*InputError] with its line and key.
func (j *JSONL) ReadUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	if i < 0 || i >= len(j.units) {
		return fmt.Errorf("%s: unit %d out of range [0,%d)", j.name, i, len(j.units))
	}
	batch = max(batch, 1)
	u, end := j.units[i], j.unitEnd(i)
	lr := j.newLineReader(u.offset, end)
	ncols := len(j.cols)
	values := make([]parquet.Value, batch*ncols)
	rows := make([]parquet.Row, batch)
	for k := range rows {
		rows[k] = values[k*ncols : (k+1)*ncols : (k+1)*ncols]
	}
	set := make([]bool, ncols)
	var arena []byte // string bytes of the current batch
	k := 0           // rows in the current batch
	var got int64
	lineNo := u.line - 1
	for {
		line, _, err := lr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return &InputError{Path: j.name, RowGroup: i, Line: lineNo + 1, Err: readError(err)}
		}
		lineNo++
		if blank(line) {
			continue
		}
		if got++; got > u.rows {
			return &InputError{Path: j.name, RowGroup: i, Line: lineNo, Err: fmt.Errorf("%w: unit holds more than the %d records found when the file was opened", ErrCorrupt, u.rows)}
		}
		row := rows[k]
		clear(set)
		err = j.parseLine(line, func(key string, tok any) error {
			c, ok := j.index[key]
			if !ok {
				return j.unknownKey(key)
			}
			if set[c] {
				return fmt.Errorf("%w: key appears twice in the record", ErrCorrupt)
			}
			set[c] = true
			v, err := j.value(c, tok, &arena)
			row[c] = v
			return err
		})
		if err != nil {
			return j.lineError(i, lineNo, err)
		}
		for c, ok := range set {
			if ok {
				continue
			}
			if j.cols[c].Required {
				return &InputError{Path: j.name, RowGroup: i, Line: lineNo, Column: j.cols[c].Name, Err: fmt.Errorf("%w: key missing in a required column", ErrCorrupt)}
			}
			row[c] = parquet.NullValue().Level(0, 0, c)
		}
		if err := j.layout.Check(row); err != nil {
			return &InputError{Path: j.name, RowGroup: i, Line: lineNo, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
		}
		if k++; k == batch {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(rows[:k]); err != nil {
				return err
			}
			k, arena = 0, arena[:0]
		}
	}
	if k > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := fn(rows[:k]); err != nil {
			return err
		}
	}
	if got != u.rows {
		return &InputError{Path: j.name, RowGroup: i, Line: u.line, Err: fmt.Errorf("%w: unit holds %d records, %d when the file was opened", ErrCorrupt, got, u.rows)}
	}
	return nil
}

// unknownKey reports a key that is not a column.
func (j *JSONL) unknownKey(key string) error {
	if j.given {
		return fmt.Errorf("%w: key is not a column of --schema", ErrSchemaMismatch)
	}
	return fmt.Errorf("%w: key is not among the columns found in the first %d records; pass --schema to name every column or raise --infer-rows",
		ErrSchemaMismatch, j.inferN)
}

// value converts tok, the JSON value of column c, to its value. String
// bytes are appended to arena, which the value then references.
func (j *JSONL) value(c int, tok any, arena *[]byte) (parquet.Value, error) {
	col := j.cols[c]
	def := 1
	if col.Required {
		def = 0
	}
	if tok == nil {
		if col.Required {
			return parquet.Value{}, fmt.Errorf("%w: null in a required column", ErrCorrupt)
		}
		return parquet.NullValue().Level(0, 0, c), nil
	}
	var v parquet.Value
	switch t := tok.(type) {
	case bool:
		if col.Type != CSVBool {
			return parquet.Value{}, j.typeError(c, strconv.FormatBool(t), "")
		}
		v = parquet.BooleanValue(t)
	case json.Number:
		switch col.Type {
		case CSVInt64:
			if numberKind(t) != kindInt {
				return parquet.Value{}, j.typeError(c, string(t), "")
			}
			n, _ := strconv.ParseInt(string(t), 10, 64)
			v = parquet.Int64Value(n)
		case CSVDouble:
			f, err := strconv.ParseFloat(string(t), 64)
			if err != nil {
				return parquet.Value{}, j.typeError(c, string(t), "out of range")
			}
			v = parquet.DoubleValue(f)
		default:
			return parquet.Value{}, j.typeError(c, string(t), "")
		}
	case string:
		switch col.Type {
		case CSVString:
			n := len(*arena)
			*arena = append(*arena, t...)
			v = parquet.ByteArrayValue((*arena)[n:len(*arena):len(*arena)])
		case CSVDate:
			d, err := parseCSVDate(t)
			if err != nil {
				return parquet.Value{}, j.typeError(c, strconv.Quote(t), "want YYYY-MM-DD")
			}
			v = parquet.Int32Value(d)
		case CSVTimestamp:
			ts, err := parseCSVTimestamp(t)
			if err != nil {
				return parquet.Value{}, j.typeError(c, strconv.Quote(t), err.Error())
			}
			v = parquet.Int64Value(ts)
		default:
			return parquet.Value{}, j.typeError(c, strconv.Quote(t), "")
		}
	default:
		return parquet.Value{}, fmt.Errorf("unexpected JSON token %T", tok)
	}
	return v.Level(0, def, c), nil
}

// typeError reports the JSON value text as unfit for the type of column
// c, why if that is known, with a hint at --schema when the type was
// inferred.
func (j *JSONL) typeError(c int, text, why string) error {
	if len(text) > 40 {
		text = strings.ToValidUTF8(text[:40], "") + "..."
	}
	t := j.cols[c].Type
	article := "a"
	if t == CSVInt64 {
		article = "an"
	}
	msg := fmt.Sprintf("%s is not %s %s", text, article, t)
	if why != "" {
		msg += " (" + why + ")"
	}
	if j.given {
		return fmt.Errorf("%w: %s (as --schema says)", ErrCorrupt, msg)
	}
	return fmt.Errorf("%w: %s; the type was inferred from the first %d records: pass --schema to set the types or raise --infer-rows", ErrCorrupt, msg, j.inferN)
}

var _ FileSource = (*JSONL)(nil)
