package report_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/splitdata/splitdata/internal/testinput"
	"github.com/splitdata/splitdata/report"
	"github.com/splitdata/splitdata/sources"
)

// TestRereadError checks that a unit whose rows read again differ in
// number from the scan's is named as its format names it: a Parquet row
// group, an Arrow record batch, the records of a CSV or JSON Lines file
// (whose units are not lines).
func TestRereadError(t *testing.T) {
	dir := t.TempDir()
	type row struct {
		X int64 `parquet:"x"`
	}
	pq := filepath.Join(dir, "a.parquet")
	testinput.Parquet(t, pq, []row{{1}, {2}})
	csv := filepath.Join(dir, "a.csv")
	jsonl := filepath.Join(dir, "a.jsonl")
	for path, text := range map[string]string{csv: "x\n1\n2\n", jsonl: "{\"x\":1}\n{\"x\":2}\n"} {
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	arr := filepath.Join(dir, "a.arrow")
	writeArrow(t, arr)
	for _, tc := range []struct {
		path, format, want string
	}{
		{pq, "parquet", pq + ": row group 3: corrupt input: 1 rows read again, 2 before"},
		{arr, "arrow", arr + ": record batch 3: corrupt input: 1 rows read again, 2 before"},
		{csv, "csv", csv + ": corrupt input: records 11 to 12: 1 rows read again, 2 before"},
		{jsonl, "jsonl", jsonl + ": corrupt input: records 11 to 12: 1 rows read again, 2 before"},
	} {
		t.Run(tc.format, func(t *testing.T) {
			src, err := sources.Open(tc.path, sources.Options{Format: tc.format})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			err = report.RereadError(src, tc.path, 3, 10, 1, 2)
			var ie *sources.InputError
			if !errors.As(err, &ie) || !errors.Is(err, sources.ErrCorrupt) {
				t.Fatalf("%v: not an input error wrapping ErrCorrupt", err)
			}
			if err.Error() != tc.want {
				t.Errorf("got  %s\nwant %s", err, tc.want)
			}
		})
	}
}

// writeArrow writes an Arrow IPC file of one int64 column x, rows 1, 2.
func writeArrow(t *testing.T, path string) {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Field(0).(*array.Int64Builder).AppendValues([]int64{1, 2}, nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(schema), ipc.WithAllocator(mem))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
