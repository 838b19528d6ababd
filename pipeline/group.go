package pipeline

import (
	"github.com/parquet-go/parquet-go"
)

// groupColumn finds the leaf column a grouped split groups by: a top-level
// or nested field that is not repeated, of a boolean, integer or byte-array
// (string, binary) physical type. Errors wrap ErrUsage.
func groupColumn(schema *parquet.Schema, name string) (int, error) {
	return columnFor(schema, "--group", name)
}

// groupBytes appends the canonical bytes of a row's value in column col to
// b (see canonicalBytes). They are what docs/algorithm.md hashes.
func groupBytes(b []byte, row parquet.Row, col int) []byte {
	return canonicalBytes(b, columnValue(row, col))
}
