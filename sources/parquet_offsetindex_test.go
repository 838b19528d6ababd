package sources_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sources"
)

// withOffsetIndex returns the Parquet data with the offset index of column
// col of row group 0 decoded, changed by edit and written again after the
// data (edit may also change the chunk's metadata, after the new index is
// placed).
func withOffsetIndex(t *testing.T, data []byte, col int, edit func(oi *format.OffsetIndex, cc *format.ColumnChunk)) []byte {
	t.Helper()
	end := len(data) - 8
	start := end - int(binary.LittleEndian.Uint32(data[end:]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[start:end], &md); err != nil {
		t.Fatal(err)
	}
	cc := &md.RowGroups[0].Columns[col]
	var oi format.OffsetIndex
	at := cc.OffsetIndexOffset
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[at:at+int64(cc.OffsetIndexLength)], &oi); err != nil {
		t.Fatal(err)
	}
	edit(&oi, nil)
	changed, err := thrift.Marshal(new(thrift.CompactProtocol), &oi)
	if err != nil {
		t.Fatal(err)
	}
	cc.OffsetIndexOffset, cc.OffsetIndexLength = int64(start), int32(len(changed))
	edit(nil, cc)
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(data[:start]), changed...)
	out = append(out, footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...)
}

// A lying offset index fails the ranges that would use it with an
// InputError naming the file, the row group and the column, whether the
// index contradicts itself and the column chunk (found when it is read) or
// the page headers (found before the pages it misplaces are decoded).
func TestOffsetIndexLies(t *testing.T) {
	const rows = 1500
	data := writeWide(t, wideRows(rows, 4), nil, parquet.PageBufferSize(256), parquet.MaxRowsPerRowGroup(rows))
	p, err := sources.OpenParquet("good.parquet", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	const col = 1
	column := strings.Join(p.Schema().Columns()[col], ".")
	tests := []struct {
		name string
		edit func(oi *format.OffsetIndex, cc *format.ColumnChunk)
		want string
	}{
		{"rows not increasing", func(oi *format.OffsetIndex, _ *format.ColumnChunk) {
			if oi != nil {
				oi.PageLocations[2].FirstRowIndex = oi.PageLocations[1].FirstRowIndex
			}
		}, "offset index: page 2 starts at row"},
		{"first page not at row 0", func(oi *format.OffsetIndex, _ *format.ColumnChunk) {
			if oi != nil {
				oi.PageLocations[0].FirstRowIndex = 1
			}
		}, "offset index: page 0 starts at row 1"},
		{"rows past the row group", func(oi *format.OffsetIndex, _ *format.ColumnChunk) {
			if oi != nil {
				oi.PageLocations[len(oi.PageLocations)-1].FirstRowIndex = rows
			}
		}, "of a row group of 1500 rows"},
		{"page overruns the chunk", func(oi *format.OffsetIndex, _ *format.ColumnChunk) {
			if oi != nil {
				oi.PageLocations[len(oi.PageLocations)-1].CompressedPageSize += 1 << 20
			}
		}, "overruns the column chunk"},
		{"pages not end to end", func(oi *format.OffsetIndex, _ *format.ColumnChunk) {
			if oi != nil {
				oi.PageLocations[1].Offset++
			}
		}, "offset index: page 1 at byte"},
		{"index outside the file", func(_ *format.OffsetIndex, cc *format.ColumnChunk) {
			if cc != nil {
				cc.OffsetIndexOffset = int64(len(data)) * 2
			}
		}, "offset index: bytes"},
		{"index cut short", func(_ *format.OffsetIndex, cc *format.ColumnChunk) {
			if cc != nil {
				cc.OffsetIndexLength -= 3
			}
		}, "offset index:"},
		{"a page's rows moved", func(oi *format.OffsetIndex, _ *format.ColumnChunk) {
			if oi != nil {
				oi.PageLocations[1].FirstRowIndex++
			}
		}, "the offset index gives it"},
		{"a page boundary moved into a page", func(oi *format.OffsetIndex, _ *format.ColumnChunk) {
			if oi != nil {
				oi.PageLocations[0].CompressedPageSize++
				oi.PageLocations[1].Offset++
				oi.PageLocations[1].CompressedPageSize--
			}
		}, "page at byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := withOffsetIndex(t, data, col, tc.edit)
			p, err := sources.OpenParquet("bad.parquet", bytes.NewReader(bad), int64(len(bad)))
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			check := func(how string, err error) {
				t.Helper()
				var ie *sources.InputError
				if !errors.As(err, &ie) || !errors.Is(err, sources.ErrCorrupt) {
					t.Fatalf("%s: err = %v, want an InputError wrapping ErrCorrupt", how, err)
				}
				if ie.Path != "bad.parquet" || ie.RowGroup != 0 || ie.Column != column || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("%s: err = %v (file %q, row group %d, column %q), want file bad.parquet, row group 0, column %q, saying %q",
						how, err, ie.Path, ie.RowGroup, ie.Column, column, tc.want)
				}
			}
			_, err = p.ReadBatchRangeInto(t.Context(), 0, 1, rows-2, nil)
			check("batch", err)
			err = p.ReadRowGroupRange(t.Context(), 0, 1, rows-2, 100, func([]parquet.Row) error { return nil })
			check("rows", err)
			fp, err := sources.OpenParquet("bad.parquet", newFetcher(bad), int64(len(bad)))
			if err != nil {
				t.Fatalf("open over a Fetcher: %v", err)
			}
			_, err = fp.ReadBatchRangeInto(t.Context(), 0, 1, rows-2, nil)
			check("batch over a Fetcher", err)
			err = fp.ReadRowGroupRange(t.Context(), 0, 1, rows-2, 100, func([]parquet.Row) error { return nil })
			check("rows over a Fetcher", err)
		})
	}
}
