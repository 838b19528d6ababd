package sources

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// Converting a CSV field to a value of its column's type, and the errors
// of a field that does not fit it.

// value converts field, the text of column j, to its value. String bytes
// are appended to arena, which the value then references.
func (c *CSV) value(j int, field string, arena *[]byte) (parquet.Value, error) {
	col := c.cols[j]
	def := 1
	if col.Required {
		def = 0
	}
	if field == c.opts.Null {
		if col.Required {
			return parquet.Value{}, c.requiredNull()
		}
		return parquet.NullValue().Level(0, 0, j), nil
	}
	var v parquet.Value
	switch col.Type {
	case CSVString:
		if !utf8.ValidString(field) {
			return parquet.Value{}, errStringUTF8()
		}
		n := len(*arena)
		*arena = append(*arena, field...)
		v = parquet.ByteArrayValue((*arena)[n:len(*arena):len(*arena)])
	case CSVBool:
		switch {
		case strings.EqualFold(field, "true"):
			v = parquet.BooleanValue(true)
		case strings.EqualFold(field, "false"):
			v = parquet.BooleanValue(false)
		default:
			return parquet.Value{}, c.typeError(j, field, "")
		}
	case CSVInt64:
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return parquet.Value{}, c.typeError(j, field, "")
		}
		v = parquet.Int64Value(n)
	case CSVDouble:
		f, err := strconv.ParseFloat(field, 64)
		if err != nil {
			return parquet.Value{}, c.typeError(j, field, "")
		}
		v = parquet.DoubleValue(f)
	case CSVDate:
		d, err := parseCSVDate(field)
		if err != nil {
			return parquet.Value{}, c.typeError(j, field, "")
		}
		v = parquet.Int32Value(d)
	case CSVTimestamp:
		ts, err := parseCSVTimestamp(field)
		if err != nil {
			return parquet.Value{}, c.typeError(j, field, err.Error())
		}
		v = parquet.Int64Value(ts)
	default:
		return parquet.Value{}, fmt.Errorf("column of unknown type %v", col.Type)
	}
	return v.Level(0, def, j), nil
}

// requiredNull is the error of a null field in a required column.
func (c *CSV) requiredNull() error {
	return fmt.Errorf("%w: null (%s) in a required column", ErrCorrupt, describeNull(c.opts.Null))
}

// errStringUTF8 is the error of a field of a string column that is not
// valid UTF-8.
func errStringUTF8() error {
	return fmt.Errorf("%w: invalid UTF-8 in a string column (Parquet strings must be UTF-8)", ErrUnsupported)
}

// describeNull names the null text in messages.
func describeNull(null string) string {
	if null == "" {
		return "an empty field"
	}
	return strconv.Quote(null)
}

// typeError reports field as unreadable as the type of column j, why if
// that is known, with a hint at --schema when the type was inferred.
func (c *CSV) typeError(j int, field, why string) error {
	msg := typeMismatch(field, true, c.cols[j].Type, why)
	if c.given {
		return fmt.Errorf("%w: %s (as --schema says)", ErrCorrupt, msg)
	}
	fixed := c.Columns()
	fixed[j].Type = CSVString
	hint := fmt.Sprintf("e.g. --schema '%s'", fixed)
	if len(hint) > 200 || strings.ContainsAny(fixed.String(), "'") {
		hint = fmt.Sprintf("giving column %q another type", c.cols[j].Name)
	}
	return fmt.Errorf("%w: %s; the type was inferred from the first %d records: pass --schema to set the types (%s) or raise --infer-rows",
		ErrCorrupt, msg, c.inferN, hint)
}

// typeMismatch says that text, a value of a text input, is not of type t,
// why if that is known. Text is cut to 40 bytes, and quoted when quote is
// set (a CSV field; a JSON value is shown as written).
func typeMismatch(text string, quote bool, t CSVType, why string) string {
	if len(text) > 40 {
		text = strings.ToValidUTF8(text[:40], "") + "..."
	}
	if quote {
		text = strconv.Quote(text)
	}
	article := "a"
	if t == CSVInt64 {
		article = "an"
	}
	msg := fmt.Sprintf("%s is not %s %s", text, article, t)
	if why != "" {
		msg += " (" + why + ")"
	}
	return msg
}

// parseCSVDate reads a YYYY-MM-DD date as days since 1970-01-01.
func parseCSVDate(s string) (int32, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, err
	}
	return int32(t.Unix() / 86400), nil
}

// csvTimestampLayouts are the layouts timestamps are read with, after a
// space separating date and time has been replaced with a T.
var csvTimestampLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", time.DateOnly}

// parseCSVTimestamp reads an RFC 3339 timestamp as microseconds since the
// Unix epoch, UTC.
func parseCSVTimestamp(s string) (int64, error) {
	if len(s) > 10 && s[10] == ' ' {
		s = s[:10] + "T" + s[11:]
	}
	var t time.Time
	var err error
	for _, layout := range csvTimestampLayouts {
		if t, err = time.Parse(layout, s); err == nil {
			break
		}
	}
	if err != nil {
		return 0, errors.New("want RFC 3339, such as 2024-05-01T12:30:00Z")
	}
	if t.Nanosecond()%1000 != 0 {
		return 0, errors.New("finer than the microseconds timestamps hold")
	}
	return t.Unix()*1e6 + int64(t.Nanosecond()/1000), nil
}
