package pipeline

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// groupColumn finds the leaf column a grouped split groups by: a top-level
// or nested field that is not repeated, of a boolean, integer or byte-array
// (string, binary) physical type. Errors wrap ErrUsage.
func groupColumn(schema *parquet.Schema, name string) (int, error) {
	leaf, ok := schema.Lookup(strings.Split(name, ".")...)
	if !ok {
		return 0, fmt.Errorf("%w: --group %q: no such column", ErrUsage, name)
	}
	if leaf.MaxRepetitionLevel > 0 {
		return 0, fmt.Errorf("%w: --group %q: a repeated column cannot group rows", ErrUsage, name)
	}
	switch leaf.Node.Type().Kind() {
	case parquet.Boolean, parquet.Int32, parquet.Int64, parquet.ByteArray:
		return leaf.ColumnIndex, nil
	}
	return 0, fmt.Errorf("%w: --group %q: unsupported column type %s (want a boolean, integer or string column)", ErrUsage, name, leaf.Node.Type())
}

// groupBytes appends the canonical bytes of a row's group value in column
// col to b: 0x00 for null; else 0x01 followed by the value's text: an
// integer in decimal, a boolean as "true" or "false", a string or binary as
// its bytes. They are what docs/algorithm.md hashes.
func groupBytes(b []byte, row parquet.Row, col int) []byte {
	for _, v := range row {
		if v.Column() != col {
			continue
		}
		if v.IsNull() {
			return append(b, 0)
		}
		b = append(b, 1)
		switch v.Kind() {
		case parquet.Boolean:
			return strconv.AppendBool(b, v.Boolean())
		case parquet.Int32:
			return strconv.AppendInt(b, int64(v.Int32()), 10)
		case parquet.Int64:
			return strconv.AppendInt(b, v.Int64(), 10)
		default:
			return append(b, v.ByteArray()...)
		}
	}
	return append(b, 0) // not reached for rows that passed the row check
}
