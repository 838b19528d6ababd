package sources_test

import (
	"bytes"
	"io"
	"os"
	"runtime"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/sources"
)

// A range of a row group's rows, decoded as a batch or read as rows, holds
// the rows at those places of the whole row group, for files of one page,
// a few pages and many pages per column chunk, in every encoding and page
// version, with ranges starting and ending inside pages, on page
// boundaries, and covering one row or all of them.
func TestReadRanges(t *testing.T) {
	dict := encodingFor(&parquet.RLEDictionary, allKinds...)
	tests := []struct {
		name string
		rows int
		opts []parquet.WriterOption
	}{
		{"one page", 1000, []parquet.WriterOption{parquet.PageBufferSize(1 << 20)}},
		{"v1 snappy pages", 1500, []parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Snappy), parquet.PageBufferSize(2048)}},
		{"v2 many pages", 1500, []parquet.WriterOption{parquet.PageBufferSize(256)}},
		{"dictionary v1 zstd", 1500, append([]parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Zstd), parquet.PageBufferSize(512)}, dict...)},
		{"dictionary v2 overflowing", 2000, append([]parquet.WriterOption{parquet.DictionaryMaxBytes(200), parquet.PageBufferSize(512)}, dict...)},
		{"delta", 1200, append(append(encodingFor(&parquet.DeltaBinaryPacked, parquet.Int32, parquet.Int64),
			encodingFor(&parquet.DeltaByteArray, parquet.ByteArray, parquet.FixedLenByteArray)...), parquet.PageBufferSize(512))},
	}
	for _, tc := range tests {
		for _, index := range []bool{true, false} {
			name := tc.name + ", offset index"
			if !index {
				name = tc.name + ", page headers walked"
			}
			t.Run(name, func(t *testing.T) {
				testReadRanges(t, tc.rows, tc.opts, index)
			})
		}
	}
}

// testReadRanges is one case of TestReadRanges: nrows rows written with
// opts, with or without their offset index.
func testReadRanges(t *testing.T, nrows int, opts []parquet.WriterOption, index bool) {
	t.Helper()
	data := writeWide(t, wideRows(nrows, 4), nil, append(opts, parquet.MaxRowsPerRowGroup(int64(nrows)))...)
	if !index {
		data = rewriteFooter(t, data, func(md *format.FileMetaData) {
			for c := range md.RowGroups[0].Columns {
				md.RowGroups[0].Columns[c].OffsetIndexOffset, md.RowGroups[0].Columns[c].OffsetIndexLength = 0, 0
			}
		})
	}
	for _, fetch := range []bool{false, true} {
		var r io.ReaderAt = bytes.NewReader(data)
		if fetch {
			r = newFetcher(data) // as from a bucket
		}
		p, err := sources.OpenParquet("ranges", r, int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		readRanges(t, p)
	}
}

// readRanges reads ranges of p's single row group as batches and as rows
// and compares them with the whole row group.
func readRanges(t *testing.T, p *sources.Parquet) {
	t.Helper()
	if p.NumRowGroups() != 1 {
		t.Fatalf("%d row groups, want 1", p.NumRowGroups())
	}
	all, err := readAllRows(t.Context(), p, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := int64(len(all))
	ranges := [][2]int64{{0, n}, {0, 1}, {n - 1, 1}, {1, n - 2}, {n / 3, n / 3}, {n / 2, 0}, {7, 193}}
	for k := int64(0); k < n; k += 211 {
		ranges = append(ranges, [2]int64{k, min(211, n-k)})
	}
	var reuse *columnar.Batch
	for _, r := range ranges {
		first, count := r[0], r[1]
		b, err := p.ReadBatchRangeInto(t.Context(), 0, first, count, reuse)
		if err != nil {
			t.Fatalf("rows [%d, %d): %v", first, first+count, err)
		}
		compareBatch(t, int(first), all[first:first+count], b)
		reuse = b
		var rows []parquet.Row
		err = p.ReadRowGroupRange(t.Context(), 0, first, count, 50, func(batch []parquet.Row) error {
			for _, row := range batch {
				rows = append(rows, row.Clone())
			}
			return nil
		})
		if err != nil {
			t.Fatalf("rows [%d, %d) as rows: %v", first, first+count, err)
		}
		if len(rows) != int(count) {
			t.Fatalf("rows [%d, %d) as rows: %d rows", first, first+count, len(rows))
		}
		for k, row := range rows {
			want := all[first+int64(k)]
			for c := range row {
				if !sameValue(row[c], want[c]) {
					t.Fatalf("rows [%d, %d) as rows, row %d column %d: %v, want %v", first, first+count, k, c, row[c], want[c])
				}
			}
		}
	}
	for _, r := range [][2]int64{{-1, 2}, {0, n + 1}, {n, 1}, {2, -1}} {
		if _, err := p.ReadBatchRangeInto(t.Context(), 0, r[0], r[1], nil); err == nil {
			t.Errorf("rows [%d, %d) of %d: no error", r[0], r[0]+r[1], n)
		}
	}
}

// A range's memory is the range's, not its row group's: decoding 1,000
// rows of a 100,000-row row group allocates a small fraction of what
// decoding the whole row group does.
func TestReadRangeAllocates(t *testing.T) {
	dir := t.TempDir()
	paths, err := gendata.Write(t.Context(), dir, gendata.Config{Rows: 100_000, RowGroupRows: 100_000, Seed: 5, Workers: 1, PageBufferSize: 16 << 10})
	if err != nil {
		t.Fatal(err)
	}
	p, err := sources.OpenParquetFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	allocated := func(read func() error) uint64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		if err := read(); err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	// The first range also walks the row group's page headers, once.
	if _, err := p.ReadBatchRangeInto(t.Context(), 0, 0, 10, nil); err != nil {
		t.Fatal(err)
	}
	whole := allocated(func() error { _, err := p.ReadBatch(t.Context(), 0); return err })
	part := allocated(func() error { _, err := p.ReadBatchRangeInto(t.Context(), 0, 50_000, 1000, nil); return err })
	t.Logf("whole row group: %d KiB allocated; 1%% of its rows: %d KiB", whole>>10, part>>10)
	if part*10 > whole {
		t.Errorf("1%% of a row group's rows allocated %d KiB, more than a tenth of the whole's %d KiB", part>>10, whole>>10)
	}
}

// PageStarts gives the first rows of the data pages of the row group's
// column chunk with the most bytes uncompressed, as parquet-go's own page
// reader finds them.
func TestPageStarts(t *testing.T) {
	dir := t.TempDir()
	paths, err := gendata.Write(t.Context(), dir, gendata.Config{Rows: 20_000, RowGroupRows: 20_000, Seed: 3, Workers: 1, PageBufferSize: 8 << 10})
	if err != nil {
		t.Fatal(err)
	}
	p, err := sources.OpenParquetFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	got, err := p.PageStarts(0)
	if err != nil {
		t.Fatal(err)
	}
	// The same from parquet-go: the widest chunk's pages, row by row.
	data, err := os.ReadFile(paths[0])
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	cols := pf.Metadata().RowGroups[0].Columns
	widest := 0
	for c := range cols {
		if cols[c].MetaData.TotalUncompressedSize > cols[widest].MetaData.TotalUncompressedSize {
			widest = c
		}
	}
	pages := pf.RowGroups()[0].ColumnChunks()[widest].Pages()
	defer pages.Close()
	var want []int64
	var row int64
	for {
		pg, err := pages.ReadPage()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, row)
		row += pg.NumRows()
		parquet.Release(pg)
	}
	if len(want) < 10 || !slices.Equal(got, want) {
		t.Fatalf("PageStarts(0) = %v\nwant %v (column %d)", got, want, widest)
	}
	if _, err := p.PageStarts(1); err == nil {
		t.Fatal("PageStarts of a row group past the last: no error")
	}
}

// Polars writes a dictionary-encoded chunk's dictionary page at its
// data_page_offset and leaves dictionary_page_offset unset: ranges of
// such a row group read the rows a whole read gives, from the offset
// index or from the page headers, where the index was refused as corrupt
// (its first page is not at data_page_offset) and the walk read every
// chunk whole for every range.
func TestReadRangesPolarsOffsets(t *testing.T) {
	dict := encodingFor(&parquet.RLEDictionary, allKinds...)
	opts := append([]parquet.WriterOption{parquet.Compression(&parquet.Zstd), parquet.PageBufferSize(512), parquet.MaxRowsPerRowGroup(1500)}, dict...)
	data := writeWide(t, wideRows(1500, 5), nil, opts...)
	for _, index := range []bool{true, false} {
		moved := 0
		polars := rewriteFooter(t, data, func(md *format.FileMetaData) {
			for c := range md.RowGroups[0].Columns {
				m := &md.RowGroups[0].Columns[c].MetaData
				if m.DictionaryPageOffset > 0 {
					m.DataPageOffset, m.DictionaryPageOffset = m.DictionaryPageOffset, 0
					moved++
				}
				if !index {
					md.RowGroups[0].Columns[c].OffsetIndexOffset, md.RowGroups[0].Columns[c].OffsetIndexLength = 0, 0
				}
			}
		})
		if moved == 0 {
			t.Fatal("no dictionary-encoded chunk")
		}
		p, err := sources.OpenParquet("polars", bytes.NewReader(polars), int64(len(polars)))
		if err != nil {
			t.Fatal(err)
		}
		starts, err := p.PageStarts(0)
		if err != nil || len(starts) < 2 {
			t.Errorf("offset index %v: page starts %v, %v: want the pages, which a range reads alone", index, starts, err)
		}
		readRanges(t, p)
	}
}
