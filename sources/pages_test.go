package sources_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sources"
)

// pageFile is a Parquet file of one column chunk taken apart: its footer
// and its pages.
type pageFile struct {
	md    format.FileMetaData
	pages []filePage
}

type filePage struct {
	h       format.PageHeader
	payload []byte
}

// splitPages takes data, a file of one row group of one column, apart.
func splitPages(t testing.TB, data []byte) *pageFile {
	t.Helper()
	end := len(data) - 8
	start := end - int(binary.LittleEndian.Uint32(data[end:]))
	f := new(pageFile)
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[start:end], &f.md); err != nil {
		t.Fatal(err)
	}
	if len(f.md.RowGroups) != 1 || len(f.md.RowGroups[0].Columns) != 1 {
		t.Fatalf("%d row groups, want one of one column", len(f.md.RowGroups))
	}
	m := &f.md.RowGroups[0].Columns[0].MetaData
	off := m.DataPageOffset
	if m.DictionaryPageOffset > 0 {
		off = min(off, m.DictionaryPageOffset)
	}
	var compact thrift.CompactProtocol
	for chunkEnd := off + m.TotalCompressedSize; off < chunkEnd; {
		rd := compact.NewReaderFromBytes(data[off:chunkEnd])
		var h format.PageHeader
		if err := thrift.NewDecoder(rd).Decode(&h); err != nil {
			t.Fatal(err)
		}
		body := off + int64(rd.BytesRead())
		f.pages = append(f.pages, filePage{h: h, payload: data[body : body+int64(h.CompressedPageSize)]})
		off = body + int64(h.CompressedPageSize)
	}
	return f
}

// page returns the first page of type typ.
func (f *pageFile) page(t testing.TB, typ format.PageType) *filePage {
	for i := range f.pages {
		if f.pages[i].h.Type == typ {
			return &f.pages[i]
		}
	}
	t.Fatalf("no %s page", typ)
	return nil
}

// bytes puts f together again: each page's compressed size is its
// payload's, page offsets and the chunk's compressed size follow, the
// rest of the footer stays as f has it.
func (f *pageFile) bytes(t testing.TB) []byte {
	t.Helper()
	cc := &f.md.RowGroups[0].Columns[0]
	m := &cc.MetaData
	m.DictionaryPageOffset, m.DataPageOffset = 0, 0
	out := []byte("PAR1")
	var compact thrift.CompactProtocol
	for _, p := range f.pages {
		h := p.h
		h.CompressedPageSize, h.CRC = int32(len(p.payload)), 0
		header, err := thrift.Marshal(&compact, &h)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case h.Type == format.DictionaryPage:
			m.DictionaryPageOffset = int64(len(out))
		case m.DataPageOffset == 0:
			m.DataPageOffset = int64(len(out))
		}
		out = append(append(out, header...), p.payload...)
	}
	m.TotalCompressedSize = int64(len(out)) - 4
	cc.FileOffset = 4
	cc.ColumnIndexOffset, cc.ColumnIndexLength, cc.OffsetIndexOffset, cc.OffsetIndexLength = 0, 0, 0, 0
	m.BloomFilterOffset, m.BloomFilterLength = 0, 0
	f.md.RowGroups[0].FileOffset, f.md.RowGroups[0].TotalCompressedSize = 4, m.TotalCompressedSize
	footer, err := thrift.Marshal(&compact, &f.md)
	if err != nil {
		t.Fatal(err)
	}
	out = binary.LittleEndian.AppendUint32(append(out, footer...), uint32(len(footer)))
	return append(out, "PAR1"...)
}

// int64s returns a file of one required int64 column "v" holding
// 0, ..., n-1 modulo mod in one row group.
func int64s(t *testing.T, n, mod int, opts ...parquet.WriterOption) []byte {
	rows := make([]parquet.Row, n)
	for i := range rows {
		rows[i] = parquet.Row{parquet.Int64Value(int64(i%mod)).Level(0, 0, 0)}
	}
	node := parquet.Leaf(parquet.Int64Type)
	if mod < n {
		node = parquet.Encoded(node, &parquet.RLEDictionary)
	}
	return writeOneColumn(t, node, rows, opts...)
}

// readEachWay reads row group 0 of data with ReadRowGroup, ReadBatch,
// ReadBatch over a Fetcher and ReadColumns of column 0, and returns their
// errors and the bytes each allocated.
func readEachWay(t *testing.T, name string, data []byte) (errs [4]error, allocs [4]uint64) {
	t.Helper()
	p, err := sources.OpenParquet(name, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	// The third read is a batch's over a Fetcher, as from a bucket.
	fp, err := sources.OpenParquet(name, newFetcher(data), int64(len(data)))
	if err != nil {
		t.Fatalf("open over a Fetcher: %v", err)
	}
	var before, after runtime.MemStats
	for i, read := range []func() error{
		func() error { _, err := readAllRows(t.Context(), p, 0); return err },
		func() error { _, err := p.ReadBatch(t.Context(), 0); return err },
		func() error { _, err := fp.ReadBatch(t.Context(), 0); return err },
		// The fourth is the lockstep read of a group key pass.
		func() error {
			return p.ReadColumns(t.Context(), 0, []int{0}, 1024, func([][]parquet.Value) error { return nil })
		},
	} {
		runtime.ReadMemStats(&before)
		errs[i] = read()
		runtime.ReadMemStats(&after)
		allocs[i] = after.TotalAlloc - before.TotalAlloc
	}
	return errs, allocs
}

// namesPage matches an error naming a page: by its place in the file, or
// (direct decoding's) by its number in the column chunk.
var namesPage = regexp.MustCompile(`page (at byte [0-9]+|[0-9]+:)`)

// TestPageHeaderChecks reads files whose page headers lie about sizes and
// counts the decoder allocates by: both read paths refuse them, naming
// the page, before decoding anything.
func TestPageHeaderChecks(t *testing.T) {
	small := parquet.PageBufferSize(256)
	tests := []struct {
		name  string
		data  []byte // the file
		want  error
		inErr string
		edit  func(f *pageFile)
	}{
		{name: "page above MaxPageBytes", want: sources.ErrUnsupported, inErr: "pages above 268435456 bytes are refused",
			data: int64s(t, 100, 100), edit: func(f *pageFile) {
				f.pages[0].h.UncompressedPageSize = sources.MaxPageBytes + 1
				f.md.RowGroups[0].Columns[0].MetaData.TotalUncompressedSize = sources.MaxColumnChunkBytes
			}},
		{name: "pages together above the chunk", want: sources.ErrCorrupt, inErr: "more than the column chunk's",
			data: int64s(t, 1000, 1000, small), edit: func(f *pageFile) {
				if len(f.pages) < 3 {
					t.Fatalf("%d pages", len(f.pages))
				}
				var most int32
				for _, p := range f.pages {
					most = max(most, p.h.UncompressedPageSize)
				}
				f.md.RowGroups[0].Columns[0].MetaData.TotalUncompressedSize = int64(most) + 1
			}},
		{name: "data page above MaxPageValues", want: sources.ErrUnsupported, inErr: "pages of more than 16777216 values are refused",
			data: int64s(t, 100, 100), edit: func(f *pageFile) {
				// As a page of 2^24+1 delta-encoded values would say.
				f.pages[0].h.DataPageHeaderV2.V.NumValues = sources.MaxPageValues + 1
				f.pages[0].h.DataPageHeaderV2.V.NumRows = sources.MaxPageValues + 1
				f.md.RowGroups[0].Columns[0].MetaData.NumValues = sources.MaxPageValues + 1
				f.md.RowGroups[0].NumRows = sources.MaxPageValues + 1
				f.md.NumRows = sources.MaxPageValues + 1
			}},
		{name: "dictionary of more values than bytes", want: sources.ErrCorrupt, inErr: "dictionary of 1000001 values in 80 bytes",
			data: int64s(t, 100, 10), edit: func(f *pageFile) {
				f.page(t, format.DictionaryPage).h.DictionaryPageHeader.V.NumValues = 1_000_001
			}},
		{name: "levels longer than the page", want: sources.ErrCorrupt, inErr: "bytes of levels in a page of",
			data: int64s(t, 100, 100), edit: func(f *pageFile) {
				f.pages[0].h.DataPageHeaderV2.V.DefinitionLevelsByteLength = 1 << 20
			}},
		{name: "uncompressed page's two sizes disagree", want: sources.ErrCorrupt, inErr: "uncompressed page of 800 bytes declares 792 bytes uncompressed",
			data: int64s(t, 100, 100), edit: func(f *pageFile) {
				f.pages[0].h.UncompressedPageSize -= 8
			}},
		{name: "uncompressed v1 page's two sizes disagree", want: sources.ErrCorrupt, inErr: "uncompressed page of 800 bytes declares 808 bytes uncompressed",
			data: int64s(t, 100, 100, parquet.DataPageVersion(1)), edit: func(f *pageFile) {
				f.pages[0].h.UncompressedPageSize += 8
			}},
		{name: "v2 page marked uncompressed with two sizes", want: sources.ErrCorrupt, inErr: "page of 800 bytes marked uncompressed declares 792 bytes uncompressed",
			data: int64s(t, 100, 100), edit: func(f *pageFile) {
				f.md.RowGroups[0].Columns[0].MetaData.Codec = format.Snappy
				f.pages[0].h.DataPageHeaderV2.V.IsCompressed = thrift.New(false)
				f.pages[0].h.UncompressedPageSize -= 8
			}},
		{name: "dictionary indexes short of the values", want: sources.ErrCorrupt, inErr: "dictionary indexes: 50 values of 100",
			data: int64s(t, 100, 10), edit: func(f *pageFile) {
				// Bit width 4, then one RLE run of 50 indexes 1.
				pg := f.page(t, format.DataPageV2)
				pg.payload = []byte{4, 50 << 1, 1}
				pg.h.UncompressedPageSize = int32(len(pg.payload))
			}},
		{name: "more nulls than values", want: sources.ErrCorrupt, inErr: "101 nulls among 100 values",
			data: int64s(t, 100, 100), edit: func(f *pageFile) {
				f.pages[0].h.DataPageHeaderV2.V.NumNulls = 101
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := splitPages(t, tc.data)
			tc.edit(f)
			errs, _ := readEachWay(t, "lying.parquet", f.bytes(t))
			for i, err := range errs {
				var ie *sources.InputError
				if !errors.As(err, &ie) || !errors.Is(err, tc.want) || ie.Path != "lying.parquet" || ie.RowGroup != 0 || ie.Column != "v" ||
					!strings.Contains(err.Error(), tc.inErr) || !namesPage.MatchString(err.Error()) {
					t.Errorf("read %d: err = %v, want an InputError wrapping %v naming column v and the page, saying %q", i, err, tc.want, tc.inErr)
				}
			}
		})
	}
}
