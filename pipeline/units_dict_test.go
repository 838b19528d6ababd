package pipeline_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// Every unit of a row group holds its decoded dictionaries, whatever its
// rows: each unit's estimate counts them whole, and a row group whose
// dictionaries alone take more than half of --memory is refused before any
// work, naming the file and the row group, where --memory holds it the
// job goes on.
func TestUnitsCountDictionaries(t *testing.T) {
	const rows, distinct, width = 4000, 2000, 1000 // 2 MB of dictionary
	schema := parquet.NewSchema("t", parquet.Group{
		"cat": parquet.Encoded(parquet.String(), &parquet.RLEDictionary),
		"id":  parquet.Int(64),
	})
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema, parquet.MaxRowsPerRowGroup(rows), parquet.DictionaryMaxBytes(1<<30), parquet.PageBufferSize(4<<10))
	for i := range rows {
		cat := fmt.Sprintf("%0*d", width, i%distinct)
		row := parquet.Row{parquet.ByteArrayValue([]byte(cat)).Level(0, 0, 0), parquet.Int64Value(int64(i)).Level(0, 0, 1)}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	in, err := sources.OpenParquet("dict.parquet", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	const dict = distinct * width
	got, err := pipeline.CutAndCheckUnits(in, 256<<10, 64<<20)
	if err != nil {
		t.Fatalf("under 64 MiB: %v", err)
	}
	if len(got) < 4 {
		t.Fatalf("%d units, want the row group cut", len(got))
	}
	for k, b := range got {
		if b < dict {
			t.Errorf("unit %d of %d: estimated %d bytes, want at least the row group's %d bytes of dictionary", k, len(got), b, dict)
		}
	}
	_, err = pipeline.CutAndCheckUnits(in, 256<<10, 3<<20)
	if !errors.Is(err, pipeline.ErrTooLarge) || !strings.Contains(err.Error(), "dict.parquet: row group 0's dictionaries take about 1 MiB") ||
		!strings.Contains(err.Error(), "use --memory") {
		t.Fatalf("under 3 MiB: err = %v, want ErrTooLarge naming the file, the row group and its dictionaries", err)
	}
}
