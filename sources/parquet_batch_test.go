package sources_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/internal/rowcheck"
	"github.com/splitdata/splitdata/sources"
)

// parquetTestingDir is the Apache parquet-testing corpus that ships in the
// repository's testdata/.
var parquetTestingDir = filepath.Join("..", "testdata", "parquet-testing")

// readAllRows returns the rows of row group i as ReadRowGroup yields them,
// cloned out of its borrowed buffers.
func readAllRows(ctx context.Context, p *sources.Parquet, i int) ([]parquet.Row, error) {
	var rows []parquet.Row
	err := p.ReadRowGroup(ctx, i, 97, func(batch []parquet.Row) error {
		for _, r := range batch {
			rows = append(rows, r.Clone())
		}
		return nil
	})
	return rows, err
}

// sameValue reports whether the batch's value got equals the row path's
// want: kind, nullness, levels, column and value bytes. Bytes rather than
// parquet.Equal, so that NaNs compare equal to themselves.
func sameValue(got, want parquet.Value) bool {
	if got.Kind() != want.Kind() || got.IsNull() != want.IsNull() ||
		got.DefinitionLevel() != want.DefinitionLevel() || got.RepetitionLevel() != want.RepetitionLevel() ||
		got.Column() != want.Column() {
		return false
	}
	return got.IsNull() || bytes.Equal(got.Bytes(), want.Bytes())
}

// compareBatch fails t unless b holds exactly rows, value for value.
func compareBatch(t *testing.T, rg int, rows []parquet.Row, b *columnar.Batch) {
	t.Helper()
	if b.Len != len(rows) {
		t.Fatalf("row group %d: batch of %d rows, the row path read %d", rg, b.Len, len(rows))
	}
	for _, col := range b.Cols {
		if n := col.Rows(); n != b.Len {
			t.Fatalf("row group %d: a %v column holds %d rows in a batch of %d", rg, col.Kind, n, b.Len)
		}
	}
	bad := 0
	for r, row := range rows {
		if len(row) != len(b.Cols) {
			t.Fatalf("row group %d, row %d: %d values for %d columns", rg, r, len(row), len(b.Cols))
		}
		for c, want := range row {
			if got := b.Value(c, r); !sameValue(got, want) {
				t.Errorf("row group %d, row %d, column %d: batch %v (kind %v, def %d), row path %v (kind %v, def %d)",
					rg, r, c, got, got.Kind(), got.DefinitionLevel(), want, want.Kind(), want.DefinitionLevel())
				if bad++; bad == 10 {
					t.FailNow()
				}
			}
		}
	}
}

// outcome is what reading one row group both ways gave.
type outcome int

const (
	bothRead     outcome = iota // same rows both ways
	bothRefused                 // an error both ways
	onlyRowsRead                // ReadBatch refused what ReadRowGroup read
)

// compareRowGroup reads row group i of p both ways. It fails t when
// ReadBatch returns rows ReadRowGroup refuses, rows that differ, or an
// error that is not an InputError naming the file and row group.
func compareRowGroup(t *testing.T, p *sources.Parquet, i int) (outcome, error) {
	t.Helper()
	rows, rowErr := readAllRows(t.Context(), p, i)
	b, err := p.ReadBatch(t.Context(), i)
	if err != nil {
		var ie *sources.InputError
		if !errors.As(err, &ie) || ie.Path != p.Name() || ie.RowGroup != i {
			t.Fatalf("row group %d: ReadBatch error %v is not an InputError naming %s and the row group", i, err, p.Name())
		}
		if !errors.Is(err, sources.ErrCorrupt) && !errors.Is(err, sources.ErrUnsupported) {
			t.Fatalf("row group %d: ReadBatch error %v wraps neither ErrCorrupt nor ErrUnsupported", i, err)
		}
		if rowErr != nil {
			return bothRefused, err
		}
		return onlyRowsRead, err
	}
	if rowErr != nil {
		t.Fatalf("row group %d: ReadBatch read %d rows that ReadRowGroup refuses: %v", i, b.Len, rowErr)
	}
	compareBatch(t, i, rows, b)
	return bothRead, nil
}

// compareFile reads every row group of the Parquet data both ways and
// requires identical rows. ReadBatch may refuse a row group only when
// ReadRowGroup does, or with an error containing stricter when that is not
// empty ("*" for any error). Files whose schema Layout refuses (repeated
// fields) must be refused by ReadBatch too, and are not compared.
func compareFile(t *testing.T, name string, data []byte, stricter string) {
	t.Helper()
	p, err := sources.OpenParquet(name, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Skipf("does not open: %v", err)
	}
	if _, err := p.Layout(); err != nil {
		// Refused: a schema with repeated fields, or one with a column
		// of a type batches cannot hold. ReadBatch must refuse it too,
		// unless the page headers already are.
		if !errors.Is(err, sources.ErrUnsupported) {
			t.Fatalf("Layout: %v does not wrap ErrUnsupported", err)
		}
		for i := range p.NumRowGroups() {
			if _, err := p.ReadBatch(t.Context(), i); err == nil {
				t.Fatalf("ReadBatch of row group %d read what Layout refuses", i)
			}
		}
		t.Skipf("Layout refuses it: %v", err)
	}
	for i := range p.NumRowGroups() {
		switch got, err := compareRowGroup(t, p, i); got {
		case onlyRowsRead:
			if stricter == "" || stricter != "*" && !strings.Contains(err.Error(), stricter) {
				t.Fatalf("row group %d: ReadBatch refuses what ReadRowGroup reads: %v", i, err)
			}
			t.Logf("row group %d: ReadBatch refuses what ReadRowGroup reads: %v", i, err)
		case bothRefused:
			t.Logf("row group %d: refused both ways: %v", i, err)
		}
	}
}

// corpusFiles returns the paths of the files under dir in parquet-testing,
// sorted, and fails t when there are none: a clone without the corpus must
// not pass by skipping its tests.
func corpusFiles(t *testing.T, dir string) []string {
	t.Helper()
	root := filepath.Join(parquetTestingDir, dir)
	var paths []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.Contains(d.Name(), ".parquet") {
			paths = append(paths, path)
		}
		return nil
	})
	if err != nil || len(paths) == 0 {
		t.Fatalf("parquet-testing corpus missing at %s (it ships in testdata/parquet-testing): %v", root, err)
	}
	return paths
}

// TestReadBatchParquetTesting reads every file of parquet-testing's data
// directory that opens and has no repeated fields both ways.
func TestReadBatchParquetTesting(t *testing.T) {
	for _, path := range corpusFiles(t, "data") {
		t.Run(strings.TrimPrefix(path, parquetTestingDir+string(filepath.Separator)), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			compareFile(t, path, data, stricterThanRows[filepath.Base(path)])
		})
	}
}

// stricterThanRows are the corpus files ReadBatch refuses although
// ReadRowGroup reads them, with what ReadBatch's error must say.
var stricterThanRows = map[string]string{
	// The dictionary page's CRC does not match. ReadBatch reads the
	// chunk from its first page, through parquet-go's FilePages.ReadPage,
	// which checks it; the row reader seeks to the first data page and
	// has the dictionary read on demand by FilePages.readDictionary, which
	// does not check CRCs (parquet-go v0.32.0, file.go).
	"rle-dict-uncompressed-corrupt-checksum.parquet": "crc32 checksum mismatch",
}

// TestReadBatchBadData feeds parquet-testing's deliberately broken files to
// ReadBatch: each must be refused with an InputError, or read as
// ReadRowGroup reads it, and never panic.
func TestReadBatchBadData(t *testing.T) {
	for _, path := range corpusFiles(t, "bad_data") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			compareFile(t, path, data, "*")
		})
	}
}

// TestReadBatchGendata reads a generated dataset both ways.
func TestReadBatchGendata(t *testing.T) {
	dir := t.TempDir()
	paths, err := gendata.Write(t.Context(), dir, gendata.Config{Rows: 25_000, Files: 2, RowGroupRows: 4_000, Seed: 7, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			compareFile(t, path, data, "")
		})
	}
}

// wideRow has a required and an optional column of every physical kind,
// logical types with their own page types (UUID, unsigned), an optional
// group nesting another (definition levels up to 3) and a column that is
// always null. Some optional columns are null over a long run of rows, so
// that small pages hold only nulls.
type wideRow struct {
	B     bool              `parquet:"b"`
	OB    *bool             `parquet:"ob,optional"`
	I32   int32             `parquet:"i32"`
	OI32  *int32            `parquet:"oi32,optional"`
	I64   int64             `parquet:"i64"`
	OI64  *int64            `parquet:"oi64,optional"`
	I96   deprecated.Int96  `parquet:"i96"`
	OI96  *deprecated.Int96 `parquet:"oi96,optional"`
	F32   float32           `parquet:"f32"`
	OF32  *float32          `parquet:"of32,optional"`
	F64   float64           `parquet:"f64"`
	OF64  *float64          `parquet:"of64,optional"`
	S     string            `parquet:"s"`
	OS    *string           `parquet:"os,optional"`
	FL3   [3]byte           `parquet:"fl3"`
	OFL20 *[20]byte         `parquet:"ofl20,optional"`
	U     [16]byte          `parquet:"u,uuid"`
	OU    *[16]byte         `parquet:"ou,optional"`
	U32   uint32            `parquet:"u32"`
	Nest  *nestedGroup      `parquet:"nest,optional"`
	Null  *int64            `parquet:"null,optional"`
}

// nestedGroup is wideRow's optional group.
type nestedGroup struct {
	A    *int64     `parquet:"a,optional"`
	Name string     `parquet:"name"`
	Deep *deepGroup `parquet:"deep,optional"`
}

// deepGroup is nested in nestedGroup.
type deepGroup struct {
	X *float64 `parquet:"x,optional"`
	Y float32  `parquet:"y"`
}

// wideRows returns n rows of pseudo-random values from seed; values repeat
// enough for dictionaries to pay, and rows [n/3, n/2) are null in every
// optional column.
func wideRows(n int, seed uint64) []wideRow {
	rng := rand.New(rand.NewPCG(seed, 1))
	rows := make([]wideRow, n)
	for r := range rows {
		w := &rows[r]
		nullRun := r >= n/3 && r < n/2
		null := func() bool { return nullRun || rng.IntN(4) == 0 }
		w.B = rng.IntN(2) == 0
		w.I32 = int32(rng.IntN(100)) - 50
		w.I64 = rng.Int64()
		w.I96 = deprecated.Int96{rng.Uint32(), rng.Uint32(), uint32(rng.IntN(3))}
		w.F32 = float32(rng.IntN(40)) / 8
		w.F64 = rng.NormFloat64()
		if r%97 == 0 {
			w.F64 = math.NaN()
		}
		w.S = strings.Repeat("ab", rng.IntN(5)) + fmt.Sprint(rng.IntN(30))
		if r%13 == 0 {
			w.S = ""
		}
		copy(w.FL3[:], fmt.Sprintf("%03d", rng.IntN(1000)))
		binary.LittleEndian.PutUint64(w.U[:], rng.Uint64())
		w.U32 = rng.Uint32()
		if !null() {
			w.OB = new(rng.IntN(3) == 0)
		}
		if !null() {
			w.OI32 = new(int32(rng.IntN(7)))
		}
		if !null() {
			w.OI64 = new(rng.Int64N(1 << 40))
		}
		if !null() {
			w.OI96 = &deprecated.Int96{uint32(r), 0, uint32(rng.IntN(5))}
		}
		if !null() {
			w.OF32 = new(rng.Float32())
		}
		if !null() {
			w.OF64 = new(float64(rng.IntN(10)))
		}
		if !null() {
			w.OS = new(fmt.Sprintf("value %d", rng.IntN(400)))
		}
		if !null() {
			var b [20]byte
			copy(b[:], fmt.Sprintf("fixed-%d", rng.IntN(9)))
			w.OFL20 = &b
		}
		if !null() {
			var u [16]byte
			binary.BigEndian.PutUint64(u[8:], uint64(rng.IntN(20)))
			w.OU = &u
		}
		if !null() {
			g := &nestedGroup{Name: fmt.Sprint("n", rng.IntN(6))}
			if rng.IntN(3) > 0 {
				g.A = new(int64(rng.IntN(50)))
			}
			if rng.IntN(3) > 0 {
				g.Deep = &deepGroup{Y: float32(rng.IntN(4))}
				if rng.IntN(3) > 0 {
					g.Deep.X = new(float64(r))
				}
			}
			w.Nest = g
		}
	}
	return rows
}

// allKinds are the physical kinds, for writer options that set an
// encoding for every kind.
var allKinds = []parquet.Kind{
	parquet.Boolean, parquet.Int32, parquet.Int64, parquet.Int96,
	parquet.Float, parquet.Double, parquet.ByteArray, parquet.FixedLenByteArray,
}

// encodingFor sets enc for every kind it can encode.
func encodingFor(enc encoding.Encoding, kinds ...parquet.Kind) []parquet.WriterOption {
	var opts []parquet.WriterOption
	for _, k := range kinds {
		opts = append(opts, parquet.DefaultEncodingFor(k, enc))
	}
	return opts
}

// writeWide writes rows with opts, flushing a row group after each of the
// given row counts (an empty one where two flushes follow each other).
func writeWide(t testing.TB, rows []wideRow, flushes []int, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[wideRow](&buf, opts...)
	at := 0
	for _, n := range append(flushes, len(rows)) {
		n = min(n, len(rows))
		if _, err := w.Write(rows[at:n]); err != nil {
			t.Fatal(err)
		}
		at = n
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReadBatchWritten reads files written by parquet-go with every
// physical kind, optional and nested columns, in plain, dictionary and
// delta encodings, data pages v1 and v2, several codecs, one or many pages
// per chunk and row groups, both ways.
func TestReadBatchWritten(t *testing.T) {
	dict := encodingFor(&parquet.RLEDictionary, allKinds...)
	small := parquet.PageBufferSize(512)
	tests := []struct {
		name    string
		rows    int
		flushes []int // row counts after which to end a row group
		opts    []parquet.WriterOption
	}{
		{"plain v2 uncompressed", 1500, nil, nil},
		{"plain v1 snappy small pages", 2000, nil, []parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Snappy), small, parquet.MaxRowsPerRowGroup(700)}},
		{"plain v2 small pages row groups", 2000, []int{1, 600}, []parquet.WriterOption{small, parquet.MaxRowsPerRowGroup(900)}},
		{"dictionary v1 zstd small pages", 2000, nil, append([]parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Zstd), small}, dict...)},
		{"dictionary v2 gzip", 2000, []int{1000}, append([]parquet.WriterOption{parquet.Compression(&parquet.Gzip)}, dict...)},
		{"dictionary overflowing to plain", 3000, nil, append([]parquet.WriterOption{parquet.DictionaryMaxBytes(200), small, parquet.DataPageVersion(1)}, dict...)},
		{"delta v2", 2000, nil, append(append(append(append(
			encodingFor(&parquet.DeltaBinaryPacked, parquet.Int32, parquet.Int64),
			encodingFor(&parquet.DeltaLengthByteArray, parquet.ByteArray)...),
			encodingFor(&parquet.ByteStreamSplit, parquet.Float, parquet.Double)...),
			encodingFor(&parquet.RLE, parquet.Boolean)...), small)},
		{"delta byte arrays v1 brotli", 1200, nil, append(
			encodingFor(&parquet.DeltaByteArray, parquet.ByteArray, parquet.FixedLenByteArray),
			parquet.DataPageVersion(1), parquet.Compression(&parquet.Brotli), small)},
		{"empty row groups", 300, []int{0, 0, 100, 100}, []parquet.WriterOption{small}},
		{"no rows", 0, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := writeWide(t, wideRows(tc.rows, 1), tc.flushes, tc.opts...)
			p, err := sources.OpenParquet(tc.name, bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			if len(tc.flushes) > 0 && p.NumRowGroups() < 2 {
				t.Errorf("%d row groups, want several", p.NumRowGroups())
			}
			layout, err := p.Layout()
			if err != nil {
				t.Fatal(err)
			}
			// The layout must agree with the schema's own levels.
			for c, path := range p.Schema().Columns() {
				leaf, _ := p.Schema().Lookup(path...)
				if int(layout[c].MaxDef) != leaf.MaxDefinitionLevel || layout[c].Kind != leaf.Node.Type().Kind() {
					t.Errorf("column %v: layout %+v, schema def %d kind %v", path, layout[c], leaf.MaxDefinitionLevel, leaf.Node.Type().Kind())
				}
			}
			compareFile(t, tc.name, data, "")
		})
	}
}

// ReadBatchInto decodes into a batch it is given, reused from the
// previous row group (larger, smaller, of another encoding) or from a file
// of another layout, with the rows ReadRowGroup reads.
func TestReadBatchIntoReuses(t *testing.T) {
	dict := encodingFor(&parquet.RLEDictionary, allKinds...)
	files := [][]byte{
		writeWide(t, wideRows(2000, 2), []int{1, 600, 1400}, parquet.PageBufferSize(512), parquet.MaxRowsPerRowGroup(900)),
		writeWide(t, wideRows(1500, 3), []int{700}, append([]parquet.WriterOption{parquet.DataPageVersion(1)}, dict...)...),
		flatParquet(t),
	}
	var reuse *columnar.Batch
	reused := 0
	for f, data := range files {
		p, err := sources.OpenParquet(fmt.Sprint("file", f), bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		for rg := range p.NumRowGroups() {
			rows, err := readAllRows(t.Context(), p, rg)
			if err != nil {
				t.Fatal(err)
			}
			b, err := p.ReadBatchInto(t.Context(), rg, reuse)
			if err != nil {
				t.Fatalf("file %d row group %d: %v", f, rg, err)
			}
			if b == reuse {
				reused++
			}
			compareBatch(t, rg, rows, b)
			reuse = b
		}
	}
	if reused < 4 {
		t.Fatalf("only %d batches reused", reused)
	}
}

// TestReadBatchPageKinds checks that the written files exercise what they
// are meant to: several pages per chunk, dictionary pages, data pages of
// both versions and pages holding only nulls.
func TestReadBatchPageKinds(t *testing.T) {
	rows := wideRows(2000, 1)
	for _, tc := range []struct {
		name    string
		opts    []parquet.WriterOption
		version int
		dict    bool
	}{
		{"v1 dictionary", append([]parquet.WriterOption{parquet.DataPageVersion(1), parquet.PageBufferSize(512)}, encodingFor(&parquet.RLEDictionary, allKinds...)...), 1, true},
		{"v2 plain", []parquet.WriterOption{parquet.PageBufferSize(512)}, 2, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := writeWide(t, rows, nil, tc.opts...)
			f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			col := 0 // "b", a boolean
			for c, path := range f.Schema().Columns() {
				if strings.Join(path, ".") == "oi64" {
					col = c
				}
			}
			cc := f.Metadata().RowGroups[0].Columns[col].MetaData
			var v1, v2, dicts int
			for _, e := range cc.EncodingStats {
				switch e.PageType {
				case format.DataPage:
					v1 += int(e.Count)
				case format.DataPageV2:
					v2 += int(e.Count)
				case format.DictionaryPage:
					dicts += int(e.Count)
				}
			}
			if pages := v1 + v2; pages < 3 {
				t.Errorf("%d data pages in column oi64, want several", pages)
			}
			if (tc.version == 1) != (v1 > 0 && v2 == 0) {
				t.Errorf("%d v1 and %d v2 pages, want version %d", v1, v2, tc.version)
			}
			if (dicts > 0) != tc.dict {
				t.Errorf("%d dictionary pages, want dictionary %v", dicts, tc.dict)
			}
			allNull := 0
			pages := f.RowGroups()[0].ColumnChunks()[col].Pages()
			defer pages.Close()
			for {
				pg, err := pages.ReadPage()
				if err != nil {
					break
				}
				if pg.NumNulls() == pg.NumValues() && pg.NumValues() > 0 {
					allNull++
				}
				parquet.Release(pg)
			}
			if allNull == 0 {
				t.Error("no page of column oi64 holds only nulls")
			}
		})
	}
}

// rewriteFooter returns the Parquet data with its footer edited.
func rewriteFooter(t *testing.T, data []byte, edit func(*format.FileMetaData)) []byte {
	t.Helper()
	end := len(data) - 8
	start := end - int(binary.LittleEndian.Uint32(data[end:]))
	var md format.FileMetaData
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[start:end], &md); err != nil {
		t.Fatal(err)
	}
	edit(&md)
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &md)
	if err != nil {
		t.Fatal(err)
	}
	out := append(bytes.Clone(data[:start]), footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...)
}

// flatRow is a small flat row type.
type flatRow struct {
	ID   int64   `parquet:"id"`
	Name *string `parquet:"name,optional"`
}

// flatParquet returns a file of 50 flatRows in one row group with one
// uncompressed data page v1 per column.
func flatParquet(t testing.TB) []byte {
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[flatRow](&buf, parquet.DataPageVersion(1))
	rows := make([]flatRow, 50)
	for i := range rows {
		rows[i].ID = int64(i)
		if i%3 != 0 {
			rows[i].Name = new(fmt.Sprint("name ", i))
		}
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// damageLevels returns data with the definition levels of column c's first
// data page (v1, uncompressed) claiming more bytes than the page holds,
// under a matching page checksum.
func damageLevels(t *testing.T, data []byte, c int) []byte {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	off := int(f.Metadata().RowGroups[0].Columns[c].MetaData.DataPageOffset)
	var compact thrift.CompactProtocol
	rd := compact.NewReaderFromBytes(data[off:])
	var h format.PageHeader
	if err := thrift.NewDecoder(rd).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if h.Type != format.DataPage {
		t.Fatalf("page at %d is a %v", off, h.Type)
	}
	headerLen := rd.BytesRead()
	body := off + headerLen
	// Try level lengths until the page header with the new checksum
	// encodes to its old length, so that no offset moves.
	for n := uint32(1 << 30); n < 1<<30+100; n++ {
		out := bytes.Clone(data)
		binary.LittleEndian.PutUint32(out[body:], n)
		h.CRC = int32(crc32.ChecksumIEEE(out[body : body+int(h.CompressedPageSize)]))
		header, err := thrift.Marshal(&compact, &h)
		if err != nil {
			t.Fatal(err)
		}
		if len(header) == headerLen {
			copy(out[off:], header)
			return out
		}
	}
	t.Fatal("no level length gives a page header of the same length")
	return nil
}

// disagreeingGroup returns a file whose one row says, in column g.a, that
// optional group g is present and, in column g.b, that it is null.
func disagreeingGroup(t *testing.T) []byte {
	t.Helper()
	schema := parquet.NewSchema("t", parquet.Group{
		"g": parquet.Optional(parquet.Group{
			"a": parquet.Optional(parquet.Int(64)),
			"b": parquet.Int(64),
		}),
	})
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema)
	rows := []parquet.Row{
		{parquet.Int64Value(1).Level(0, 2, 0), parquet.Int64Value(2).Level(0, 1, 1)},
		{parquet.Int64Value(3).Level(0, 2, 0), parquet.NullValue().Level(0, 0, 1)},
	}
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// writeOneColumn returns a file of one column v of node holding rows.
func writeOneColumn(t *testing.T, node parquet.Node, rows []parquet.Row, opts ...parquet.WriterOption) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, append(opts, parquet.NewSchema("t", parquet.Group{"v": node}))...)
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// wideNulls returns a file of 40000 nulls in a column of 32767-byte values
// (the widest parquet-go handles): almost nothing in the file, but 1.2 GiB
// of value slots in a batch.
func wideNulls(t *testing.T) []byte {
	rows := make([]parquet.Row, 40000)
	for i := range rows {
		rows[i] = parquet.Row{parquet.NullValue().Level(0, 0, 0)}
	}
	return writeOneColumn(t, parquet.Optional(parquet.Leaf(parquet.FixedLenByteArrayType(math.MaxInt16))), rows)
}

// repeatedHugeValue returns a file of 1100 rows holding the same 1 MiB
// string, dictionary-encoded: 1 MiB in the file, 1.1 GiB in a batch.
func repeatedHugeValue(t *testing.T) []byte {
	v := parquet.ByteArrayValue(bytes.Repeat([]byte("x"), 1<<20)).Level(0, 0, 0)
	rows := make([]parquet.Row, 1100)
	for i := range rows {
		rows[i] = parquet.Row{v}
	}
	return writeOneColumn(t, parquet.Encoded(parquet.String(), &parquet.RLEDictionary), rows)
}

// TestReadBatchErrors checks that damaged input is refused with an
// InputError naming the file, the row group and the column where known,
// and that ReadBatch validates its arguments.
func TestReadBatchErrors(t *testing.T) {
	flat := flatParquet(t)
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		data      []byte
		rg        int
		ctx       context.Context // nil: the test's
		wantIs    error           // nil: any error that is not an InputError
		wantCol   string
		wantInErr string
		rowsRead  bool // whether ReadRowGroup reads it nevertheless
	}{
		{name: "row group -1", data: flat, rg: -1},
		{name: "row group past the end", data: flat, rg: 1},
		{name: "canceled", data: flat, ctx: canceled, wantIs: context.Canceled},
		{name: "repeated fields", data: tinyParquet(t), wantIs: columnar.ErrRepeated},
		{name: "footer declares a row more", wantIs: sources.ErrCorrupt, wantCol: "id", wantInErr: "footer declares 51 rows, found 50",
			data: rewriteFooter(t, flat, func(md *format.FileMetaData) { md.NumRows++; md.RowGroups[0].NumRows++ })},
		{name: "footer declares a row fewer", wantIs: sources.ErrCorrupt, wantCol: "id", wantInErr: "page 0: brings the column to 50 rows, but the footer declares 49", rowsRead: true,
			data: rewriteFooter(t, flat, func(md *format.FileMetaData) { md.NumRows--; md.RowGroups[0].NumRows-- })},
		{name: "definition levels overrun their page", data: damageLevels(t, flat, 1), wantIs: sources.ErrCorrupt, wantCol: "name"},
		{name: "columns disagree on a group", data: disagreeingGroup(t), wantIs: rowcheck.ErrInvalidRow, wantInErr: "row 1"},
		{name: "null slots too large", data: wideNulls(t), wantIs: sources.ErrUnsupported, wantCol: "v", wantInErr: "40000 rows of 32768 bytes", rowsRead: true},
		{name: "dictionary values too large", data: repeatedHugeValue(t), wantIs: sources.ErrUnsupported, wantCol: "v", wantInErr: "more than 1073741824 bytes in a batch", rowsRead: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := sources.OpenParquet("in.parquet", bytes.NewReader(tc.data), int64(len(tc.data)))
			if err != nil {
				t.Fatal(err)
			}
			ctx := tc.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			b, err := p.ReadBatch(ctx, tc.rg)
			if err == nil {
				t.Fatalf("read %d rows, want an error", b.Len)
			}
			t.Log(err)
			var ie *sources.InputError
			isInput := errors.As(err, &ie)
			switch {
			case tc.wantIs == nil:
				if isInput {
					t.Fatalf("err = %v, want an argument error", err)
				}
				return
			case !errors.Is(err, tc.wantIs):
				t.Fatalf("err = %v, want one wrapping %v", err, tc.wantIs)
			case tc.wantIs == context.Canceled:
				return
			case !isInput || ie.Path != "in.parquet" || ie.RowGroup != tc.rg || ie.Column != tc.wantCol:
				t.Fatalf("err = %#v, want an InputError for in.parquet, row group %d, column %q", err, tc.rg, tc.wantCol)
			case !strings.Contains(err.Error(), tc.wantInErr):
				t.Fatalf("err = %v, want it to say %q", err, tc.wantInErr)
			}
			if tc.wantIs == columnar.ErrRepeated {
				return
			}
			_, rowErr := readAllRows(t.Context(), p, tc.rg)
			if (rowErr == nil) != tc.rowsRead {
				t.Errorf("ReadRowGroup error %v, want an error: %v", rowErr, !tc.rowsRead)
			}
		})
	}
}

// benchParquet opens a generated file of 500k rows in row groups of the
// default size, the shape of a typical split input.
func benchParquet(b *testing.B) *sources.Parquet {
	b.Helper()
	paths, err := gendata.Write(b.Context(), b.TempDir(), gendata.Config{Rows: 500_000, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	p, err := sources.OpenParquetFile(paths[0])
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { p.Close() })
	return p
}

// BenchmarkReadBatch decodes every row group of a generated file into
// columnar batches; compare with BenchmarkReadRowGroup.
func BenchmarkReadBatch(b *testing.B) {
	p := benchParquet(b)
	b.SetBytes(p.Size())
	b.ReportAllocs()
	for b.Loop() {
		for i := range p.NumRowGroups() {
			batch, err := p.ReadBatch(b.Context(), i)
			if err != nil {
				b.Fatal(err)
			}
			if int64(batch.Len) != p.RowGroupNumRows(i) {
				b.Fatalf("%d rows, want %d", batch.Len, p.RowGroupNumRows(i))
			}
		}
	}
}

// BenchmarkReadRowGroup reads the same row groups as rows, the path
// ReadBatch replaces (without the copy into arenas that follows it).
func BenchmarkReadRowGroup(b *testing.B) {
	p := benchParquet(b)
	b.SetBytes(p.Size())
	b.ReportAllocs()
	for b.Loop() {
		for i := range p.NumRowGroups() {
			var n int64
			err := p.ReadRowGroup(b.Context(), i, 1024, func(rows []parquet.Row) error {
				n += int64(len(rows))
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			if n != p.RowGroupNumRows(i) {
				b.Fatalf("%d rows, want %d", n, p.RowGroupNumRows(i))
			}
		}
	}
}

// A row group decoded column by column: values and nulls by row and
// column index.
func ExampleParquet_ReadBatch() {
	type row struct {
		ID   int64   `parquet:"id"`
		Name *string `parquet:"name,optional"`
	}
	var buf bytes.Buffer
	ann := "ann"
	if err := parquet.Write(&buf, []row{{1, &ann}, {2, nil}}); err != nil {
		panic(err)
	}
	p, err := sources.OpenParquet("people.parquet", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		panic(err)
	}
	b, err := p.ReadBatch(context.Background(), 0)
	if err != nil {
		panic(err)
	}
	for r := range b.Len {
		id, name := b.Value(0, r), b.Value(1, r)
		fmt.Println(id.Int64(), name.IsNull(), string(name.ByteArray()))
	}
	// Output:
	// 1 false ann
	// 2 true
}

// DecodedBytes counts a dictionary-encoded string column at its values'
// decoded length, and other columns at their uncompressed size.
func TestDecodedBytes(t *testing.T) {
	const rows = 5000
	long := strings.Repeat("category-", 12) // 108 bytes
	schema := parquet.NewSchema("t", parquet.Group{
		"cat": parquet.Encoded(parquet.String(), &parquet.RLEDictionary),
		"id":  parquet.Int(64),
	})
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, schema, parquet.MaxRowsPerRowGroup(2000))
	for i := range rows {
		row := parquet.Row{parquet.ByteArrayValue([]byte(long+strconv.Itoa(i%3))).Level(0, 0, 0), parquet.Int64Value(int64(i)).Level(0, 0, 1)}
		if _, err := w.WriteRows([]parquet.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	p, err := sources.OpenParquet("dict", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var encoded, idBytes int64
	for _, c := range p.Columns() {
		encoded += c.UncompressedBytes
		if c.Path == "id" {
			idBytes = c.UncompressedBytes
		}
	}
	values := int64(rows * (len(long) + 1))
	if got := p.DecodedBytes(); got != idBytes+values {
		t.Fatalf("DecodedBytes = %d, want the ids' %d + %d bytes of strings (encoded, the file holds %d)", got, idBytes, values, encoded)
	}

	plain := flatParquet(t)
	q, err := sources.OpenParquet("plain", bytes.NewReader(plain), int64(len(plain)))
	if err != nil {
		t.Fatal(err)
	}
	var want int64
	for _, c := range q.Columns() {
		want += c.UncompressedBytes
	}
	if got := q.DecodedBytes(); got != want {
		t.Fatalf("DecodedBytes of a file without dictionaries = %d, want its uncompressed %d", got, want)
	}
}
