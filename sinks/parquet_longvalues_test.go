package sinks_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
)

// TestLongValueStatistics writes a row group whose text column holds one
// 1 MiB value: the footer must stay small (its column chunk written
// without min/max, as MaxStatisticsBytes says), the other columns keep
// their statistics, and the file reads back to the same rows. Before,
// the value was copied whole into the footer's min and max.
func TestLongValueStatistics(t *testing.T) {
	schema := typicalSchema()
	rows := typicalRows(0, 50)
	long := bytes.Repeat([]byte("z"), 1<<20)
	rows[7][5] = parquet.ByteArrayValue(long).Level(0, 0, 5)
	for _, opts := range []sinks.ParquetOptions{{}, {Dictionary: true}} {
		enc, err := sinks.NewRowGroupEncoder(schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		data := writeFile(t, schema, opts, nil, encodeGroups(t, enc, [][]parquet.Row{rows}))
		footer := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
		if footer > 16<<10 {
			t.Fatalf("%s: footer of %d bytes for one row group of 50 rows", optionsName(opts), footer)
		}
		meta := rawFooter(t, data)
		for i, c := range meta.RowGroups[0].Columns {
			st := c.MetaData.Statistics
			hasBounds := st.MinValue != nil || st.MaxValue != nil || st.Min != nil || st.Max != nil
			if want := i != 5; hasBounds != want {
				t.Errorf("%s: column %d has min/max %v, want %v", optionsName(opts), i, hasBounds, want)
			}
		}
		_, got := readBack(t, data)
		compareRows(t, optionsName(opts), concat(got), rows)
	}
}
