package sources

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// Text units are bounded by their estimated memory decoded, not only by
// 65536 records: long records and many columns make smaller units, every
// record is in exactly one, and reading one allocates about a unit's
// bound, not the file.
func TestTextUnitsBoundedByBytes(t *testing.T) {
	long := strings.Repeat("x", 10_000)
	wide := strings.TrimSuffix(strings.Repeat("1,", 500), ",")
	var longCSV, wideCSV, longJSONL bytes.Buffer
	longCSV.WriteString("a,b\n")
	for c := range 500 {
		if c > 0 {
			wideCSV.WriteByte(',')
		}
		fmt.Fprintf(&wideCSV, "c%d", c)
	}
	wideCSV.WriteByte('\n')
	for i := range 2000 {
		fmt.Fprintf(&longCSV, "%d,%s\n", i, long)
		fmt.Fprintf(&longJSONL, "{\"a\":%d,\"b\":\"%s\"}\n", i, long)
	}
	for range 2000 {
		wideCSV.WriteString(wide + "\n")
	}
	tests := []struct {
		name     string
		jsonl    bool
		data     []byte
		minUnits int
	}{
		{"long records", false, longCSV.Bytes(), 4},      // 2000 x ~10 KB
		{"many columns", false, wideCSV.Bytes(), 5},      // 2000 x 501 fields
		{"long lines", true, longJSONL.Bytes(), 4},       // 2000 x ~10 KB
		{"short records", false, []byte("a\n1\n2\n"), 1}, // one unit
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var src FileSource
			var err error
			if tt.jsonl {
				src, err = fileSource(OpenJSONL("f.jsonl", bytes.NewReader(tt.data), int64(len(tt.data)), JSONLOptions{}))
			} else {
				src, err = fileSource(OpenCSV("f.csv", bytes.NewReader(tt.data), int64(len(tt.data)), CSVOptions{}))
			}
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if n := src.NumUnits(); n < tt.minUnits {
				t.Fatalf("%d units, want at least %d", n, tt.minUnits)
			}
			var rows int64
			for i := range src.NumUnits() {
				rows += src.UnitNumRows(i)
			}
			if rows != src.NumRows() {
				t.Fatalf("units hold %d records, the file %d", rows, src.NumRows())
			}
			// Reading a unit allocates a small multiple of its bound (the
			// records as text, their values, the reader's buffers): the
			// whole file as one unit would allocate five times more.
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			var got int64
			err = src.ReadUnit(t.Context(), 0, 1024, func(rows []parquet.Row) error {
				got += int64(len(rows))
				return nil
			})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			if got != src.UnitNumRows(0) {
				t.Fatalf("unit 0 gave %d rows, want %d", got, src.UnitNumRows(0))
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; tt.minUnits > 1 && alloc > 8*TextUnitBytes {
				t.Errorf("reading unit 0 allocated %d MiB, want at most %d MiB", alloc>>20, 8*TextUnitBytes>>20)
			}
		})
	}
}
