package sinks_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sinks"
)

// corpusFiles returns the *.parquet files of sub (data or bad_data) in the
// parquet-testing corpus that ships in the repository's
// testdata/parquet-testing, and fails t when there are none: a clone
// without the corpus must not pass by skipping its tests.
func corpusFiles(t *testing.T, sub string) []string {
	t.Helper()
	dir := filepath.Join("..", "testdata", "parquet-testing", sub)
	paths, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no parquet-testing files in %s (the corpus ships in testdata/parquet-testing): %v", dir, err)
	}
	return paths
}

// maxCorpusBytes skips corpus files whose data is larger than this
// uncompressed: large_string_map.brotli.parquet holds 2 GiB of strings
// (too large for a unit test; parquet-go cannot write its single row group
// anyway, since one page would exceed 2 GiB).
const maxCorpusBytes = 64 << 20

// TestParquetTestingCorpus re-encodes every file of parquet-testing that
// parquet-go can read: its rows, row group by row group, through
// RowGroupEncoder and ParquetFileWriter, with two option sets. The output
// must follow the format, carry the input's schema and read back as the
// same rows, or the encoder must fail cleanly. Files parquet-go cannot read
// (unsupported codecs, encryption, corrupt on purpose) are skipped with the
// reason.
func TestParquetTestingCorpus(t *testing.T) {
	paths := corpusFiles(t, "data")
	optsCases := []sinks.ParquetOptions{
		{},
		{Encoding: sinks.EncodingPlain},
		{Compression: "zstd", Encoding: sinks.EncodingPlain, Dictionary: true, PageBufferSize: 4096},
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Skipf("parquet-go cannot open it: %v", err)
			}
			var size int64
			for _, rg := range f.Metadata().RowGroups {
				size += rg.TotalByteSize
			}
			if size > maxCorpusBytes {
				t.Skipf("%d bytes of data, more than %d", size, maxCorpusBytes)
			}
			var groups [][]parquet.Row
			for i, rg := range f.RowGroups() {
				rows, err := readAllRows(rg.Rows())
				if err != nil {
					t.Skipf("parquet-go cannot read row group %d: %v", i, err)
				}
				groups = append(groups, rows)
			}
			for _, opts := range optsCases {
				enc, err := sinks.NewRowGroupEncoder(f.Schema(), opts)
				if err != nil {
					t.Skipf("unsupported schema: %v", err)
				}
				encoded := make([]*sinks.EncodedRowGroup, len(groups))
				for i, rows := range groups {
					if encoded[i], err = enc.Encode(&sliceReader{rows: rows}); err != nil {
						if errors.Is(err, sinks.ErrInvalidRow) {
							t.Fatalf("row group %d: rows parquet-go read are rejected: %v", i, err)
						}
						t.Skipf("row group %d cannot be encoded: %v", i, err)
					}
				}
				out := writeFile(t, f.Schema(), opts, nil, encoded)
				checkLayout(t, out, codecOf[opts.Compression], maxRepetition(f.Schema()))

				var nonEmpty [][]parquet.Row
				for _, rows := range groups {
					if len(rows) > 0 {
						nonEmpty = append(nonEmpty, rows)
					}
				}
				checkStatistics(t, out, f.Schema(), nonEmpty)
				g, got := readBack(t, out)
				if !parquet.EqualNodes(g.Schema(), f.Schema()) {
					t.Errorf("%s: schema changed from\n%v\nto\n%v", optionsName(opts), f.Schema(), g.Schema())
				}
				if len(got) != len(nonEmpty) {
					t.Fatalf("%s: %d row groups, want %d", optionsName(opts), len(got), len(nonEmpty))
				}
				for i := range nonEmpty {
					compareRows(t, optionsName(opts), got[i], nonEmpty[i])
				}
				checkEncodings(t, out, opts)
			}
		})
	}
}

// checkEncodings checks that every data page of data, written with opts,
// is PLAIN or RLE_DICTIONARY as opts allow, whatever the input used: with
// EncodingPlain only BYTE_ARRAY columns may have dictionaries, and only with
// Dictionary; with EncodingAuto any column but BOOLEAN.
func checkEncodings(t *testing.T, data []byte, opts sinks.ParquetOptions) {
	t.Helper()
	meta := rawFooter(t, data)
	for _, rg := range meta.RowGroups {
		for _, cc := range rg.Columns {
			md := &cc.MetaData
			for _, p := range walkPages(t, data, md) {
				h, ok := p.header.DataPageHeader.Get()
				if !ok {
					if p.header.Type != format.DictionaryPage {
						t.Errorf("column %v: %v page, want v1 data pages", md.PathInSchema, p.header.Type)
					}
					continue
				}
				dictionary := md.Type != format.Boolean
				if opts.Encoding == sinks.EncodingPlain {
					dictionary = opts.Dictionary && md.Type == format.ByteArray
				}
				if h.Encoding != format.Plain && !(dictionary && h.Encoding == format.RLEDictionary) {
					t.Errorf("column %v: data page encoded %v", md.PathInSchema, h.Encoding)
				}
			}
		}
	}
}

// TestParquetTestingBadData feeds the rows parquet-go manages to read from
// parquet-testing's deliberately broken files to the encoder: it must
// reject them with ErrInvalidRow (some carry levels no record stripes to)
// or write a file that reads back the same rows.
func TestParquetTestingBadData(t *testing.T) {
	for _, path := range corpusFiles(t, "bad_data") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Skipf("parquet-go cannot open it: %v", err)
			}
			enc, err := sinks.NewRowGroupEncoder(f.Schema(), sinks.ParquetOptions{})
			if err != nil {
				t.Skipf("unsupported schema: %v", err)
			}
			for i, rg := range f.RowGroups() {
				rows, err := readAllRows(rg.Rows())
				if err != nil {
					t.Skipf("parquet-go cannot read row group %d: %v", i, err)
				}
				g, err := enc.Encode(&sliceReader{rows: rows})
				if err != nil {
					if !errors.Is(err, sinks.ErrInvalidRow) {
						t.Errorf("row group %d: %v, want ErrInvalidRow", i, err)
					}
					t.Logf("row group %d rejected: %v", i, err)
					continue
				}
				out := writeFile(t, f.Schema(), sinks.ParquetOptions{}, nil, []*sinks.EncodedRowGroup{g})
				_, got := readBack(t, out)
				compareRows(t, "rows", concat(got), rows)
			}
		})
	}
}
