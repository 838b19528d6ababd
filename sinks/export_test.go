package sinks

import "github.com/parquet-go/parquet-go"

// CheckRow exposes checkRow to the black-box tests: it reports whether row
// is well-formed for schema.
func CheckRow(schema *parquet.Schema, row parquet.Row) error {
	_, leaves, err := outputSchema(schema, nil, false)
	if err != nil {
		return err
	}
	return checkRow(row, leaves)
}
