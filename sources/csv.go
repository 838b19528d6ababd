package sources

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultCSVInferRows is the number of records sampled to infer the types
// of a CSV table's columns when [CSVOptions.InferRows] is 0.
const DefaultCSVInferRows = 1000

// csvUnitRows is the number of records in a unit of a CSV input (the last
// unit may have fewer). It is a variable so that tests can cut small files
// into many units.
var csvUnitRows = 65536

// csvBufferSize is the read buffer of every CSV reader.
const csvBufferSize = 64 << 10

// utf8BOM is the byte order mark some writers put at the start of UTF-8
// text; it is not part of the first field.
const utf8BOM = "\xEF\xBB\xBF"

// CSVOptions says how to read a CSV file. The zero value reads
// comma-separated files with a header and infers the column types from the
// first 1000 records.
type CSVOptions struct {
	// Delimiter separates fields; 0 means ','. It must be a valid rune
	// other than '"', '\r', '\n' and U+FFFD.
	Delimiter rune `json:"delimiter,omitempty"`
	// NoHeader says the file has no header record: every record is data,
	// and the columns are named by Schema, or else c0, c1, ...
	NoHeader bool `json:"no_header,omitempty"`
	// Schema, when not empty, gives the columns' names and types in the
	// syntax of [ParseCSVSchema], and no type is inferred. A header, if the
	// file has one, must name the same columns in the same order.
	Schema string `json:"schema,omitempty"`
	// InferRows is the number of records, after the header, whose values
	// decide the inferred column types: 0 means [DefaultCSVInferRows], a
	// negative number every record of the file.
	InferRows int `json:"infer_rows,omitempty"`
	// Null is the field text read as null, in columns of every type; by
	// default the empty field. A quoted field equal to Null is null too:
	// CSV readers cannot tell quoted from unquoted fields.
	Null string `json:"null,omitempty"`
}

// Validate reports whether the options are usable.
func (o CSVOptions) Validate() error {
	if d := o.Delimiter; d != 0 && (d == '"' || d == '\r' || d == '\n' || d == utf8.RuneError || !utf8.ValidRune(d)) {
		return fmt.Errorf("csv options: invalid delimiter %q", d)
	}
	if o.Schema != "" {
		if _, err := ParseCSVSchema(o.Schema); err != nil {
			return fmt.Errorf("csv options: %w", err)
		}
	}
	return nil
}

// CSV is an opened CSV input (RFC 4180: fields separated by the delimiter,
// quoted with double quotes when they hold the delimiter, quotes or line
// breaks, quotes doubled inside quoted fields; lines end in LF or CRLF,
// and a CRLF inside a quoted field is read as LF; blank lines are skipped;
// a UTF-8 byte order mark at the start is dropped). It implements
// [FileSource]; the methods it shares with the JSON Lines input (Name,
// Schema, Size, NumRows, NumUnits, UnitNumRows, Columns, CheckUnchanged,
// Close) come from one embedded base.
//
// Opening scans the whole file once for its record structure (quotes and
// field counts) and cuts it into units of up to 65536 records and about
// [TextUnitBytes] decoded, recording each unit's byte offset, first line
// and record count, so that row counts are known before any unit is read, as they are from Parquet footers. The
// scan holds O(units) memory whatever the file's size. Field values are
// converted when a unit is read, so a value that does not fit its column's
// type is reported by [CSV.ReadUnit].
//
// # Column types
//
// With [CSVOptions.Schema] the columns' types are given. Otherwise every
// column's type is inferred from the first [CSVOptions.InferRows] records
// (1000 by default), ignoring null fields: bool if every value is true or
// false (in any letter case); else int64 if every value is a base-10
// integer with an optional sign, no leading zero and within the int64
// range; else double if every value is a number in decimal or exponent
// notation without a leading zero in its integer part (1.5, -0.25, 1e+06,
// .5), NaN, Inf or Infinity (any letter case, optional sign); else string.
// A column with no non-null value in the sample is a string column. Leading
// zeros keep identifiers such as ZIP codes as strings. Dates and timestamps
// are never inferred: give them with a schema.
//
// Every inferred column is nullable (OPTIONAL in the Parquet schema); a
// schema may make columns required. A null is a field equal to
// [CSVOptions.Null], the empty field by default: with the default, empty
// strings are nulls.
//
// Once the types are set, values are read more liberally than inference
// samples them: int64 and double values with leading zeros or a plus sign,
// double values in any syntax [strconv.ParseFloat] reads. Dates are
// YYYY-MM-DD; timestamps are RFC 3339 ("2024-05-01T12:30:00.25Z", a space
// may replace the T, the offset is converted to UTC and may be left out
// for UTC, a date alone is its midnight) with at most microsecond
// precision. Strings must be valid UTF-8, as Parquet requires.
//
// A CSV may be read by several goroutines at once, one unit each.
type CSV struct {
	textFile
	opts   CSVOptions // with defaults filled in
	header bool       // the file has a header record
}

// OpenCSVFile opens the CSV file at path and scans it (see [CSV]). The
// caller must Close it.
func OpenCSVFile(path string, opts CSVOptions) (*CSV, error) {
	f, stamp, err := openFile(path)
	if err != nil {
		return nil, err
	}
	c, err := OpenCSV(path, f, stamp.opened.Size(), opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	c.attach(f, stamp)
	return c, nil
}

// OpenCSV scans the CSV data in r, which holds size bytes, and settles its
// schema (see [CSV]); name is used in errors. Any io.ReaderAt works, so
// inputs need not be local files. Errors in the file are [*InputError]
// values naming the line, and the column where one is concerned.
func OpenCSV(name string, r io.ReaderAt, size int64, opts CSVOptions) (*CSV, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if opts.Delimiter == 0 {
		opts.Delimiter = ','
	}
	c := &CSV{textFile: newTextFile(name, r, size, opts.Schema, opts.InferRows, DefaultCSVInferRows), opts: opts, header: !opts.NoHeader}
	if err := c.scan(); err != nil {
		return nil, err
	}
	c.finish()
	return c, nil
}

// newReader returns a reader of the records in the n bytes at offset off
// (see [csvSplitter]).
func (c *CSV) newReader(off, n int64) *csvSplitter {
	return newSplitter(io.NewSectionReader(c.r, off, n), off, c.opts.Delimiter)
}

// recordTooLong is the error of a record, starting at byte off of the
// file, longer than MaxRecordBytes.
type recordTooLong struct{ off int64 }

func (e *recordTooLong) Error() string { return recordTooLongError().Error() }

func (e *recordTooLong) Unwrap() error { return recordTooLongError() }

// tooLongError reports the record of e, naming the line it starts on
// (blank lines before it skipped).
func (c *CSV) tooLongError(unit int, e *recordTooLong) error {
	off := e.off
	var b [1]byte
	for off < c.size {
		if _, err := c.r.ReadAt(b[:], off); err != nil || (b[0] != '\n' && b[0] != '\r') {
			break
		}
		off++
	}
	line, err := lineAt(c.r, off)
	if err != nil {
		return &InputError{Path: c.name, RowGroup: unit, Err: fmt.Errorf("record at byte %d: %w", off, e)}
	}
	return &InputError{Path: c.name, RowGroup: unit, Line: line, Err: e}
}

// scan reads the whole file for its header, its record structure and, when
// types are inferred, its sample, and cuts it into units.
func (c *CSV) scan() error {
	start, err := c.start()
	if err != nil {
		return err
	}
	cr := c.newReader(start, c.size-start)
	if c.given && !c.header {
		cr.FieldsPerRecord = len(c.cols)
	}
	if c.header {
		rec, err := cr.Read()
		if err == io.EOF {
			return &InputError{Path: c.name, RowGroup: -1, Err: fmt.Errorf("%w: empty file: no header record (for a file without one, pass --no-header and --schema)", ErrCorrupt)}
		}
		if err != nil {
			return c.readError(-1, 0, err, 0)
		}
		if len(rec) > MaxColumns {
			return &InputError{Path: c.name, RowGroup: -1, Line: 1, Err: fmt.Errorf("header record: %w", tooManyColumns(len(rec)))}
		}
		rec = slices.Clone(rec)
		for i := range rec {
			rec[i] = strings.Clone(rec[i]) // the splitter's fields are borrowed
		}
		if err := c.setHeader(rec); err != nil {
			return err
		}
	}
	var infer []csvInference
	if !c.given && c.cols != nil {
		infer = make([]csvInference, len(c.cols))
	}
	sampled := 0
	for {
		off := start + cr.InputOffset()
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return c.readError(-1, 0, err, len(c.cols))
		}
		if c.cols == nil { // the first record of a file without header or schema
			if len(rec) > MaxColumns {
				line, _ := cr.FieldPos(0)
				return &InputError{Path: c.name, RowGroup: -1, Line: int64(line), Err: fmt.Errorf("first record: %w", tooManyColumns(len(rec)))}
			}
			c.cols = make(CSVSchema, len(rec))
			for i := range rec {
				c.cols[i].Name = "c" + strconv.Itoa(i)
			}
			infer = make([]csvInference, len(rec))
		}
		line, _ := cr.FieldPos(0)
		cost := textValueBytes * int64(len(rec)+1)
		for i, f := range rec {
			cost += int64(len(f))
			if f != c.opts.Null {
				c.countField(i, len(f))
			}
		}
		c.addRecord(off, int64(line), csvUnitRows, cost)
		if infer != nil && (c.inferN < 0 || sampled < c.inferN) {
			sampled++
			for i, v := range rec {
				if v != c.opts.Null && !infer[i].done() {
					infer[i].add(v)
				}
			}
		}
	}
	if c.cols == nil {
		return &InputError{Path: c.name, RowGroup: -1, Err: fmt.Errorf("%w: empty file: no record to take the columns from (pass --schema)", ErrCorrupt)}
	}
	for i := range infer {
		c.cols[i].Type = infer[i].typ()
	}
	c.inferN = sampled
	c.strText = c.size // every field counted
	return nil
}

// setHeader takes the column names from the header record rec, or checks
// them against the given schema.
func (c *CSV) setHeader(rec []string) error {
	headerErr := func(col string, format string, args ...any) error {
		return &InputError{Path: c.name, RowGroup: -1, Line: 1, Column: col, Err: fmt.Errorf("%w: %s", ErrUnsupported, fmt.Sprintf(format, args...))}
	}
	seen := make(map[string]int, len(rec))
	for i, name := range rec {
		switch {
		case !utf8.ValidString(name):
			return headerErr("", "header field %d is not valid UTF-8", i+1)
		case name == "":
			return headerErr("", "header field %d is empty: every column needs a name", i+1)
		}
		if j, dup := seen[name]; dup {
			return headerErr(name, "header fields %d and %d have the same name", j+1, i+1)
		}
		seen[name] = i
	}
	if !c.given {
		c.cols = make(CSVSchema, len(rec))
		for i, name := range rec {
			c.cols[i].Name = name
		}
		return nil
	}
	if len(rec) != len(c.cols) {
		return headerErr("", "header has %d fields but --schema names %d columns", len(rec), len(c.cols))
	}
	for i, name := range rec {
		if name != c.cols[i].Name {
			return &InputError{Path: c.name, RowGroup: -1, Line: 1, Column: name, Err: fmt.Errorf("%w: header field %d is %q but --schema names column %d %q",
				ErrSchemaMismatch, i+1, name, i+1, c.cols[i].Name)}
		}
	}
	return nil
}

// readError turns an error of a CSV reader into an [*InputError]. delta is
// what turns the reader's line numbers into the file's; want is the number
// of fields a record must have (0 if not known).
func (c *CSV) readError(unit int, delta int64, err error, want int) error {
	var tl *recordTooLong
	if errors.As(err, &tl) {
		return c.tooLongError(unit, tl)
	}
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		return &InputError{Path: c.name, RowGroup: -1, Err: fmt.Errorf("read: %w", err)}
	}
	line, startLine := int64(pe.Line)+delta, int64(pe.StartLine)+delta
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		what := "the other records have"
		if c.header {
			what = "the header has"
		} else if c.given {
			what = "--schema names"
		}
		msg := "wrong number of fields"
		if want > 0 {
			msg = fmt.Sprintf("record has a wrong number of fields: %s %d", what, want)
		}
		return &InputError{Path: c.name, RowGroup: unit, Line: startLine, Err: fmt.Errorf("%w: %s", ErrCorrupt, msg)}
	}
	msg := fmt.Sprintf("%v, at byte %d of the line", pe.Err, pe.Column)
	if startLine != line {
		msg += fmt.Sprintf(" (in the record starting at line %d)", startLine)
	}
	return &InputError{Path: c.name, RowGroup: unit, Line: line, Err: fmt.Errorf("%w: %s", ErrCorrupt, msg)}
}

var _ FileSource = (*CSV)(nil)
