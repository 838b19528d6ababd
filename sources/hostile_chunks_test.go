package sources_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sources"
)

var hostileChunksDir = flag.String("hostile-chunks-dir", "", "also write the files of TestHostileChunks to this directory, to run splitdata on")

// hostileChunk is a file of one column "v" whose footer or page headers
// lie about a count or size, and what reading it must say.
type hostileChunk struct {
	name  string
	data  func(t *testing.T) []byte // the file before edit
	edit  func(t *testing.T, f *pageFile)
	want  error
	inErr string
	// orErr, if set, may stand for inErr on the reads through
	// parquet-go's pages, whose check may find the lie first.
	orErr string
	open  bool // refused by OpenParquet
	// lenient: parquet-go's page reader, which reads the file as rows
	// and over a Fetcher, takes data decompressing short of the declared
	// size as it comes; the direct decoder refuses it.
	lenient bool
}

// dictInts is 2000 int64s of 10 values, dictionary-encoded, in pages of
// about 256 bytes, as pages v1 or v2.
func dictInts(version int) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		return int64s(t, 2000, 10, parquet.PageBufferSize(256), parquet.DataPageVersion(version))
	}
}

// plainInts is 2000 distinct int64s, PLAIN, compressed by codec, in pages
// of about 4 KiB.
func plainInts(codec format.CompressionCodec) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		return int64s(t, 2000, 2000, parquet.PageBufferSize(4096), parquet.Compression(parquet.LookupCompressionCodec(codec)))
	}
}

// deltaStringFile is 100 strings in one data page v2 of enc, uncompressed.
func deltaStringFile(enc encoding.Encoding) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		rows := make([]parquet.Row, 100)
		for i := range rows {
			rows[i] = parquet.Row{parquet.ByteArrayValue([]byte(fmt.Sprint("value ", i))).Level(0, 0, 0)}
		}
		return writeOneColumn(t, parquet.Encoded(parquet.String(), enc), rows)
	}
}

// optionalInts is 100 defined optional int64s in one uncompressed page of
// version.
func optionalInts(version int) func(t *testing.T) []byte {
	return func(t *testing.T) []byte {
		rows := make([]parquet.Row, 100)
		for i := range rows {
			rows[i] = parquet.Row{parquet.Int64Value(int64(i)).Level(0, 1, 0)}
		}
		return writeOneColumn(t, parquet.Optional(parquet.Leaf(parquet.Int64Type)), rows, parquet.DataPageVersion(version))
	}
}

// deltaRun is a DELTA_BINARY_PACKED run of n integers all equal to v, in
// one block of 128 of zero-width miniblocks.
func deltaRun(n int, v int64) []byte {
	b := binary.AppendUvarint(nil, 128)
	b = binary.AppendUvarint(b, 4)
	b = binary.AppendUvarint(b, uint64(n))
	b = binary.AppendVarint(b, v)
	b = binary.AppendVarint(b, 0) // the block's minimum delta
	return append(b, 0, 0, 0, 0)  // its miniblocks' bit widths
}

// withPayload makes the first data page of f hold payload.
func withPayload(t *testing.T, f *pageFile, payload []byte) {
	pg := firstData(t, f)
	pg.payload = payload
	pg.h.UncompressedPageSize = int32(len(payload))
	f.md.RowGroups[0].Columns[0].MetaData.TotalUncompressedSize = int64(len(payload))
}

func firstData(t *testing.T, f *pageFile) *filePage {
	for i := range f.pages {
		if typ := f.pages[i].h.Type; typ == format.DataPage || typ == format.DataPageV2 {
			return &f.pages[i]
		}
	}
	t.Fatal("no data page")
	return nil
}

func hostileChunks() []hostileChunk {
	meta := func(f *pageFile) *format.ColumnMetaData { return &f.md.RowGroups[0].Columns[0].MetaData }
	chunks := []hostileChunk{
		// A page size is an int32: 2 GiB is the most a page can claim.
		{name: "page-2g", data: dictInts(2), want: sources.ErrCorrupt, inErr: "2147483647 bytes uncompressed, more than the whole column chunk's 1073741824",
			edit: func(t *testing.T, f *pageFile) {
				firstData(t, f).h.UncompressedPageSize = math.MaxInt32
				meta(f).TotalUncompressedSize = sources.MaxColumnChunkBytes
			}},
		{name: "page-1g", data: dictInts(1), want: sources.ErrUnsupported, inErr: "pages above 268435456 bytes are refused",
			edit: func(t *testing.T, f *pageFile) {
				firstData(t, f).h.UncompressedPageSize = sources.MaxColumnChunkBytes
				meta(f).TotalUncompressedSize = sources.MaxColumnChunkBytes
			}},
		{name: "dict-2g-values", data: dictInts(2), want: sources.ErrCorrupt, inErr: "dictionary of 2147483647 values",
			edit: func(t *testing.T, f *pageFile) {
				f.page(t, format.DictionaryPage).h.DictionaryPageHeader.V.NumValues = math.MaxInt32
			}},
		{name: "dict-negative-values", data: dictInts(1), want: sources.ErrCorrupt, inErr: "-1 values",
			edit: func(t *testing.T, f *pageFile) {
				f.page(t, format.DictionaryPage).h.DictionaryPageHeader.V.NumValues = -1
			}},
		{name: "page-v1-negative-values", data: dictInts(1), want: sources.ErrCorrupt, inErr: "-5 values",
			edit: func(t *testing.T, f *pageFile) { firstData(t, f).h.DataPageHeader.V.NumValues = -5 }},
		{name: "page-v2-negative-values", data: dictInts(2), want: sources.ErrCorrupt, inErr: "-5 values",
			edit: func(t *testing.T, f *pageFile) { firstData(t, f).h.DataPageHeaderV2.V.NumValues = -5 }},
		{name: "page-v2-negative-rows", data: dictInts(2), want: sources.ErrCorrupt, inErr: "-5 rows in a page of 64 values",
			edit: func(t *testing.T, f *pageFile) { firstData(t, f).h.DataPageHeaderV2.V.NumRows = -5 }},
		{name: "page-v2-negative-nulls", data: dictInts(2), want: sources.ErrCorrupt, inErr: "-5 nulls",
			edit: func(t *testing.T, f *pageFile) { firstData(t, f).h.DataPageHeaderV2.V.NumNulls = -5 }},
		{name: "page-v2-negative-levels", data: dictInts(2), want: sources.ErrCorrupt, inErr: "-5 bytes of levels",
			edit: func(t *testing.T, f *pageFile) {
				firstData(t, f).h.DataPageHeaderV2.V.DefinitionLevelsByteLength = -5
			}},
		{name: "page-negative-size", data: dictInts(2), want: sources.ErrCorrupt, inErr: "negative size",
			edit: func(t *testing.T, f *pageFile) { firstData(t, f).h.UncompressedPageSize = -5 }},
		{name: "chunk-negative-values", data: dictInts(2), want: sources.ErrCorrupt, inErr: "data pages hold 2000 values, the footer says -1",
			edit: func(t *testing.T, f *pageFile) { meta(f).NumValues = -1 }},
		{name: "chunk-2^40-values", data: dictInts(2), want: sources.ErrCorrupt, inErr: "the footer says 1099511627776",
			edit: func(t *testing.T, f *pageFile) { meta(f).NumValues = 1 << 40 }},
		{name: "chunk-4g-uncompressed", data: dictInts(2), want: sources.ErrUnsupported, inErr: "column chunk of 4294967296 bytes uncompressed", open: true,
			edit: func(t *testing.T, f *pageFile) { meta(f).TotalUncompressedSize = 4 << 30 }},
		{name: "chunk-negative-uncompressed", data: dictInts(2), want: sources.ErrCorrupt, inErr: "column chunk of -1 bytes uncompressed", open: true,
			edit: func(t *testing.T, f *pageFile) { meta(f).TotalUncompressedSize = -1 }},
	}
	chunks = append(chunks,
		// A few bytes claiming 100 GiB of strings: parquet-go sized its
		// buffer by their sum (FuzzReadBatch/ad5c7839e4ce649c).
		hostileChunk{name: "dlba-lengths-100g", data: deltaStringFile(&parquet.DeltaLengthByteArray), want: sources.ErrCorrupt,
			inErr: "byte array lengths add up to 107374182400 bytes, past the page's 8",
			edit: func(t *testing.T, f *pageFile) {
				withPayload(t, f, append(deltaRun(100, 1<<30), "8 bytes."...))
			}},
		hostileChunk{name: "dba-prefixes-100g", data: deltaStringFile(&parquet.DeltaByteArray), want: sources.ErrCorrupt,
			inErr: "byte array value 0: prefix of 1073741824 bytes, the value before has 0",
			edit: func(t *testing.T, f *pageFile) {
				withPayload(t, f, append(append(deltaRun(100, 1<<30), deltaRun(100, 0)...), "8 bytes."...))
			}},
		hostileChunk{name: "dba-suffixes-100g", data: deltaStringFile(&parquet.DeltaByteArray), want: sources.ErrCorrupt,
			inErr: "byte array lengths add up to 107374182400 bytes, past the page's 8",
			edit: func(t *testing.T, f *pageFile) {
				withPayload(t, f, append(append(deltaRun(100, 0), deltaRun(100, 1<<30)...), "8 bytes."...))
			}},
	)
	// 8 bytes of levels declaring 2^31 of them: parquet-go decoded
	// them all (FuzzReadBatch/82018bddf2fca39e).
	levelRun := func(version int) hostileChunk {
		return hostileChunk{name: fmt.Sprintf("levels-2g-v%d", version), data: optionalInts(version), want: sources.ErrCorrupt,
			inErr: "more than a page may hold (MaxPageValues)",
			edit: func(t *testing.T, f *pageFile) {
				pg := firstData(t, f)
				run := append(binary.AppendUvarint(nil, 1<<32), 1) // 2^31 ones
				n := 100
				var payload []byte
				if version == 1 {
					payload = binary.LittleEndian.AppendUint32(nil, uint32(len(run)))
					payload = append(append(payload, run...), make([]byte, 8*n)...)
				} else {
					payload = append(run, make([]byte, 8*n)...)
					pg.h.DataPageHeaderV2.V.DefinitionLevelsByteLength = int32(len(run))
				}
				withPayload(t, f, payload)
			}}
	}
	chunks = append(chunks, levelRun(1), levelRun(2))
	for _, codec := range []format.CompressionCodec{format.Snappy, format.Gzip, format.Zstd, format.Lz4Raw, format.Brotli} {
		name := strings.ToLower(codec.String())
		chunks = append(chunks,
			hostileChunk{name: name + "-size-too-big", data: plainInts(codec), want: sources.ErrCorrupt, inErr: "data decompresses to 4096 bytes, the page declares 5096", lenient: true,
				edit: func(t *testing.T, f *pageFile) {
					firstData(t, f).h.UncompressedPageSize += 1000
					meta(f).TotalUncompressedSize += 1000
				}},
			hostileChunk{name: name + "-size-too-small", data: plainInts(codec), want: sources.ErrCorrupt, inErr: "past the page's declared size of 2048 bytes",
				orErr: "512 values of 8 bytes in 2048 bytes",
				edit:  func(t *testing.T, f *pageFile) { firstData(t, f).h.UncompressedPageSize /= 2 }},
		)
	}
	return chunks
}

// TestHostileChunks reads files whose page headers or column chunk
// metadata lie about counts and sizes, with every codec's data bigger and
// smaller than its page declares: each read (rows, a batch, a batch over
// a Fetcher, the columns in lockstep) refuses the file with an InputError naming the file, the row
// group and the column, having allocated little.
func TestHostileChunks(t *testing.T) {
	for _, tc := range hostileChunks() {
		t.Run(tc.name, func(t *testing.T) {
			f := splitPages(t, tc.data(t))
			tc.edit(t, f)
			data := f.bytes(t)
			name := tc.name + ".parquet"
			if *hostileChunksDir != "" {
				if err := os.WriteFile(filepath.Join(*hostileChunksDir, name), data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tc.open {
				_, err := sources.OpenParquet(name, bytes.NewReader(data), int64(len(data)))
				checkChunkError(t, "open", err, name, tc)
				return
			}
			errs, allocs := readEachWay(t, name, data)
			for i, err := range errs {
				t.Logf("read %d: %v (%d KiB allocated)", i, err, allocs[i]>>10)
				if err != nil || !tc.lenient || i == 1 {
					checkChunkError(t, fmt.Sprint("read ", i), err, name, tc)
				}
				if allocs[i] > 16<<20 {
					t.Errorf("read %d allocated %d MiB", i, allocs[i]>>20)
				}
			}
		})
	}
}

// checkChunkError fails t unless err is an InputError of tc's kind naming
// the file, row group 0 and column v (in its field or, on the row path,
// its message) and saying tc.inErr.
func checkChunkError(t *testing.T, what string, err error, name string, tc hostileChunk) {
	t.Helper()
	var ie *sources.InputError
	if !errors.As(err, &ie) || !errors.Is(err, tc.want) || ie.Path != name || ie.RowGroup != 0 ||
		ie.Column != "v" && !strings.Contains(err.Error(), `column "v"`) ||
		!strings.Contains(err.Error(), tc.inErr) && (tc.orErr == "" || !strings.Contains(err.Error(), tc.orErr)) {
		t.Errorf("%s: err = %v, want an InputError wrapping %v naming row group 0, column v, saying %q", what, err, tc.want, tc.inErr)
	}
}
