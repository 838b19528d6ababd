package sources_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sources"
)

// seedLeaf is a physical type of the columnar seeds, the encodings
// parquet-go writes it in and the value of row r.
type seedLeaf struct {
	name  string
	typ   parquet.Type
	encs  []encoding.Encoding
	value func(r int) parquet.Value
}

var seedLeaves = []seedLeaf{
	{"int32", parquet.Int32Type, []encoding.Encoding{&parquet.Plain, &parquet.RLEDictionary, &parquet.DeltaBinaryPacked, &parquet.ByteStreamSplit},
		func(r int) parquet.Value { return parquet.Int32Value(int32(r%5*1000 - r)) }},
	{"int64", parquet.Int64Type, []encoding.Encoding{&parquet.Plain, &parquet.RLEDictionary, &parquet.DeltaBinaryPacked, &parquet.ByteStreamSplit},
		func(r int) parquet.Value { return parquet.Int64Value(int64(r%4) << (r % 40)) }},
	{"float", parquet.FloatType, []encoding.Encoding{&parquet.Plain, &parquet.RLEDictionary, &parquet.ByteStreamSplit},
		func(r int) parquet.Value { return parquet.FloatValue(float32(r%6) / 4) }},
	{"double", parquet.DoubleType, []encoding.Encoding{&parquet.Plain, &parquet.RLEDictionary, &parquet.ByteStreamSplit},
		func(r int) parquet.Value { return parquet.DoubleValue(float64(r%3) * 1.5) }},
	{"bytes", parquet.ByteArrayType, []encoding.Encoding{&parquet.Plain, &parquet.RLEDictionary, &parquet.DeltaLengthByteArray, &parquet.DeltaByteArray},
		func(r int) parquet.Value { return parquet.ByteArrayValue([]byte(fmt.Sprint("key-", r%7, "-", r%2))) }},
	{"fixed", parquet.FixedLenByteArrayType(3), []encoding.Encoding{&parquet.Plain, &parquet.RLEDictionary, &parquet.DeltaByteArray, &parquet.ByteStreamSplit},
		func(r int) parquet.Value {
			return parquet.FixedLenByteArrayValue([]byte{'f', byte('0' + r%4), byte(r)})
		}},
	{"int96", parquet.Int96Type, []encoding.Encoding{&parquet.Plain, &parquet.RLEDictionary},
		func(r int) parquet.Value { return parquet.Int96Value(deprecated.Int96{uint32(r % 3), 0, 1}) }},
	{"bool", parquet.BooleanType, []encoding.Encoding{&parquet.Plain, &parquet.RLE},
		func(r int) parquet.Value { return parquet.BooleanValue(r%3 == 0) }},
}

var seedCodecs = []compress.Codec{&parquet.Uncompressed, &parquet.Snappy, &parquet.Zstd, &parquet.Gzip, &parquet.Lz4Raw, &parquet.Brotli}

// columnarSeed returns a small file of two columns of leaf in enc, "a"
// optional (every third row null) and "b" required, compressed by codec,
// in data pages of version, two row groups of a few pages each, its
// pages without checksums so that a fuzzer's changes reach the decoders.
// Files of pages v1 have no page indexes, as those of older writers.
func columnarSeed(t testing.TB, leaf seedLeaf, enc encoding.Encoding, codec compress.Codec, version int) []byte {
	t.Helper()
	node := parquet.Compressed(parquet.Encoded(parquet.Leaf(leaf.typ), enc), codec)
	schema := parquet.NewSchema("t", parquet.Group{"a": parquet.Optional(node), "b": node})
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema, parquet.DataPageVersion(version), parquet.PageBufferSize(32), parquet.MaxRowsPerRowGroup(8), parquet.SkipPageBounds("a"), parquet.SkipPageBounds("b"))
	for r := range 16 {
		a := leaf.value(r).Level(0, 1, 0)
		if r%3 == 0 {
			a = parquet.NullValue().Level(0, 0, 0)
		}
		if _, err := w.WriteRows([]parquet.Row{{a, leaf.value(r+1).Level(0, 0, 1)}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return withoutChecksums(t, buf.Bytes(), version == 2)
}

// columnarSeeds are the seeds of FuzzReadBatch: every encoding of every
// type, each in data pages v1 and v2, the codecs taken in turn.
func columnarSeeds(t testing.TB) map[string][]byte {
	seeds := make(map[string][]byte)
	i := 0
	for _, leaf := range seedLeaves {
		for _, enc := range leaf.encs {
			for version := 1; version <= 2; version++ {
				codec := seedCodecs[i%len(seedCodecs)]
				i++
				name := fmt.Sprintf("%s-%s-v%d-%s", leaf.name, enc, version, codec)
				seeds[name] = columnarSeed(t, leaf, enc, codec, version)
			}
		}
	}
	return seeds
}

// withoutChecksums returns data, a Parquet file, with its page headers
// written again without their CRC and the offsets of the footer and the
// offset indexes moved to match; the page indexes are kept if indexes,
// else dropped, and bloom filters dropped.
func withoutChecksums(t testing.TB, data []byte, indexes bool) []byte {
	t.Helper()
	var compact thrift.CompactProtocol
	end := len(data) - 8
	start := end - int(binary.LittleEndian.Uint32(data[end:]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(&compact, data[start:end], &md); err != nil {
		t.Fatal(err)
	}
	out := []byte("PAR1")
	moved := make(map[int64]int64) // page offsets, old to new
	for g := range md.RowGroups {
		rg := &md.RowGroups[g]
		rg.FileOffset, rg.TotalCompressedSize = int64(len(out)), 0
		for c := range rg.Columns {
			m := &rg.Columns[c].MetaData
			off := m.DataPageOffset
			if m.DictionaryPageOffset > 0 {
				off = min(off, m.DictionaryPageOffset)
			}
			first := int64(len(out))
			for chunkEnd := off + m.TotalCompressedSize; off < chunkEnd; {
				rd := compact.NewReaderFromBytes(data[off:chunkEnd])
				var h format.PageHeader
				if err := thrift.NewDecoder(rd).Decode(&h); err != nil {
					t.Fatal(err)
				}
				body := off + int64(rd.BytesRead())
				h.CRC = 0
				header, err := thrift.Marshal(&compact, &h)
				if err != nil {
					t.Fatal(err)
				}
				moved[off] = int64(len(out))
				out = append(append(out, header...), data[body:body+int64(h.CompressedPageSize)]...)
				off = body + int64(h.CompressedPageSize)
			}
			if m.DictionaryPageOffset > 0 {
				m.DictionaryPageOffset = moved[m.DictionaryPageOffset]
			}
			m.DataPageOffset = moved[m.DataPageOffset]
			m.TotalCompressedSize = int64(len(out)) - first
			m.BloomFilterOffset, m.BloomFilterLength = 0, 0
			if cc := &rg.Columns[c]; !indexes {
				cc.ColumnIndexOffset, cc.ColumnIndexLength, cc.OffsetIndexOffset, cc.OffsetIndexLength = 0, 0, 0, 0
			}
			rg.Columns[c].FileOffset = first
			rg.TotalCompressedSize += m.TotalCompressedSize
		}
	}
	// The column indexes, then the offset indexes, as parquet-go reads
	// them: each kind in one read.
	for g := range md.RowGroups {
		for c := range md.RowGroups[g].Columns {
			if cc := &md.RowGroups[g].Columns[c]; cc.ColumnIndexLength > 0 {
				index := data[cc.ColumnIndexOffset : cc.ColumnIndexOffset+int64(cc.ColumnIndexLength)]
				cc.ColumnIndexOffset = int64(len(out))
				out = append(out, index...)
			}
		}
	}
	for g := range md.RowGroups {
		for c := range md.RowGroups[g].Columns {
			cc := &md.RowGroups[g].Columns[c]
			if cc.OffsetIndexLength == 0 {
				continue
			}
			var oi format.OffsetIndex
			if err := thrift.Unmarshal(&compact, data[cc.OffsetIndexOffset:cc.OffsetIndexOffset+int64(cc.OffsetIndexLength)], &oi); err != nil {
				t.Fatal(err)
			}
			for i := range oi.PageLocations {
				loc := &oi.PageLocations[i]
				next := cc.FileOffset + cc.MetaData.TotalCompressedSize
				if i+1 < len(oi.PageLocations) {
					next = moved[oi.PageLocations[i+1].Offset]
				}
				loc.Offset = moved[loc.Offset]
				loc.CompressedPageSize = int32(next - loc.Offset)
			}
			index, err := thrift.Marshal(&compact, &oi)
			if err != nil {
				t.Fatal(err)
			}
			cc.OffsetIndexOffset, cc.OffsetIndexLength = int64(len(out)), int32(len(index))
			out = append(out, index...)
		}
	}
	footer, err := thrift.Marshal(&compact, &md)
	if err != nil {
		t.Fatal(err)
	}
	out = binary.LittleEndian.AppendUint32(append(out, footer...), uint32(len(footer)))
	return append(out, "PAR1"...)
}

// TestColumnarSeeds checks FuzzReadBatch's seeds: each opens, holds
// several pages, reads the same both ways and, but for booleans, is
// decoded directly.
func TestColumnarSeeds(t *testing.T) {
	for name, data := range columnarSeeds(t) {
		t.Run(name, func(t *testing.T) {
			if len(data) > 2500 {
				t.Errorf("seed of %d bytes, want a small one", len(data))
			}
			p, err := sources.OpenParquet(name, bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if p.NumRowGroups() != 2 {
				t.Errorf("%d row groups, want 2", p.NumRowGroups())
			}
			if starts, err := p.PageStarts(0); err != nil || len(starts) < 2 {
				t.Errorf("PageStarts = %v, %v: want several pages", starts, err)
			}
			direct, _ := sources.DirectChunks()
			for rg := range p.NumRowGroups() {
				if got, err := compareRowGroup(t, p, rg); got != bothRead {
					t.Errorf("row group %d: %v", rg, err)
				}
			}
			after, _ := sources.DirectChunks()
			// FIXED_LEN_BYTE_ARRAY in DELTA_BYTE_ARRAY goes to parquet-go.
			if wantDirect := !strings.HasPrefix(name, "bool-") && !strings.HasPrefix(name, "fixed-DELTA_BYTE_ARRAY"); (after > direct) != wantDirect {
				t.Errorf("%d chunks decoded directly, want some: %v", after-direct, wantDirect)
			}
			readUnits(t, p)
			// FuzzReadBatch's reads over a Fetcher decode as many chunks
			// directly, through the windows.
			for _, window := range []int64{sources.FetchWindow, 100} {
				before, _ := sources.DirectChunks()
				fetchedBatches(t, p, data, window)
				if got, _ := sources.DirectChunks(); (got > before) != (after > direct) {
					t.Errorf("window %d: %d chunks decoded directly over a Fetcher, from a ReaderAt %d", window, got-before, after-direct)
				}
			}
		})
	}
}

// FuzzReadBatch feeds damaged Parquet files of flat schemas to the
// columnar decoder the split reads with: whole row groups, and units cut
// at page starts sharing their dictionaries. A file may be refused, but
// only with an InputError naming it, and what the decoder reads must be
// what parquet-go's rows hold.
func FuzzReadBatch(f *testing.F) {
	seeds := columnarSeeds(f)
	for _, name := range slices.Sorted(maps.Keys(seeds)) {
		f.Add(seeds[name])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := sources.OpenParquet("fuzz.parquet", bytes.NewReader(b), int64(len(b)))
		if err != nil {
			var ie *sources.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("open: error is not an InputError: %v", err)
			}
			return
		}
		if p.NumRows() > 1<<16 {
			return // see FuzzOpenAndRead
		}
		for _, c := range p.Columns() {
			if c.UncompressedBytes > 1<<20 {
				return
			}
		}
		for rg := range p.NumRowGroups() {
			compareLenient(t, p, rg)
			compareLockstep(t, p, rg)
		}
		readUnits(t, p)
		// Over a Fetcher, as from a bucket, the pages are read through
		// the fetch windows and decoded directly as a local file's: in
		// windows holding whole chunks, and in windows smaller than a
		// page, refilled as the decoder moves on, the headers checked
		// by requests of their own.
		for _, window := range []int64{sources.FetchWindow, 100} {
			fetchedBatches(t, p, b, window)
		}
	})
}

// fetchedBatches reads the row groups of p, whose file is b, over a
// Fetcher with windows of at most window bytes, whole and as units: a
// row group may be refused only with an InputError, and must hold what p
// reads when both read.
func fetchedBatches(t *testing.T, p *sources.Parquet, b []byte, window int64) {
	t.Helper()
	defer sources.SetFetchWindow(window)()
	fp, err := sources.OpenParquet("fuzz.parquet", newFetcher(b), int64(len(b)))
	if err != nil {
		t.Fatalf("opens as a ReaderAt, not over a Fetcher: %v", err)
	}
	for rg := range fp.NumRowGroups() {
		got, err := fp.ReadBatch(t.Context(), rg)
		var ie *sources.InputError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("row group %d over a Fetcher (window %d): error is not an InputError: %v", rg, window, err)
		}
		if want, werr := p.ReadBatch(t.Context(), rg); err == nil && werr == nil {
			if got.Len != want.Len {
				t.Fatalf("row group %d: %d rows over a Fetcher (window %d), %d from a ReaderAt", rg, got.Len, window, want.Len)
			}
			compareBatches(t, rg, 0, got, want)
		}
	}
	readUnits(t, fp)
}

// compareLenient is compareRowGroup but for two things a batch may read
// that parquet-go's rows refuse: a bit-packed run of levels or indexes
// whose last group ends short of its bytes, as writers may end a page,
// read by the direct decoder if the values used are there ("unexpected
// EOF"); and damage outside the column chunks' pages (a column index the
// row reader decodes), when parquet-go reads every column's pages alone.
func compareLenient(t *testing.T, p *sources.Parquet, rg int) {
	t.Helper()
	_, rowErr := readAllRows(t.Context(), p, rg)
	if rowErr != nil && (strings.Contains(rowErr.Error(), "unexpected EOF") || columnsRead(t, p, rg)) {
		if _, err := p.ReadBatch(t.Context(), rg); err != nil {
			var ie *sources.InputError
			if !errors.As(err, &ie) || ie.Path != p.Name() || ie.RowGroup != rg {
				t.Fatalf("row group %d: ReadBatch error %v is not an InputError naming the file and row group", rg, err)
			}
		}
		return
	}
	compareRowGroup(t, p, rg)
}

// columnsRead reports whether every column of row group rg reads alone
// through parquet-go's pages (ReadColumn).
func columnsRead(t *testing.T, p *sources.Parquet, rg int) bool {
	for c := range p.Columns() {
		if err := p.ReadColumn(t.Context(), rg, c, 64, func([]parquet.Value) error { return nil }); err != nil {
			return false
		}
	}
	return true
}

// readUnits reads each row group of p as the split's units would: cut at
// its page starts (at most 4 units), their dictionaries shared, into a
// reused batch. A unit read must hold the rows of the whole row group's
// batch at its places (if that is read), or be refused with an
// InputError.
func readUnits(t *testing.T, p *sources.Parquet) {
	t.Helper()
	var reuse *columnar.Batch
	for rg := range p.NumRowGroups() {
		whole, wholeErr := p.ReadBatch(t.Context(), rg)
		starts, err := p.PageStarts(rg)
		var ie *sources.InputError
		if err != nil && !errors.As(err, &ie) {
			t.Fatalf("row group %d: PageStarts error is not an InputError: %v", rg, err)
		}
		n := p.RowGroupNumRows(rg)
		cuts := []int64{0}
		for _, s := range starts {
			if s > cuts[len(cuts)-1] && s < n && len(cuts) < 4 {
				cuts = append(cuts, s)
			}
		}
		cuts = append(cuts, n)
		p.ShareDictionaries(rg, len(cuts)-1)
		for u := range len(cuts) - 1 {
			first, count := cuts[u], cuts[u+1]-cuts[u]
			got, err := p.ReadBatchRangeInto(t.Context(), rg, first, count, reuse)
			if err != nil {
				if !errors.As(err, &ie) || ie.Path != p.Name() || ie.RowGroup != rg {
					t.Fatalf("row group %d, rows [%d, %d): error is not an InputError naming the file and row group: %v", rg, first, first+count, err)
				}
				continue
			}
			reuse = got
			if got.Len != int(count) {
				t.Fatalf("row group %d, rows [%d, %d): %d rows", rg, first, first+count, got.Len)
			}
			// A unit reads only the pages holding its rows: it may
			// read rows whose row group holds a damaged page.
			if wholeErr == nil {
				compareBatches(t, rg, int(first), got, whole)
			}
		}
	}
}

// compareBatches fails t unless got holds the rows of want from first on.
func compareBatches(t *testing.T, rg, first int, got, want *columnar.Batch) {
	t.Helper()
	if len(got.Cols) != len(want.Cols) || first+got.Len > want.Len {
		t.Fatalf("row group %d: %d rows of %d columns from row %d, want at most %d of %d", rg, got.Len, len(got.Cols), first, want.Len-first, len(want.Cols))
	}
	for r := range got.Len {
		for c := range got.Cols {
			if g, w := got.Value(c, r), want.Value(c, first+r); !sameValue(g, w) {
				t.Fatalf("row group %d, row %d, column %d: %v, want %v", rg, first+r, c, g, w)
			}
		}
	}
}

// compareLockstep reads every column of row group rg in lockstep
// (ReadColumns, the group key pass's read), if none is repeated: it may refuse the row group
// only with an InputError naming the file and row group, and must read
// what parquet-go's rows hold when they read.
func compareLockstep(t *testing.T, p *sources.Parquet, rg int) {
	t.Helper()
	var cols []int
	for _, path := range p.Schema().Columns() {
		leaf, ok := p.Schema().Lookup(path...)
		if !ok || leaf.MaxRepetitionLevel > 0 {
			return // ReadColumns takes flat columns only
		}
		cols = append(cols, leaf.ColumnIndex)
	}
	if len(cols) != len(p.Columns()) {
		return
	}
	slices.Sort(cols)
	rows, rowErr := readAllRows(t.Context(), p, rg)
	k := 0
	err := p.ReadColumns(t.Context(), rg, cols, 7, func(values [][]parquet.Value) error {
		for r := range values[0] {
			for c := range values {
				if rowErr != nil || k >= len(rows) {
					continue
				}
				a, b := rows[k][c], values[c][r]
				if a.IsNull() != b.IsNull() || !a.IsNull() && (a.Kind() != b.Kind() || !bytes.Equal(a.Bytes(), b.Bytes())) {
					t.Fatalf("row group %d, row %d, column %d: ReadColumns read %v, the row holds %v", rg, k, c, b, a)
				}
			}
			k++
		}
		return nil
	})
	if err != nil {
		var ie *sources.InputError
		if !errors.As(err, &ie) || ie.Path != p.Name() || ie.RowGroup != rg {
			t.Fatalf("row group %d: ReadColumns error %v is not an InputError naming the file and row group", rg, err)
		}
		return
	}
	if rowErr == nil && k != len(rows) {
		t.Fatalf("row group %d: ReadColumns read %d rows, the rows are %d", rg, k, len(rows))
	}
}
