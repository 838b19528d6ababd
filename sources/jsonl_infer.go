package sources

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// Inferring the columns' types of a JSON Lines input from the kinds of the
// sampled values.

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
