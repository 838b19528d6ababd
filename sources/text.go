package sources

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/rowcheck"
)

// MaxRecordBytes is the longest record a text input may hold: a CSV
// record (all its fields and delimiters, across the lines of its quoted
// fields) or a JSON line, its line break included. Readers hold a record whole, in several copies,
// while they parse it; a longer one is an [*InputError] wrapping
// [ErrUnsupported] that names the line where it starts, reported before
// more than this (and one read buffer) is taken from the file.
const MaxRecordBytes = 64 << 20

// MaxColumns is the most columns (leaf columns, for nested inputs) an
// input may have: the most the Parquet writer handles. More is an
// [*InputError] wrapping [ErrUnsupported].
const MaxColumns = parquet.MaxColumnIndex + 1

// maxRecordBytes is MaxRecordBytes, lowered by tests.
var maxRecordBytes int64 = MaxRecordBytes

// errRecordTooLong marks the error of a record longer than maxRecordBytes.
var errRecordTooLong = errors.New("record too long")

// recordTooLongError is the error of a record longer than maxRecordBytes.
func recordTooLongError() error {
	return fmt.Errorf("%w: %w: more than %d bytes, the most one record of a text input may hold", ErrUnsupported, errRecordTooLong, maxRecordBytes)
}

// tooManyColumns is the error of an input with n columns, more than
// MaxColumns.
func tooManyColumns(n int) error {
	return fmt.Errorf("%w: %d columns, more than the %d splitdata handles", ErrUnsupported, n, MaxColumns)
}

// recordLimit passes reads through until more than MaxRecordBytes plus
// slack have been read since the current record started: it then fails
// with errRecordTooLong, so that a reader which accumulates a record
// cannot be made to hold an unbounded one.
type recordLimit struct {
	r      io.Reader
	read   int64 // bytes read from r
	start  int64 // offset, in r, where the current record starts
	slack  int64 // read-ahead allowed beyond the record
	failed bool  // the limit was hit
}

// next says that the next record starts at offset off of the reader.
func (l *recordLimit) next(off int64) { l.start = off }

func (l *recordLimit) Read(p []byte) (int, error) {
	room := l.start + maxRecordBytes + l.slack - l.read
	if room <= 0 {
		l.failed = true
		return 0, errRecordTooLong
	}
	if int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.read += int64(n)
	return n, err
}

// lineAt returns the 1-based line on which byte off of r starts.
func lineAt(r io.ReaderAt, off int64) (int64, error) {
	buf := make([]byte, 64<<10)
	line := int64(1)
	for pos := int64(0); pos < off; {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), off-pos)], pos)
		line += int64(bytes.Count(buf[:n], []byte{'\n'}))
		pos += int64(n)
		if err != nil && !(errors.Is(err, io.EOF) && pos >= off) {
			return 0, err
		}
		if n == 0 {
			return 0, io.ErrUnexpectedEOF
		}
	}
	return line, nil
}

// textFile is what the line-oriented inputs (CSV, JSON Lines) share: the
// file, its columns given or inferred, and the units the scan at open cut
// it into, so that row counts are known before any row is converted.
type textFile struct {
	name    string
	r       io.ReaderAt
	size    int64
	closer  io.Closer
	stamp   fileStamp
	given   bool // the schema came from the options, not inference
	inferN  int  // records sampled for inference (-1: all)
	cols    CSVSchema
	schema  *parquet.Schema
	layout  rowcheck.Layout
	units   []textUnit
	numRows int64
	// strBytes and strText are what DecodedBytes is estimated from: per
	// column, the bytes its values take decoded as strings, and the
	// bytes of text those values were measured in (the file's size, or
	// the sample's lines; 0: not measured); see textFile.DecodedBytes.
	strBytes []int64
	strText  int64
}

// textUnit is a range of records of a text input: the records starting at
// byte offset, the first of them on line line.
type textUnit struct {
	offset int64 // where the unit's first record starts
	line   int64 // 1-based line where the unit's first record starts
	rows   int64 // number of records
	cost   int64 // the records' estimated memory decoded (see addRecord)
}

// TextUnitBytes bounds the estimated memory of a text input's unit
// decoded: a unit ends after 65536 records, or before the record that
// would take it past this many bytes, so that long records or many
// columns do not make a unit larger than a --memory budget's share of it
// (a unit is read whole). A record counts its text plus a parquet.Value
// per field (textValueBytes); a single record larger than this is a unit
// of its own (records are capped by [MaxRecordBytes]). Units change how
// rows are read, never an output byte.
const TextUnitBytes = 4 << 20

// textUnitBytes is TextUnitBytes, lowered by tests.
var textUnitBytes int64 = TextUnitBytes

// textValueBytes is the memory of a decoded field beyond its text (a
// parquet.Value), and of a decoded record beyond its fields.
const textValueBytes = 24

// newTextFile starts a text input of size bytes from r: the columns of
// schema (when given, else inferred from inferRows records: 0 means
// defaultInfer, negative all).
func newTextFile(name string, r io.ReaderAt, size int64, schema string, inferRows, defaultInfer int) textFile {
	t := textFile{name: name, r: r, size: size}
	switch {
	case inferRows == 0:
		t.inferN = defaultInfer
	case inferRows < 0:
		t.inferN = -1
	default:
		t.inferN = inferRows
	}
	if schema != "" {
		t.cols, _ = ParseCSVSchema(schema) // checked by the options' Validate
		t.given = true
	}
	return t
}

// addRecord counts a record that starts at byte off on line line and
// takes about cost bytes decoded, opening a new unit after every unitRows
// records or before the unit's cost would pass textUnitBytes.
func (t *textFile) addRecord(off, line int64, unitRows int, cost int64) {
	if n := len(t.units); n == 0 || t.units[n-1].rows == int64(unitRows) || t.units[n-1].cost+cost > textUnitBytes {
		t.units = append(t.units, textUnit{offset: off, line: line})
	}
	u := &t.units[len(t.units)-1]
	u.rows++
	u.cost += cost
	t.numRows++
}

// countField adds n bytes of decoded text to column i's string bytes
// (see DecodedBytes).
func (t *textFile) countField(i, n int) {
	for len(t.strBytes) <= i {
		t.strBytes = append(t.strBytes, 0)
	}
	t.strBytes[i] += int64(n)
}

// DecodedBytes estimates the bytes t's values take decoded into columns:
// for each fixed-width column (bool, int64, double, date, timestamp) its
// width for every record, nulls included (a batch keeps a zeroed slot for
// a null), and for each string column its values' bytes. Levels and
// string offsets are left to the caller, which counts them per column, as
// it does for Parquet inputs ([Parquet.DecodedBytes]).
//
// A CSV input's string bytes are counted exactly, by the scan at open
// (every field's text after unquoting). A JSON Lines scan parses only the
// inference sample, so its string columns are counted at the sample's
// bytes per byte of line, scaled to the file; with a given schema, at the
// file's size, which no string decoded from it can exceed. Text takes
// more room than these values for numbers and keys, so an estimate from
// the file's size (used up to session 22) counted a JSON Lines row of
// benchmarks' gen shape at 176 bytes, where its batch holds 121.
func (t *textFile) DecodedBytes() int64 {
	var fixed int64
	for _, c := range t.cols {
		switch c.Type {
		case CSVString:
		case CSVDate:
			fixed += 4
		case CSVBool:
			fixed++
		default:
			fixed += 8
		}
	}
	return fixed*t.numRows + t.stringBytes()
}

// stringBytes estimates the bytes of t's string values (see
// DecodedBytes): at most the file's size.
func (t *textFile) stringBytes() int64 {
	var str int64
	for i, c := range t.cols {
		if c.Type == CSVString && i < len(t.strBytes) {
			str += t.strBytes[i]
		}
	}
	switch {
	case t.strText <= 0:
		str = t.size // not measured
	case t.strText < t.size:
		// A sample: its string bytes per byte of text, scaled.
		str = int64(float64(str) * float64(t.size) / float64(t.strText))
	}
	return min(str, t.size)
}

// RowGroupDecodedBytes estimates the bytes unit i's values take decoded:
// its records' fixed-width slots and its share of the file's string bytes
// ([textFile.DecodedBytes]) by its share of the file's text, so that a
// unit holding one long record counts that record, not an even share by
// rows.
func (t *textFile) RowGroupDecodedBytes(i int) int64 {
	total := t.DecodedBytes()
	fixed := int64(0)
	if t.numRows > 0 {
		fixed = (total - min(total, t.stringBytes())) / t.numRows
	}
	text := t.unitEnd(i) - t.units[i].offset
	str := int64(0)
	if t.size > 0 {
		str = int64(float64(t.stringBytes()) * float64(text) / float64(t.size))
	}
	return fixed*t.units[i].rows + str
}

// finish derives the schema and its row checker from the columns.
func (t *textFile) finish() {
	t.schema = t.cols.Parquet()
	t.layout = rowcheck.New(t.schema)
}

// unitEnd is the byte offset where unit i ends.
func (t *textFile) unitEnd(i int) int64 {
	if i+1 < len(t.units) {
		return t.units[i+1].offset
	}
	return t.size
}

// attach makes t own the opened file f and its stamp.
func (t *textFile) attach(f *os.File, stamp fileStamp) {
	t.closer, t.stamp = f, stamp
}

// Columns returns the table's columns with their types, given or inferred.
// Their String method gives the --schema that reads the file the same way.
func (t *textFile) Columns() CSVSchema { return append(CSVSchema(nil), t.cols...) }

// Name returns the name the input was opened with.
func (t *textFile) Name() string { return t.name }

// Schema returns the table's schema: one leaf per column, in column order.
func (t *textFile) Schema() *parquet.Schema { return t.schema }

// Size returns the size of the input in bytes.
func (t *textFile) Size() int64 { return t.size }

// NumRows returns the number of records (a CSV header not counted).
func (t *textFile) NumRows() int64 { return t.numRows }

// NumUnits returns the number of units: runs of up to 65536 records and
// about [TextUnitBytes] decoded.
func (t *textFile) NumUnits() int { return len(t.units) }

// UnitNumRows returns the number of records in unit i.
func (t *textFile) UnitNumRows(i int) int64 { return t.units[i].rows }

// KeyValueMetadata returns nil: text files have no key/value metadata.
func (t *textFile) KeyValueMetadata() []KeyValue { return nil }

// CheckUnchanged reports, as an [InputError] wrapping [ErrChanged], whether
// the file opened by name now differs in size or modification time from
// when it was opened, or is no longer the file at its path. Inputs opened
// over an io.ReaderAt are not checked.
func (t *textFile) CheckUnchanged() error { return t.stamp.check() }

// Close releases the file.
func (t *textFile) Close() error {
	if t.closer == nil {
		return nil
	}
	err := t.closer.Close()
	t.closer = nil
	return err
}
