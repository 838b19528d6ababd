package sinks_test

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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

	if _, err := os.Stat(filepath.Join(duckDir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Skip("DuckDB readback not installed (cd sinks/testdata/duckdb && npm install)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	path := filepath.Join(t.TempDir(), "null_list.parquet")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, "check.mjs", path)
	cmd.Dir = duckDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("DuckDB cannot read the file: %v\n%s", err, stderr.String())
	}
	var got duckOutput
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("decode check.mjs output: %v\n%s", err, stdout)
	}
	h := fnv.New64a()
	for _, tok := range tokens {
		h.Write([]byte(tok + "\n"))
	}
	want := fmt.Sprintf("%016x", h.Sum64())
	if len(got.Files) != 1 || got.Files[0].Rows != len(rows) || len(got.Files[0].Columns) != 1 || got.Files[0].Columns[0].Checksum != want {
		t.Fatalf("DuckDB read %s, want %d rows of one column with checksum %s", stdout, len(rows), want)
	}
}
