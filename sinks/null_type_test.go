package sinks_test

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sinks"
)

// nullListSchema is the schema of parquet-testing's null_list.parquet: a
// list whose elements have the NULL logical type (all values null).
func nullListSchema() *parquet.Schema {
	return parquet.NewSchema("schema", parquet.Group{
		"emptylist": parquet.Optional(parquet.List(parquet.Optional(parquet.Leaf(parquet.NullType)))),
	})
}

// nullListRows returns an empty list, a null list and a list of two
// nulls, with the tokens check.mjs prints for them.
func nullListRows() ([]parquet.Row, []string) {
	return []parquet.Row{
		{parquet.NullValue().Level(0, 1, 0)},
		{parquet.NullValue().Level(0, 0, 0)},
		{parquet.NullValue().Level(0, 2, 0), parquet.NullValue().Level(1, 2, 0)},
	}, []string{"[]", "N", "[N,N]"}
}

// TestNullTypeColumn writes a column of the NULL logical type. Its column
// chunk must state the physical type the schema gives it (INT32):
// parquet-go wrote its internal kind, -1, an invalid enum value that made
// DuckDB refuse the whole file ("TProtocolException: Invalid data"), so
// splitdata's output for null_list.parquet was unreadable. Where DuckDB's
// readback script is installed, DuckDB must read the rows back.
func TestNullTypeColumn(t *testing.T) {
	schema := nullListSchema()
	rows, tokens := nullListRows()
	opts := sinks.ParquetOptions{}
	enc, err := sinks.NewRowGroupEncoder(schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	data := writeFile(t, schema, opts, nil, encodeGroups(t, enc, [][]parquet.Row{rows}))
	meta := rawFooter(t, data)
	if got := meta.RowGroups[0].Columns[0].MetaData.Type; got != format.Int32 {
		t.Errorf("column chunk type %v, want INT32 as in the schema", got)
	}
	_, back := readBack(t, data)
	compareRows(t, "null list", concat(back), rows)

	node := duckNode(t)
	path := filepath.Join(t.TempDir(), "null_list.parquet")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	got := duckCheck(t, node, path)
	h := fnv.New64a()
	for _, tok := range tokens {
		h.Write([]byte(tok + "\n"))
	}
	want := fmt.Sprintf("%016x", h.Sum64())
	if len(got.Files) != 1 || got.Files[0].Rows != len(rows) || len(got.Files[0].Columns) != 1 || got.Files[0].Columns[0].Checksum != want {
		t.Fatalf("DuckDB read %+v, want %d rows of one column with checksum %s", got.Files, len(rows), want)
	}
}
