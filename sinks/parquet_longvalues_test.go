package sinks_test

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

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

// TestLongValuePageStatistics checks that the page headers of a chunk
// holding a long value carry no long min/max either (parquet-go copied
// them whole, twice, into the page header: readers, splitdata's among
// them, refuse headers beyond 16 MiB), and that the file still follows
// the format with its offsets moved: layout, page index and rows.
func TestLongValuePageStatistics(t *testing.T) {
	schema := typicalSchema()
	rows := typicalRows(0, 3000)
	for _, at := range []int{7, 2500} {
		rows[at][5] = parquet.ByteArrayValue(bytes.Repeat([]byte{'z', byte(at)}, 64<<10)).Level(0, 0, 5)
	}
	for _, opts := range []sinks.ParquetOptions{{}, {Dictionary: true, PageBufferSize: 4096}, {Compression: "none", PageBufferSize: 300}} {
		enc, err := sinks.NewRowGroupEncoder(schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		groups := splitRows(rows, 1000, 2000)
		data := writeFile(t, schema, opts, nil, encodeGroups(t, enc, groups))
		meta := rawFooter(t, data)
		for _, rg := range meta.RowGroups {
			for i := range rg.Columns {
				for _, p := range walkPages(t, data, &rg.Columns[i].MetaData) {
					var st format.Statistics
					switch p.header.Type {
					case format.DataPage:
						st = p.header.DataPageHeader.V.Statistics
					case format.DataPageV2:
						st = p.header.DataPageHeaderV2.V.Statistics
					}
					if n := len(st.MinValue) + len(st.MaxValue) + len(st.Min) + len(st.Max); n > sinks.MaxStatisticsBytes {
						t.Fatalf("%s: column %d: page at %d has %d bytes of bounds", optionsName(opts), i, p.offset, n)
					}
				}
			}
		}
		checkLayout(t, data, codecOf[opts.Compression], maxRepetition(schema))
		_, got := readBack(t, data)
		compareRows(t, optionsName(opts), concat(got), rows)
	}
}
