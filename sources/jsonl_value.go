package sources

import (
	"fmt"
	"strconv"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// Converting a JSON value to a value of its column's type, and the errors
// of a key or value that does not fit the columns.

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
func (j *JSONL) value(c int, tok jsonPair, arena *[]byte) (parquet.Value, error) {
	col := j.cols[c]
	def := 1
	if col.Required {
		def = 0
	}
	text := unsafe.String(unsafe.SliceData(tok.text), len(tok.text)) // used before tok.text changes
	var v parquet.Value
	switch tok.kind {
	case jsonNull:
		if col.Required {
			return parquet.Value{}, fmt.Errorf("%w: null in a required column", ErrCorrupt)
		}
		return parquet.NullValue().Level(0, 0, c), nil
	case jsonTrue, jsonFalse:
		if col.Type != CSVBool {
			return parquet.Value{}, j.typeError(c, strconv.FormatBool(tok.kind == jsonTrue), "")
		}
		v = parquet.BooleanValue(tok.kind == jsonTrue)
	case jsonNumber:
		switch col.Type {
		case CSVInt64:
			// A JSON number is an int64 (numberKind) exactly when
			// ParseInt reads it.
			n, err := strconv.ParseInt(text, 10, 64)
			if err != nil {
				return parquet.Value{}, j.typeError(c, text, "")
			}
			v = parquet.Int64Value(n)
		case CSVDouble:
			f, err := strconv.ParseFloat(text, 64)
			if err != nil {
				return parquet.Value{}, j.typeError(c, text, "out of range")
			}
			v = parquet.DoubleValue(f)
		default:
			return parquet.Value{}, j.typeError(c, text, "")
		}
	case jsonString:
		switch col.Type {
		case CSVString:
			n := len(*arena)
			*arena = append(*arena, text...)
			v = parquet.ByteArrayValue((*arena)[n:len(*arena):len(*arena)])
		case CSVDate:
			d, err := parseCSVDate(text)
			if err != nil {
				return parquet.Value{}, j.typeError(c, strconv.Quote(text), "want YYYY-MM-DD")
			}
			v = parquet.Int32Value(d)
		case CSVTimestamp:
			ts, err := parseCSVTimestamp(text)
			if err != nil {
				return parquet.Value{}, j.typeError(c, strconv.Quote(text), err.Error())
			}
			v = parquet.Int64Value(ts)
		default:
			return parquet.Value{}, j.typeError(c, strconv.Quote(text), "")
		}
	default:
		return parquet.Value{}, fmt.Errorf("unexpected JSON value kind %d", tok.kind)
	}
	return v.Level(0, def, c), nil
}

// typeError reports the JSON value text as unfit for the type of column
// c, why if that is known, with a hint at --schema when the type was
// inferred.
func (j *JSONL) typeError(c int, text, why string) error {
	msg := typeMismatch(text, false, j.cols[c].Type, why)
	if j.given {
		return fmt.Errorf("%w: %s (as --schema says)", ErrCorrupt, msg)
	}
	return fmt.Errorf("%w: %s; the type was inferred from the first %d records: pass --schema to set the types or raise --infer-rows", ErrCorrupt, msg, j.inferN)
}
