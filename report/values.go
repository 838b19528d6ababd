package report

import (
	"math"
	"strings"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// Kinds of column, as the report shows them.
const (
	KindNumber = "number"  // integers and floating point, decimals scaled
	KindTime   = "time"    // timestamps and dates, as numbers on a time axis
	KindString = "string"  // text: counted by value
	KindBool   = "boolean" // counted by value
	KindBinary = "binary"  // other bytes: counted by value, shown in hex
)

// column describes one leaf column of the schema.
type column struct {
	name  string // dotted path
	index int    // leaf index in parquet.Row values
	kind  string
	ptype string // the Parquet physical and logical type, for the page
	pkind parquet.Kind
	// scale turns a stored number into the number shown: a decimal's
	// 10^-scale; for times, seconds per stored unit.
	scale float64
}

// describe returns the leaf columns of a schema.
func describe(schema *parquet.Schema) []column {
	var cols []column
	for i, path := range schema.Columns() {
		leaf, _ := schema.Lookup(path...)
		t := leaf.Node.Type()
		c := column{name: strings.Join(path, "."), index: i, scale: 1, ptype: t.String(), pkind: t.Kind()}
		lt := t.LogicalType()
		switch t.Kind() {
		case parquet.Boolean:
			c.kind = KindBool
		case parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
			c.kind = KindNumber
			var v format.LogicalTypeValue
			if lt != nil {
				v = lt.Value
			}
			switch v := v.(type) {
			case *format.TimestampType:
				c.kind, c.scale = KindTime, 1e-6
				switch v.Unit.Value.(type) {
				case *format.MilliSeconds:
					c.scale = 1e-3
				case *format.NanoSeconds:
					c.scale = 1e-9
				}
			case *format.DateType:
				c.kind, c.scale = KindTime, 86400
			case *format.DecimalType:
				c.scale = math.Pow10(-int(v.Scale))
			}
		case parquet.ByteArray, parquet.FixedLenByteArray:
			c.kind = KindBinary
			if lt != nil {
				switch lt.Value.(type) {
				case *format.StringType, *format.EnumType, *format.JsonType:
					c.kind = KindString
				}
			}
		default:
			c.kind = KindBinary
		}
		cols = append(cols, c)
	}
	return cols
}

// number returns a numeric value's float64, and false for a NaN or an
// infinity: those are counted apart, as the moments, quantiles and
// histogram of finite numbers cannot hold them (and JSON cannot encode
// the figures they would give).
func number(v parquet.Value) (float64, bool) {
	var f float64
	switch v.Kind() {
	case parquet.Int32:
		f = float64(v.Int32())
	case parquet.Int64:
		f = float64(v.Int64())
	case parquet.Float:
		f = float64(v.Float())
	case parquet.Double:
		f = v.Double()
	}
	return f, !math.IsNaN(f) && !math.IsInf(f, 0)
}
