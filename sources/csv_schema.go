package sources

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding"
)

// CSVType is the type of a CSV column: how its text is converted to values
// and which Parquet type holds them.
type CSVType int

// The CSV column types, with the Parquet types they become.
const (
	CSVString    CSVType = iota // BYTE_ARRAY annotated STRING; must be valid UTF-8
	CSVBool                     // BOOLEAN: true or false, in any letter case
	CSVInt64                    // INT64, no annotation: base-10 integers
	CSVDouble                   // DOUBLE: decimal or exponent notation, NaN, Inf, +Inf, -Inf
	CSVDate                     // INT32 annotated DATE: YYYY-MM-DD
	CSVTimestamp                // INT64 annotated TIMESTAMP(MICROS, adjusted to UTC): RFC 3339
)

// csvTypeNames are the spellings of the types in a --schema, indexed by
// CSVType.
var csvTypeNames = [...]string{
	CSVString:    "string",
	CSVBool:      "bool",
	CSVInt64:     "int64",
	CSVDouble:    "double",
	CSVDate:      "date",
	CSVTimestamp: "timestamp",
}

// String returns the type's name as a --schema spells it: string, bool,
// int64, double, date or timestamp.
func (t CSVType) String() string {
	if t < 0 || int(t) >= len(csvTypeNames) {
		return fmt.Sprintf("CSVType(%d)", int(t))
	}
	return csvTypeNames[t]
}

// node returns the Parquet leaf of the type, required.
func (t CSVType) node() parquet.Node {
	switch t {
	case CSVBool:
		return parquet.Leaf(parquet.BooleanType)
	case CSVInt64:
		return parquet.Leaf(parquet.Int64Type)
	case CSVDouble:
		return parquet.Leaf(parquet.DoubleType)
	case CSVDate:
		return parquet.Date()
	case CSVTimestamp:
		return parquet.Timestamp(parquet.Microsecond)
	default:
		return parquet.String()
	}
}

// CSVColumn is one column of a CSV table: its name, its type and whether
// it may hold nulls.
type CSVColumn struct {
	Name string  `json:"name"`
	Type CSVType `json:"type"`
	// Required columns refuse nulls and are REQUIRED in the Parquet
	// schema; the others are OPTIONAL. Inferred columns are never
	// required.
	Required bool `json:"required,omitempty"`
}

// CSVSchema is the list of a CSV table's columns, in file order.
type CSVSchema []CSVColumn

// ParseCSVSchema parses the text of a --schema option: comma-separated
// "name:type" pairs in column order, where type is one of bool, int64,
// double, string, date and timestamp. Every column is nullable (OPTIONAL)
// unless its type ends in "!", as in "id:int64!", which makes it REQUIRED
// and refuses nulls. Spaces around names and types are ignored. A name is
// everything before the last colon of its pair, so it may hold colons but
// no comma; names must be non-empty, valid UTF-8 and distinct.
//
// For any CSVSchema s that ParseCSVSchema returned, ParseCSVSchema(s.String())
// returns s again.
func ParseCSVSchema(s string) (CSVSchema, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("csv schema: empty (want name:type,...)")
	}
	if !utf8.ValidString(s) {
		return nil, errors.New("csv schema: invalid UTF-8")
	}
	parts := strings.Split(s, ",")
	cols := make(CSVSchema, 0, len(parts))
	seen := make(map[string]int, len(parts))
	for i, part := range parts {
		colon := strings.LastIndexByte(part, ':')
		if colon < 0 {
			return nil, fmt.Errorf("csv schema: column %d: %q is not name:type", i+1, strings.TrimSpace(part))
		}
		name := strings.TrimSpace(part[:colon])
		typ := strings.TrimSpace(part[colon+1:])
		if name == "" {
			return nil, fmt.Errorf("csv schema: column %d: empty name", i+1)
		}
		if j, dup := seen[name]; dup {
			return nil, fmt.Errorf("csv schema: column %d: name %q already used by column %d", i+1, name, j+1)
		}
		seen[name] = i
		col := CSVColumn{Name: name}
		if t, ok := strings.CutSuffix(typ, "!"); ok {
			col.Required = true
			typ = strings.TrimSpace(t)
		}
		t, ok := parseCSVType(typ)
		if !ok {
			return nil, fmt.Errorf("csv schema: column %q: unknown type %q (want bool, int64, double, string, date or timestamp)", name, typ)
		}
		col.Type = t
		cols = append(cols, col)
	}
	return cols, nil
}

// parseCSVType returns the type named s.
func parseCSVType(s string) (CSVType, bool) {
	for t, name := range csvTypeNames {
		if s == name {
			return CSVType(t), true
		}
	}
	return 0, false
}

// String returns the schema in the syntax [ParseCSVSchema] reads, such as
// "id:int64!,name:string". Names holding a comma, or with leading or
// trailing spaces, cannot be written in that syntax and come out as they
// are.
func (s CSVSchema) String() string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(c.Name)
		b.WriteByte(':')
		b.WriteString(c.Type.String())
		if c.Required {
			b.WriteByte('!')
		}
	}
	return b.String()
}

// Parquet returns the Parquet schema of the table: one leaf per column, in
// column order, OPTIONAL unless the column is required. Its root is named
// "schema", as most writers name it.
func (s CSVSchema) Parquet() *parquet.Schema {
	g := make(csvGroup, len(s))
	for i, c := range s {
		n := c.Type.node()
		if !c.Required {
			n = parquet.Optional(n)
		}
		g[i] = csvField{Node: n, name: c.Name}
	}
	return parquet.NewSchema("schema", g)
}

// csvGroup is a group whose fields keep the order they are given in:
// parquet.Group sorts its fields by name, while a CSV file's columns have an
// order of their own.
type csvGroup []parquet.Field

func (g csvGroup) ID() int                             { return 0 }
func (g csvGroup) Type() parquet.Type                  { return parquet.Group(nil).Type() }
func (g csvGroup) Optional() bool                      { return false }
func (g csvGroup) Repeated() bool                      { return false }
func (g csvGroup) Required() bool                      { return true }
func (g csvGroup) Leaf() bool                          { return false }
func (g csvGroup) Fields() []parquet.Field             { return g }
func (g csvGroup) Encoding() encoding.Encoding         { return nil }
func (g csvGroup) Compression() compress.Codec         { return nil }
func (g csvGroup) GoType() reflect.Type                { return reflect.TypeFor[map[string]any]() }
func (g csvGroup) String() string                      { return groupString(g) }
func (f csvField) Name() string                        { return f.name }
func (f csvField) Value(b reflect.Value) reflect.Value { return b.MapIndex(reflect.ValueOf(f.name)) }

// groupString prints a group as parquet-go prints schemas.
func groupString(g csvGroup) string {
	var b strings.Builder
	if err := parquet.PrintSchema(&b, "", g); err != nil {
		return "group"
	}
	return b.String()
}

// csvField is a leaf of a csvGroup under its column name. Rows of CSV
// tables are only ever handled as parquet.Row values; their Go form, used
// by parquet-go's reflection, is a map from column names to values.
type csvField struct {
	parquet.Node
	name string
}

var (
	_ parquet.Node  = csvGroup(nil)
	_ parquet.Field = csvField{}
)

// csvInference narrows down the type of one column from sample values:
// the first of bool, int64 and double that reads every non-null sample
// value, else string. It is deliberately strict, so that text a reader
// would want kept as written stays a string: integers with leading zeros
// (ZIP codes, identifiers such as 007) are strings, and so are hexadecimal
// numbers and numbers with digit separators.
type csvInference struct {
	seen                       bool // a non-null value was sampled
	notBool, notInt, notDouble bool
}

// add narrows the inference by one non-null value.
func (f *csvInference) add(v string) {
	f.seen = true
	if !f.notBool && !isCSVBool(v) {
		f.notBool = true
	}
	if !f.notInt && !isCSVInt(v) {
		f.notInt = true
	}
	if !f.notDouble && !isCSVDouble(v) {
		f.notDouble = true
	}
}

// done reports whether nothing more can change the inferred type.
func (f *csvInference) done() bool { return f.notBool && f.notInt && f.notDouble }

// typ returns the inferred type: string when no value was sampled.
func (f *csvInference) typ() CSVType {
	switch {
	case !f.seen:
		return CSVString
	case !f.notBool:
		return CSVBool
	case !f.notInt:
		return CSVInt64
	case !f.notDouble:
		return CSVDouble
	}
	return CSVString
}

// isCSVBool reports whether v is true or false in any letter case.
func isCSVBool(v string) bool {
	return strings.EqualFold(v, "true") || strings.EqualFold(v, "false")
}

// isCSVInt reports whether v is an int64 written as an optional sign and
// decimal digits without a leading zero.
func isCSVInt(v string) bool {
	digits := strings.TrimLeft(v, "+-")
	if len(v)-len(digits) > 1 || !allDigits(digits) || !noLeadingZero(digits) {
		return false
	}
	_, err := strconv.ParseInt(v, 10, 64)
	return err == nil
}

// isCSVDouble reports whether v is a finite double in decimal or exponent
// notation whose integer part has no leading zero, or NaN or an infinity
// (nan, inf, infinity in any letter case, with an optional sign), and in
// range.
func isCSVDouble(v string) bool {
	rest := v
	if rest != "" && (rest[0] == '+' || rest[0] == '-') {
		rest = rest[1:]
	}
	switch strings.ToLower(rest) {
	case "nan", "inf", "infinity":
		_, err := strconv.ParseFloat(v, 64) // Go reads no sign before NaN
		return err == nil
	}
	mant, exp, hasExp := strings.Cut(strings.ToLower(rest), "e")
	intPart, frac, _ := strings.Cut(mant, ".")
	if intPart == "" && frac == "" || !allDigits(intPart) || !allDigits(frac) || !noLeadingZero(intPart) {
		return false
	}
	if hasExp {
		if exp != "" && (exp[0] == '+' || exp[0] == '-') {
			exp = exp[1:]
		}
		if exp == "" || !allDigits(exp) {
			return false
		}
	}
	_, err := strconv.ParseFloat(v, 64)
	return err == nil
}

// allDigits reports whether s holds only ASCII digits (true when empty).
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// noLeadingZero reports whether the digits s are "0" or do not start with 0.
func noLeadingZero(s string) bool { return len(s) <= 1 || s[0] != '0' }
