package sources_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sources"
)

// fetcher is a file in memory read as from a bucket: it counts the bytes
// asked for through ReadAt and through FetchAt.
type fetcher struct {
	r              *bytes.Reader
	read, fetched  atomic.Int64
	reads, fetches atomic.Int64
}

func newFetcher(data []byte) *fetcher { return &fetcher{r: bytes.NewReader(data)} }

func (f *fetcher) ReadAt(p []byte, off int64) (int, error) {
	f.read.Add(int64(len(p)))
	f.reads.Add(1)
	return f.r.ReadAt(p, off)
}

func (f *fetcher) FetchAt(p []byte, off int64) (int, error) {
	f.fetched.Add(int64(len(p)))
	f.fetches.Add(1)
	return f.r.ReadAt(p, off)
}

// Over a Fetcher, batches hold the rows they hold over a plain reader,
// whole row groups and ranges, with the column chunks' bytes fetched once
// each and nothing else of them read: for windows larger than the chunks
// and for windows smaller than a page, which refill as the decoder moves
// on and leave the headers' checks to requests of their own. The chunks
// decoded directly from a local file (all but booleans and
// FIXED_LEN_BYTE_ARRAYs in DELTA_BYTE_ARRAY) are decoded directly
// through their windows: dictionary, plain and delta encodings, data pages
// v1 and v2.
func TestFetcherReads(t *testing.T) {
	small := parquet.PageBufferSize(1024)
	files := []struct {
		name string
		opts []parquet.WriterOption
	}{
		{"dictionary v2", append(encodingFor(&parquet.RLEDictionary, allKinds...), small)},
		{"dictionary v1 zstd", append(encodingFor(&parquet.RLEDictionary, allKinds...), small, parquet.DataPageVersion(1), parquet.Compression(&parquet.Zstd))},
		{"plain v1 snappy", []parquet.WriterOption{small, parquet.DataPageVersion(1), parquet.Compression(&parquet.Snappy)}},
		{"delta v2", append(append(append(
			encodingFor(&parquet.DeltaBinaryPacked, parquet.Int32, parquet.Int64),
			encodingFor(&parquet.DeltaLengthByteArray, parquet.ByteArray)...),
			encodingFor(&parquet.ByteStreamSplit, parquet.Float, parquet.Double)...), small)},
		{"delta byte arrays v1", append(encodingFor(&parquet.DeltaByteArray, parquet.ByteArray, parquet.FixedLenByteArray), small, parquet.DataPageVersion(1))},
	}
	for _, file := range files {
		t.Run(file.name, func(t *testing.T) {
			data := writeWide(t, wideRows(3000, 4), nil, append(file.opts, parquet.MaxRowsPerRowGroup(1000))...)
			for _, window := range []int64{sources.FetchWindow, 2048, 700} {
				t.Run("window "+itoa(int(window)), func(t *testing.T) { fetcherReads(t, data, window) })
			}
		})
	}
}

// fetcherReads is TestFetcherReads for one file and window.
func fetcherReads(t *testing.T, data []byte, window int64) {
	plain, err := sources.OpenParquet("plain", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var chunkBytes int64
	for _, rg := range pf.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			chunkBytes += cc.MetaData.TotalCompressedSize
		}
	}
	defer sources.SetFetchWindow(window)()
	f := newFetcher(data)
	p, err := sources.OpenParquet("fetched", f, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if p.NumRowGroups() < 3 {
		t.Fatalf("%d row groups, want 3", p.NumRowGroups())
	}
	readBefore := f.read.Load()
	var reuse *columnar.Batch
	for i := range p.NumRowGroups() {
		var want, got *columnar.Batch
		same := sameDirect(t, func() (err error) { want, err = plain.ReadBatch(t.Context(), i); return err },
			func() (err error) { got, err = p.ReadBatchInto(t.Context(), i, reuse); return err })
		if !same {
			t.Errorf("row group %d: not decoded directly as from a local file", i)
		}
		sameBatch(t, want, got)
		reuse = got
	}
	if window == sources.FetchWindow {
		if got := f.fetched.Load(); got != chunkBytes {
			t.Errorf("fetched %d bytes for column chunks of %d", got, chunkBytes)
		}
		if got := f.read.Load() - readBefore; got != 0 {
			t.Errorf("read %d bytes besides the fetches", got)
		}
	}
	for i := range p.NumRowGroups() {
		for _, r := range [][2]int64{{0, 1}, {1, 998}, {333, 334}, {999, 1}} {
			var want, got *columnar.Batch
			same := sameDirect(t, func() (err error) { want, err = plain.ReadBatchRangeInto(t.Context(), i, r[0], r[1], nil); return err },
				func() (err error) { got, err = p.ReadBatchRangeInto(t.Context(), i, r[0], r[1], nil); return err })
			if !same {
				t.Errorf("row group %d rows [%d, %d): not decoded directly as from a local file", i, r[0], r[0]+r[1])
			}
			sameBatch(t, want, got)
		}
	}
	t.Logf("window %d: %d bytes fetched in %d requests, %d read in %d, file of %d", window, f.fetched.Load(), f.fetches.Load(), f.read.Load(), f.reads.Load(), len(data))
}

// sameDirect runs local then fetched, each a read of the same batch, and
// reports whether they decoded as many chunks directly and left as many
// to parquet-go, some directly.
func sameDirect(t *testing.T, local, fetched func() error) bool {
	t.Helper()
	d0, l0 := sources.DirectChunks()
	if err := local(); err != nil {
		t.Fatal(err)
	}
	d1, l1 := sources.DirectChunks()
	if err := fetched(); err != nil {
		t.Fatal(err)
	}
	d2, l2 := sources.DirectChunks()
	return d1 > d0 && d2-d1 == d1-d0 && l2-l1 == l1-l0
}

// sameBatch fails unless a and b hold the same columns.
func sameBatch(t *testing.T, a, b *columnar.Batch) {
	t.Helper()
	if a.Len != b.Len || len(a.Cols) != len(b.Cols) {
		t.Fatalf("batch of %d rows and %d columns, want %d and %d", b.Len, len(b.Cols), a.Len, len(a.Cols))
	}
	for c := range a.Cols {
		x, y := &a.Cols[c], &b.Cols[c]
		if !bytes.Equal(x.Defs, y.Defs) || !bytes.Equal(x.Fixed, y.Fixed) || !bytes.Equal(x.Bytes, y.Bytes) || len(x.Offsets) != len(y.Offsets) {
			t.Fatalf("column %d differs", c)
		}
		for k := range x.Offsets {
			if x.Offsets[k] != y.Offsets[k] {
				t.Fatalf("column %d offset %d differs", c, k)
			}
		}
	}
}

// A file cut short, read over a Fetcher, is an InputError naming it.
func TestFetcherTruncated(t *testing.T) {
	data := writeWide(t, wideRows(2000, 4), nil, parquet.PageBufferSize(1024), parquet.MaxRowsPerRowGroup(1000))
	p, err := sources.OpenParquet("cut.parquet", newFetcher(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	// The footer was read whole; now the pages are gone.
	cut := &cutFetcher{fetcher: newFetcher(data), at: int64(len(data)) / 3}
	p2, err := sources.OpenParquet("cut.parquet", cut, int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ReadBatch(t.Context(), 0); err != nil {
		t.Fatal(err)
	}
	_, err = p2.ReadBatch(t.Context(), 1)
	var ie *sources.InputError
	if !errors.As(err, &ie) || ie.Path != "cut.parquet" {
		t.Errorf("err = %v, want an InputError naming cut.parquet", err)
	}
}

// cutFetcher fails every FetchAt at or past at, as an object truncated
// after it was opened.
type cutFetcher struct {
	*fetcher
	at int64
}

func (f *cutFetcher) FetchAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.at {
		return 0, io.ErrUnexpectedEOF
	}
	return f.fetcher.FetchAt(p, off)
}

// largeRow is a row of TestFetcherLargeChunk's file.
type largeRow struct {
	I int64  `parquet:"i"`
	S string `parquet:"s"`
}

// A column chunk larger than its window is read through it as it is
// refilled, its page headers checked first by requests of their own: each
// page's body is fetched once, with the bytes of its header checked (up
// to 4 KiB) besides. Decoded by parquet-go, the pages that
// checkDecoderPages checks were fetched twice.
func TestFetcherLargeChunk(t *testing.T) {
	rows := make([]largeRow, 60000)
	for r := range rows {
		rows[r] = largeRow{I: int64(r) * 7919, S: fmt.Sprintf("value %d of a column larger than its window", r*31)}
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[largeRow](&buf, parquet.PageBufferSize(32<<10), parquet.Compression(&parquet.Uncompressed))
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	const window = 128 << 10
	pf, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var chunkBytes, pages int64
	for c, cc := range pf.Metadata().RowGroups[0].Columns {
		if cc.MetaData.TotalCompressedSize <= window {
			t.Fatalf("chunk of %d bytes, want more than the window's %d", cc.MetaData.TotalCompressedSize, window)
		}
		chunkBytes += cc.MetaData.TotalCompressedSize
		index, err := pf.RowGroups()[0].ColumnChunks()[c].OffsetIndex()
		if err != nil {
			t.Fatal(err)
		}
		pages += int64(index.NumPages())
	}
	plain, err := sources.OpenParquet("plain", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	want, err := plain.ReadBatch(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sources.SetFetchWindow(window)()
	for _, direct := range []bool{true, false} {
		t.Run(fmt.Sprint("direct ", direct), func(t *testing.T) {
			defer sources.SetDirectOff(!direct)()
			f := newFetcher(data)
			p, err := sources.OpenParquet("fetched", f, int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			fetched, fetches := f.fetched.Load(), f.fetches.Load()
			got, err := p.ReadBatch(t.Context(), 0)
			if err != nil {
				t.Fatal(err)
			}
			sameBatch(t, want, got)
			fetched, fetches = f.fetched.Load()-fetched, f.fetches.Load()-fetches
			t.Logf("chunks of %d bytes in %d pages: fetched %d bytes (%.2fx) in %d requests", chunkBytes, pages, fetched, float64(fetched)/float64(chunkBytes), fetches)
			if most := chunkBytes + pages*4<<10; direct && fetched > most {
				t.Errorf("fetched %d bytes, more than the chunks' %d and 4 KiB per page header", fetched, chunkBytes)
			}
		})
	}
}
