package sinks

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/rowcheck"
)

// JSONL is the JSON Lines [Format]: one JSON object per row, ending in
// "\n", with every column as a key in schema order and nulls as null.
//
// Values are written canonically, so that the bytes depend on the values
// only. Booleans are true and false; integers (unsigned types as unsigned)
// are JSON numbers. Floating-point numbers are JSON numbers, the shortest
// text that reads back exactly, in the notation of encoding/json (exponent
// form below 1e-6 and from 1e21 on), with ".0" added to integral values so
// that they read back as doubles; NaN and infinities, which JSON lacks,
// are an error naming the column. Every other value is a JSON string
// holding the text the [CSV] format writes: UTF-8 text as it is (a value
// that is not valid UTF-8 is an error naming the column), dates as
// YYYY-MM-DD, timestamps as RFC 3339 with their unit's digits, decimals,
// UUIDs and times of day as CSV writes them. Strings, and keys, are quoted
// with the escapes of encoding/json's Marshal, HTML characters included.
//
// Only flat schemas can be written: a nested column (list, map, struct or
// repeated field) is an error naming it, and so is an INTERVAL column.
func JSONL() Format { return jsonlFormat{} }

type jsonlFormat struct{}

func (jsonlFormat) Name() string { return "jsonl" }
func (jsonlFormat) Ext() string  { return ".jsonl" }

func (jsonlFormat) NewEncoder(schema *parquet.Schema) (Encoder, error) {
	l, err := newJSONLLayout(schema)
	if err != nil {
		return nil, fmt.Errorf("new jsonl encoder: %w", err)
	}
	return &jsonlEncoder{layout: l, cols: newBatchCols(schema)}, nil
}

func (jsonlFormat) NewFileWriter(w io.Writer, schema *parquet.Schema, _ []KeyValue) (FileWriter, error) {
	l, err := newJSONLLayout(schema)
	if err != nil {
		return nil, fmt.Errorf("new jsonl file writer: %w", err)
	}
	return &jsonlFileWriter{w: w, layout: l}, nil
}

// jsonlLayout is what writing rows of one schema as JSON Lines takes: the
// column names, their quoted keys and a formatter per column.
type jsonlLayout struct {
	names  []string
	keys   [][]byte // `"name":`, quoted
	format []csvFormatter
	rows   rowcheck.Layout
}

// newJSONLLayout prepares the writing of rows of schema.
func newJSONLLayout(schema *parquet.Schema) (*jsonlLayout, error) {
	if schema == nil {
		return nil, errors.New("schema is nil")
	}
	l := &jsonlLayout{}
	for i, f := range schema.Fields() {
		if !f.Leaf() || f.Repeated() {
			return nil, fmt.Errorf("JSON Lines output cannot hold nested column %q; use --format parquet or arrow", f.Name())
		}
		fm, err := jsonlFormatterOf(f.Type())
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", f.Name(), err)
		}
		if !utf8.ValidString(f.Name()) {
			return nil, fmt.Errorf("column %q: name is not valid UTF-8", f.Name())
		}
		var key []byte
		if i > 0 {
			key = append(key, ',')
		}
		key = append(appendJSONString(key, f.Name()), ':')
		l.names = append(l.names, f.Name())
		l.keys = append(l.keys, key)
		l.format = append(l.format, fm)
	}
	if len(l.names) == 0 {
		return nil, fmt.Errorf("schema %q has no columns", schema.Name())
	}
	l.rows = rowcheck.New(schema)
	return l, nil
}

// appendRow appends the object of row to dst.
func (l *jsonlLayout) appendRow(dst []byte, row parquet.Row) ([]byte, error) {
	dst = append(dst, '{')
	for j, v := range row {
		dst = append(dst, l.keys[j]...)
		if v.IsNull() {
			dst = append(dst, "null"...)
			continue
		}
		var err error
		if dst, err = l.format[j](dst, v); err != nil {
			return dst, fmt.Errorf("column %q: %w", l.names[j], err)
		}
	}
	return append(dst, '}', '\n'), nil
}

// jsonlFormatterOf returns the formatter of values of type t as JSON.
func jsonlFormatterOf(t parquet.Type) (csvFormatter, error) {
	text, err := csvFormatterOf(t)
	if err != nil {
		return nil, errors.New(replaceFormat(err.Error()))
	}
	var lt format.LogicalTypeValue
	if l := t.LogicalType(); l != nil {
		lt = l.Value
	}
	switch t.Kind() {
	case parquet.Boolean:
		return text, nil
	case parquet.Int32, parquet.Int64:
		if it, ok := lt.(*format.IntType); lt == nil || ok && it != nil {
			return text, nil // a number
		}
	case parquet.Float:
		return func(dst []byte, v parquet.Value) ([]byte, error) { return appendJSONFloat(dst, float64(v.Float()), 32) }, nil
	case parquet.Double:
		return func(dst []byte, v parquet.Value) ([]byte, error) { return appendJSONFloat(dst, v.Double(), 64) }, nil
	case parquet.ByteArray, parquet.FixedLenByteArray:
		switch lt.(type) {
		case *format.DecimalType, *format.UUIDType:
		default:
			return func(dst []byte, v parquet.Value) ([]byte, error) {
				b := v.ByteArray()
				if !utf8.Valid(b) {
					return dst, errors.New("value is not valid UTF-8 text; JSON Lines output holds text only (use --format parquet or arrow)")
				}
				return appendJSONString(dst, string(b)), nil
			}, nil
		}
	}
	return func(dst []byte, v parquet.Value) ([]byte, error) {
		// The text goes after dst's end, then is quoted in place of it.
		n := len(dst)
		dst, err := text(dst, v)
		if err != nil {
			return dst[:n], err
		}
		s := string(dst[n:])
		return appendJSONString(dst[:n], s), nil
	}, nil
}

// replaceFormat turns the CSV formatters' messages about what CSV output
// cannot hold into messages about JSON Lines output.
func replaceFormat(msg string) string {
	const csv, jsonl = "CSV output", "JSON Lines output"
	if len(msg) >= len(csv) && msg[:len(csv)] == csv {
		return jsonl + msg[len(csv):]
	}
	return msg
}

// appendJSONFloat appends f as encoding/json writes a float of bitSize
// bits, with ".0" after integral values; NaN and infinities are errors.
func appendJSONFloat(dst []byte, f float64, bitSize int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return dst, fmt.Errorf("%s cannot be written in JSON, which has no NaN or infinity; use --format parquet, arrow or csv", strconv.FormatFloat(f, 'g', -1, bitSize))
	}
	// As encoding/json's floatEncoder: ECMAScript notation, exponent
	// form for tiny and huge magnitudes, "e-07" shortened to "e-7".
	abs := math.Abs(f)
	fmtByte := byte('f')
	if abs != 0 {
		if bitSize == 64 && (abs < 1e-6 || abs >= 1e21) || bitSize == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
			fmtByte = 'e'
		}
	}
	n := len(dst)
	dst = strconv.AppendFloat(dst, f, fmtByte, -1, bitSize)
	if fmtByte == 'e' {
		m := len(dst)
		if m-n >= 4 && dst[m-4] == 'e' && dst[m-3] == '-' && dst[m-2] == '0' {
			dst[m-2] = dst[m-1]
			dst = dst[:m-1]
		}
		return dst, nil
	}
	if !slices.Contains(dst[n:], '.') {
		dst = append(dst, '.', '0')
	}
	return dst, nil
}

// appendJSONString appends s quoted as encoding/json's Marshal quotes it.
// s must be valid UTF-8.
func appendJSONString(dst []byte, s string) []byte {
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			plain = false
			break
		}
	}
	if plain {
		dst = append(dst, '"')
		dst = append(dst, s...)
		return append(dst, '"')
	}
	b, err := json.Marshal(s)
	if err != nil { // cannot happen: every string marshals
		panic(err)
	}
	return append(dst, b...)
}

// jsonlEncoder encodes rows as JSON Lines. It is immutable and safe for
// concurrent use.
type jsonlEncoder struct {
	layout *jsonlLayout
	cols   batchCols
}

// Encode reads rows until io.EOF and returns their lines as a chunk.
func (e *jsonlEncoder) Encode(rows parquet.RowReader) (Chunk, error) {
	if rows == nil {
		return nil, errors.New("encode jsonl: row reader is nil")
	}
	c := &jsonlChunk{layout: e.layout}
	if _, err := drainRows("encode jsonl", rows, rowBuffer(), e.take(c, true)); err != nil {
		return nil, err
	}
	return c, nil
}

// EncodeBatches encodes the rows of parts, in order, as one chunk: the
// bytes Encode writes for the same rows (see [batchCols.drain]).
func (e *jsonlEncoder) EncodeBatches(parts []columnar.Rows) (Chunk, error) {
	c := &jsonlChunk{layout: e.layout}
	if _, err := e.cols.drain("encode jsonl", parts, e.take(c, false)); err != nil {
		return nil, err
	}
	return c, nil
}

// take returns the function appending rows' lines to c, checking each
// row against the schema first when check.
func (e *jsonlEncoder) take(c *jsonlChunk, check bool) func(rows []parquet.Row, n int64) error {
	return eachRow("encode jsonl", func(row parquet.Row) error {
		if check {
			if err := e.layout.rows.Check(row); err != nil {
				return err
			}
		}
		var err error
		c.data, err = e.layout.appendRow(c.data, row)
		c.rows++
		return err
	})
}

// jsonlChunk is encoded JSON Lines.
type jsonlChunk struct {
	layout *jsonlLayout
	data   []byte
	rows   int64
}

func (c *jsonlChunk) NumRows() int64 { return c.rows }
func (c *jsonlChunk) Size() int64    { return int64(cap(c.data)) }

// jsonlFileWriter writes appended chunks to w.
type jsonlFileWriter struct {
	w      io.Writer
	layout *jsonlLayout
	closed bool
}

// Append writes the lines of c, which must come from an encoder of the
// same schema.
func (w *jsonlFileWriter) Append(c Chunk) error {
	if w.closed {
		return errors.New("append to jsonl file: writer is closed")
	}
	jc, ok := c.(*jsonlChunk)
	if !ok {
		return fmt.Errorf("%w: a %T is not a JSON Lines chunk", ErrIncompatibleRowGroup, c)
	}
	if !slices.Equal(jc.layout.names, w.layout.names) {
		return fmt.Errorf("%w: JSON Lines chunk encoded for other columns", ErrIncompatibleRowGroup)
	}
	if _, err := w.w.Write(jc.data); err != nil {
		return fmt.Errorf("write jsonl records: %w", err)
	}
	return nil
}

// Close ends the file: JSON Lines has nothing after the last line, so a
// file of no rows is empty.
func (w *jsonlFileWriter) Close() error {
	if w.closed {
		return errors.New("close jsonl file: writer is closed")
	}
	w.closed = true
	return nil
}
