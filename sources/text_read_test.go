package sources

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// openText opens data as the kind of text input named.
func openText(t *testing.T, kind string, r bytesReaderAt) Source {
	t.Helper()
	var src Source
	var err error
	switch kind {
	case "csv":
		src, err = OpenCSV("in."+kind, r, int64(len(r)), CSVOptions{})
	case "jsonl":
		src, err = OpenJSONL("in."+kind, r, int64(len(r)), JSONLOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestTextUnitChangedAfterOpen checks that a CSV or JSON Lines unit whose
// bytes hold more or fewer records than the scan at open found (the same
// size, other content) is refused as corrupt, naming the file and saying
// which (TestCSVChangedUnderneath and TestJSONLChangedUnderneath change a
// unit of several).
func TestTextUnitChangedAfterOpen(t *testing.T) {
	tests := []struct {
		name, kind, opened, read, want string
	}{
		{"csv more", "csv", "a\n1000\n2000\n", "a\n1\n2\n3\n4\n5\n", "unit holds more than the 2 records found when the file was opened"},
		{"csv fewer", "csv", "a\n1\n2\n3\n4\n5\n", "a\n1000\n2000\n", "unit holds 2 records, 5 when the file was opened"},
		{"jsonl more", "jsonl", "{\"a\":12345678901234567}\n", "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n", "unit holds more than the 1 records found when the file was opened"},
		{"jsonl fewer", "jsonl", "{\"a\":1}\n{\"a\":2}\n{\"a\":3}\n", "{\"a\":12345678901234567}\n", "unit holds 1 records, 3 when the file was opened"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.opened) != len(tc.read) {
				t.Fatalf("test inputs of %d and %d bytes, want the same size", len(tc.opened), len(tc.read))
			}
			r := bytesReaderAt(tc.opened)
			src := openText(t, tc.kind, r)
			copy(r, tc.read)
			err := src.ReadUnit(t.Context(), 0, 2, func([]parquet.Row) error { return nil })
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, ErrCorrupt) || ie.Path != "in."+tc.kind || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ReadUnit = %v, want an InputError wrapping ErrCorrupt naming in.%s and saying %q", err, tc.kind, tc.want)
			}
		})
	}
}

// TestTextReadUnitBatches checks that ReadUnit hands out every row, in
// order, in full batches of the size asked for but the last, for batch
// sizes around the unit's row count.
func TestTextReadUnitBatches(t *testing.T) {
	const n = 7
	var csvData, jsonlData strings.Builder
	csvData.WriteString("a,s\n")
	for i := range n {
		fmt.Fprintf(&csvData, "%d,s%d\n", i, i)
		fmt.Fprintf(&jsonlData, "{\"a\":%d,\"s\":\"s%d\"}\n", i, i)
	}
	for _, kind := range []string{"csv", "jsonl"} {
		data := csvData.String()
		if kind == "jsonl" {
			data = jsonlData.String()
		}
		for _, batch := range []int{0, 1, 2, n - 1, n, n + 1} {
			t.Run(fmt.Sprintf("%s batch %d", kind, batch), func(t *testing.T) {
				src := openText(t, kind, bytesReaderAt(data))
				var sizes []int
				var got []string
				err := src.ReadUnit(t.Context(), 0, batch, func(rows []parquet.Row) error {
					sizes = append(sizes, len(rows))
					for _, row := range rows {
						got = append(got, fmt.Sprintf("%d,%s", row[0].Int64(), row[1].ByteArray()))
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				size := max(batch, 1)
				for k, s := range sizes {
					if s > size || s < size && k != len(sizes)-1 || s == 0 {
						t.Errorf("batches of %v rows, want %d each but the last", sizes, size)
						break
					}
				}
				for i := range n {
					if want := fmt.Sprintf("%d,s%d", i, i); i >= len(got) || got[i] != want {
						t.Fatalf("rows %q, want %d rows i,si in order", got, n)
					}
				}
				if len(got) != n {
					t.Errorf("%d rows, want %d", len(got), n)
				}
			})
		}
	}
}
