package sources

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
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
		j.strText += n
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
			if s, ok := v.(string); ok {
				j.countField(i, len(s))
			}
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

var _ FileSource = (*JSONL)(nil)
