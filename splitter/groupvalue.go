package splitter

import (
	"fmt"
	"strconv"
)

// AppendGroupValue appends to b the canonical bytes of a group value
// (docs/algorithm.md section 7b), the bytes a [GroupHasher] hashes: 0x00
// for nil, else 0x01 followed by a bool as "true" or "false", an int32 or
// int64 in decimal, a string or []byte as its bytes. These are the values
// of the column types a grouped split accepts (BOOLEAN, INT32, INT64,
// BYTE_ARRAY), as the CLI reads them: it is for callers that hold a row's
// group value rather than a Parquet column, such as the Beam transforms.
// Any other type is an error wrapping [ErrUsage].
func AppendGroupValue(b []byte, v any) ([]byte, error) {
	switch v := v.(type) {
	case nil:
		return append(b, 0), nil
	case bool:
		return strconv.AppendBool(append(b, 1), v), nil
	case int32:
		return strconv.AppendInt(append(b, 1), int64(v), 10), nil
	case int64:
		return strconv.AppendInt(append(b, 1), v, 10), nil
	case string:
		return append(append(b, 1), v...), nil
	case []byte:
		return append(append(b, 1), v...), nil
	default:
		return b, fmt.Errorf("%w: a group value is a bool, int32, int64, string or []byte, not %T", ErrUsage, v)
	}
}
