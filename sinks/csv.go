package sinks

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/rowcheck"
)

// CSVWriteOptions says how CSV output is written. The zero value writes
// comma-separated files with a header and nulls as empty fields.
type CSVWriteOptions struct {
	// Delimiter separates fields; 0 means ','. It must be a valid rune
	// other than '"', '\r', '\n' and U+FFFD.
	Delimiter rune `json:"delimiter,omitempty"`
	// NoHeader leaves out the header record of column names.
	NoHeader bool `json:"no_header,omitempty"`
	// Null is the text of null values; by default the empty field.
	Null string `json:"null,omitempty"`
}

// Validate reports whether the options are usable.
func (o CSVWriteOptions) Validate() error {
	if d := o.Delimiter; d != 0 && (d == '"' || d == '\r' || d == '\n' || d == utf8.RuneError || !utf8.ValidRune(d)) {
		return fmt.Errorf("csv options: invalid delimiter %q", d)
	}
	if !utf8.ValidString(o.Null) {
		return errors.New("csv options: null text is not valid UTF-8")
	}
	return nil
}

// CSV is the CSV [Format] with the given options: RFC 4180 text, one
// record per row ending in "\n", the header (the columns' names) first.
// A field is quoted when it holds the delimiter, a double quote, CR or LF,
// when it starts with a byte order mark, and when it is the only field of
// its record and empty (a blank line would be skipped by readers); quotes
// inside are doubled.
//
// Values are written canonically, so that the bytes depend on the values
// only: integers in decimal (unsigned types as unsigned), floating-point
// numbers as the shortest text that reads back exactly (strconv 'g' -1;
// NaN, +Inf, -Inf), booleans as true and false, byte arrays and strings as
// their UTF-8 text (a value that is not valid UTF-8 is an error naming the
// column), UUIDs in their 8-4-4-4-12 hexadecimal form, decimals as decimal
// text with exactly their scale's digits after the point, dates as
// YYYY-MM-DD, times of day as HH:MM:SS with their unit's digits,
// timestamps as RFC 3339 with their unit's digits (in UTC, ending in Z,
// when the column is adjusted to UTC, else without offset) and INT96
// timestamps with nanosecond digits and no offset. Nulls are written as
// [CSVWriteOptions.Null]. A non-null value equal to the null text, such as
// an empty string with the default options, reads back as a null.
//
// Only flat schemas can be written: a nested column (list, map, struct or
// repeated field) is an error naming it, and so is an INTERVAL column.
func CSV(opts CSVWriteOptions) Format { return csvFormat{opts} }

type csvFormat struct{ opts CSVWriteOptions }

func (csvFormat) Name() string { return "csv" }
func (csvFormat) Ext() string  { return ".csv" }

func (f csvFormat) NewEncoder(schema *parquet.Schema) (Encoder, error) {
	l, err := newCSVLayout(schema, f.opts)
	if err != nil {
		return nil, fmt.Errorf("new csv encoder: %w", err)
	}
	return &csvEncoder{layout: l, cols: newBatchCols(schema)}, nil
}

func (f csvFormat) NewFileWriter(w io.Writer, schema *parquet.Schema, _ []KeyValue) (FileWriter, error) {
	l, err := newCSVLayout(schema, f.opts)
	if err != nil {
		return nil, fmt.Errorf("new csv file writer: %w", err)
	}
	return &csvFileWriter{w: w, layout: l}, nil
}

// csvLayout is what writing rows of one schema as CSV takes: the column
// names, a formatter per column and the options.
type csvLayout struct {
	opts   CSVWriteOptions
	delim  string // the delimiter, UTF-8 encoded
	names  []string
	format []csvFormatter
	rows   rowcheck.Layout
}

// csvFormatter appends the text of a non-null value to dst.
type csvFormatter func(dst []byte, v parquet.Value) ([]byte, error)

// newCSVLayout prepares the writing of rows of schema with opts.
func newCSVLayout(schema *parquet.Schema, opts CSVWriteOptions) (*csvLayout, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if schema == nil {
		return nil, errors.New("schema is nil")
	}
	if opts.Delimiter == 0 {
		opts.Delimiter = ','
	}
	l := &csvLayout{opts: opts, delim: string(opts.Delimiter)}
	for _, f := range schema.Fields() {
		if !f.Leaf() || f.Repeated() {
			return nil, fmt.Errorf("CSV output cannot hold nested column %q; use --format parquet or arrow", f.Name())
		}
		fm, err := csvFormatterOf(f.Type())
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name(), err)
		}
		if !utf8.ValidString(f.Name()) {
			return nil, fmt.Errorf("column %q: name is not valid UTF-8", f.Name())
		}
		l.names = append(l.names, f.Name())
		l.format = append(l.format, fm)
	}
	if len(l.names) == 0 {
		return nil, fmt.Errorf("schema %q has no columns", schema.Name())
	}
	l.rows = rowcheck.New(schema)
	return l, nil
}

// appendField appends field to dst, quoted if it needs to be.
func (l *csvLayout) appendField(dst []byte, field string) []byte {
	if !l.needsQuotes(field) {
		return append(dst, field...)
	}
	dst = append(dst, '"')
	for {
		i := strings.IndexByte(field, '"')
		if i < 0 {
			break
		}
		dst = append(dst, field[:i+1]...)
		dst = append(dst, '"')
		field = field[i+1:]
	}
	dst = append(dst, field...)
	return append(dst, '"')
}

// needsQuotes reports whether field must be quoted to read back as itself.
func (l *csvLayout) needsQuotes(field string) bool {
	if field == "" {
		return len(l.names) == 1
	}
	return strings.ContainsAny(field, "\"\r\n") || strings.Contains(field, l.delim) || strings.HasPrefix(field, "\uFEFF")
}

// header returns the header record.
func (l *csvLayout) header() []byte {
	var b []byte
	for i, name := range l.names {
		if i > 0 {
			b = append(b, l.delim...)
		}
		b = l.appendField(b, name)
	}
	return append(b, '\n')
}

// appendRow appends the record of row to dst; scratch is reused for the
// text of values.
func (l *csvLayout) appendRow(dst, scratch []byte, row parquet.Row) ([]byte, []byte, error) {
	for j, v := range row {
		if j > 0 {
			dst = append(dst, l.delim...)
		}
		if v.IsNull() {
			dst = l.appendField(dst, l.opts.Null)
			continue
		}
		var err error
		scratch, err = l.format[j](scratch[:0], v)
		if err != nil {
			return dst, scratch, fmt.Errorf("column %q: %w", l.names[j], err)
		}
		dst = l.appendField(dst, string(scratch))
	}
	return append(dst, '\n'), scratch, nil
}

// csvEncoder encodes rows as CSV records. It is immutable and safe for
// concurrent use.
type csvEncoder struct {
	layout *csvLayout
	cols   batchCols
}

// Encode reads rows until io.EOF and returns their records as a chunk.
func (e *csvEncoder) Encode(rows parquet.RowReader) (Chunk, error) {
	if rows == nil {
		return nil, errors.New("encode csv: row reader is nil")
	}
	c := &csvChunk{layout: e.layout}
	if _, err := drainRows("encode csv", rows, rowBuffer(), e.take(c, true)); err != nil {
		return nil, err
	}
	return c, nil
}

// EncodeBatches encodes the rows of parts, in order, as one chunk: the
// bytes Encode writes for the same rows (see [batchCols.drain]).
func (e *csvEncoder) EncodeBatches(parts []columnar.Rows) (Chunk, error) {
	c := &csvChunk{layout: e.layout}
	if _, err := e.cols.drain("encode csv", parts, e.take(c, false)); err != nil {
		return nil, err
	}
	return c, nil
}

// take returns the function appending rows' records to c, checking each
// row against the schema first when check.
func (e *csvEncoder) take(c *csvChunk, check bool) func(rows []parquet.Row, n int64) error {
	var scratch []byte
	return eachRow("encode csv", func(row parquet.Row) error {
		if check {
			if err := e.layout.rows.Check(row); err != nil {
				return err
			}
		}
		var err error
		c.data, scratch, err = e.layout.appendRow(c.data, scratch, row)
		c.rows++
		return err
	})
}

// csvChunk is encoded CSV records.
type csvChunk struct {
	layout *csvLayout
	data   []byte
	rows   int64
}

func (c *csvChunk) NumRows() int64 { return c.rows }
func (c *csvChunk) Size() int64    { return int64(cap(c.data)) }

// csvFileWriter writes a header, then appended chunks, to w.
type csvFileWriter struct {
	w       io.Writer
	layout  *csvLayout
	started bool // the header is written
	closed  bool
}

// start writes the header, once.
func (w *csvFileWriter) start() error {
	if w.started {
		return nil
	}
	w.started = true
	if w.layout.opts.NoHeader {
		return nil
	}
	if _, err := w.w.Write(w.layout.header()); err != nil {
		return fmt.Errorf("write csv header: %w", err)
	}
	return nil
}

// Append writes the records of c, which must come from an encoder of the
// same schema and options.
func (w *csvFileWriter) Append(c Chunk) error {
	if w.closed {
		return errors.New("append to csv file: writer is closed")
	}
	cc, ok := c.(*csvChunk)
	if !ok {
		return fmt.Errorf("%w: a %T is not a CSV chunk", ErrIncompatibleRowGroup, c)
	}
	if cc.layout.opts != w.layout.opts || !slices.Equal(cc.layout.names, w.layout.names) {
		return fmt.Errorf("%w: CSV chunk encoded for other columns or options", ErrIncompatibleRowGroup)
	}
	if err := w.start(); err != nil {
		return err
	}
	if _, err := w.w.Write(cc.data); err != nil {
		return fmt.Errorf("write csv records: %w", err)
	}
	return nil
}

// Close writes the header if no chunk was appended: a file of no rows
// still names its columns.
func (w *csvFileWriter) Close() error {
	if w.closed {
		return errors.New("close csv file: writer is closed")
	}
	w.closed = true
	return w.start()
}

// csvFormatterOf returns the formatter of values of type t.
func csvFormatterOf(t parquet.Type) (csvFormatter, error) {
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	if ct := t.ConvertedType(); ct != nil && *ct == deprecated.Interval {
		return nil, errors.New("CSV output cannot hold INTERVAL values; use --format parquet or arrow")
	}
	switch t.Kind() {
	case parquet.Boolean:
		return func(dst []byte, v parquet.Value) ([]byte, error) { return strconv.AppendBool(dst, v.Boolean()), nil }, nil
	case parquet.Int32, parquet.Int64:
		return csvIntFormatter(t.Kind(), lt)
	case parquet.Int96:
		return func(dst []byte, v parquet.Value) ([]byte, error) { return appendInt96(dst, v.Int96()), nil }, nil
	case parquet.Float:
		return func(dst []byte, v parquet.Value) ([]byte, error) {
			return strconv.AppendFloat(dst, float64(v.Float()), 'g', -1, 32), nil
		}, nil
	case parquet.Double:
		return func(dst []byte, v parquet.Value) ([]byte, error) {
			return strconv.AppendFloat(dst, v.Double(), 'g', -1, 64), nil
		}, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		switch lt := lt.(type) {
		case *format.DecimalType:
			scale := int(lt.Scale)
			return func(dst []byte, v parquet.Value) ([]byte, error) {
				return appendDecimal(dst, twosComplement(v.ByteArray()), scale), nil
			}, nil
		case *format.UUIDType:
			return func(dst []byte, v parquet.Value) ([]byte, error) { return appendUUID(dst, v.ByteArray()) }, nil
		}
		if ct := t.ConvertedType(); ct != nil && *ct == deprecated.Decimal {
			return nil, errors.New("CSV output cannot hold a DECIMAL without its logical type; use --format parquet or arrow")
		}
		return func(dst []byte, v parquet.Value) ([]byte, error) {
			b := v.ByteArray()
			if !utf8.Valid(b) {
				return dst, errors.New("value is not valid UTF-8 text; CSV output holds text only (use --format parquet or arrow)")
			}
			return append(dst, b...), nil
		}, nil
	}
	return nil, fmt.Errorf("CSV output cannot hold %s values", t)
}

// csvIntFormatter returns the formatter of INT32 or INT64 values with
// logical type lt.
func csvIntFormatter(kind parquet.Kind, lt format.LogicalTypeValue) (csvFormatter, error) {
	value := func(v parquet.Value) int64 {
		if kind == parquet.Int32 {
			return int64(v.Int32())
		}
		return v.Int64()
	}
	switch lt := lt.(type) {
	case *format.DateType:
		return func(dst []byte, v parquet.Value) ([]byte, error) {
			return time.Unix(value(v)*86400, 0).UTC().AppendFormat(dst, time.DateOnly), nil
		}, nil
	case *format.DecimalType:
		scale := int(lt.Scale)
		return func(dst []byte, v parquet.Value) ([]byte, error) {
			return appendDecimal(dst, big.NewInt(value(v)), scale), nil
		}, nil
	case *format.IntType:
		if !lt.IsSigned {
			return func(dst []byte, v parquet.Value) ([]byte, error) {
				if kind == parquet.Int32 {
					return strconv.AppendUint(dst, uint64(uint32(v.Int32())), 10), nil
				}
				return strconv.AppendUint(dst, uint64(v.Int64()), 10), nil
			}, nil
		}
	case *format.TimestampType:
		layout, unit, err := timeLayout("2006-01-02T15:04:05", lt.Unit)
		if err != nil {
			return nil, err
		}
		if lt.IsAdjustedToUTC {
			layout += "Z07:00"
		}
		return func(dst []byte, v parquet.Value) ([]byte, error) {
			return fromUnit(value(v), unit).AppendFormat(dst, layout), nil
		}, nil
	case *format.TimeType:
		layout, unit, err := timeLayout("15:04:05", lt.Unit)
		if err != nil {
			return nil, err
		}
		return func(dst []byte, v parquet.Value) ([]byte, error) {
			return fromUnit(value(v), unit).AppendFormat(dst, layout), nil
		}, nil
	}
	return func(dst []byte, v parquet.Value) ([]byte, error) { return strconv.AppendInt(dst, value(v), 10), nil }, nil
}

// timeLayout returns base with the fractional digits of unit, and the
// unit's duration.
func timeLayout(base string, unit format.TimeUnit) (string, time.Duration, error) {
	switch unit.Value.(type) {
	case *format.MilliSeconds:
		return base + ".000", time.Millisecond, nil
	case *format.MicroSeconds:
		return base + ".000000", time.Microsecond, nil
	case *format.NanoSeconds:
		return base + ".000000000", time.Nanosecond, nil
	}
	return "", 0, fmt.Errorf("CSV output cannot hold times of unit %v", unit.Value)
}

// fromUnit returns the UTC time n units after the Unix epoch.
func fromUnit(n int64, unit time.Duration) time.Time {
	per := int64(time.Second / unit)
	sec, frac := n/per, n%per
	if frac < 0 {
		sec, frac = sec-1, frac+per
	}
	return time.Unix(sec, frac*int64(unit)).UTC()
}

// julianUnixEpoch is the Julian day number of 1970-01-01, the day INT96
// timestamps count from.
const julianUnixEpoch = 2440588

// appendInt96 appends an INT96 timestamp (nanoseconds of the day, then the
// Julian day) as a timestamp with nanosecond digits and no offset.
func appendInt96(dst []byte, v deprecated.Int96) []byte {
	var b [12]byte
	binary.LittleEndian.PutUint32(b[0:], v[0])
	binary.LittleEndian.PutUint32(b[4:], v[1])
	nanos := int64(binary.LittleEndian.Uint64(b[:8]))
	days := int64(v[2]) - julianUnixEpoch
	t := time.Unix(days*86400, 0).UTC().Add(time.Duration(nanos))
	return t.AppendFormat(dst, "2006-01-02T15:04:05.000000000")
}

// twosComplement reads b as a big-endian two's complement integer.
func twosComplement(b []byte) *big.Int {
	n := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(len(b))*8))
	}
	return n
}

// appendDecimal appends unscaled × 10^-scale in decimal, with exactly
// scale digits after the point.
func appendDecimal(dst []byte, unscaled *big.Int, scale int) []byte {
	if unscaled.Sign() < 0 {
		dst = append(dst, '-')
	}
	digits := new(big.Int).Abs(unscaled).String()
	if scale <= 0 {
		return append(dst, digits...)
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	dst = append(dst, digits[:len(digits)-scale]...)
	dst = append(dst, '.')
	return append(dst, digits[len(digits)-scale:]...)
}

// appendUUID appends a 16-byte UUID in its 8-4-4-4-12 hexadecimal form.
func appendUUID(dst []byte, b []byte) ([]byte, error) {
	if len(b) != 16 {
		return dst, fmt.Errorf("UUID of %d bytes", len(b))
	}
	const hex = "0123456789abcdef"
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = append(dst, hex[c>>4], hex[c&15])
	}
	return dst, nil
}
