package sources_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sources"
)

// corpusData returns parquet-testing's data directory: in the repository's
// testdata, or beside the checkout, where it lived before. The test fails
// when neither holds it.
func corpusData(t *testing.T) string {
	t.Helper()
	dirs := []string{
		filepath.Join("..", "testdata", "parquet-testing", "data"),
		filepath.Join("..", "..", "shared", "parquet-testing", "data"),
	}
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "lz4_raw_compressed.parquet")); err == nil {
			return dir
		}
	}
	t.Fatalf("parquet-testing corpus found in neither %s", strings.Join(dirs, " nor "))
	return ""
}

// hadoopFrame frames LZ4 blocks as Hadoop's BlockCompressorStream does:
// each block after its decoded and its encoded length, big-endian.
func hadoopFrame(blocks ...[]byte) []byte {
	var out []byte
	for _, b := range blocks {
		raw, err := parquet.Lz4Raw.Encode(nil, b)
		if err != nil {
			panic(err)
		}
		out = binary.BigEndian.AppendUint32(out, uint32(len(b)))
		out = binary.BigEndian.AppendUint32(out, uint32(len(raw)))
		out = append(out, raw...)
	}
	return out
}

// encoders compress a payload as each codec's writers do; the LZ4 of
// codec 5 as parquet-mr does (Hadoop framing, here in 64 KiB blocks).
var encoders = map[format.CompressionCodec]func([]byte) []byte{
	format.Snappy: encodeWith(&parquet.Snappy),
	format.Gzip:   encodeWith(&parquet.Gzip),
	format.Brotli: encodeWith(&parquet.Brotli),
	format.Zstd:   encodeWith(&parquet.Zstd),
	format.Lz4Raw: encodeWith(&parquet.Lz4Raw),
	format.Lz4: func(b []byte) []byte {
		var blocks [][]byte
		for len(b) > 64<<10 {
			blocks, b = append(blocks, b[:64<<10]), b[64<<10:]
		}
		return hadoopFrame(append(blocks, b)...)
	},
}

func encodeWith(c compress.Codec) func([]byte) []byte {
	return func(b []byte) []byte {
		out, err := c.Encode(nil, b)
		if err != nil {
			panic(err)
		}
		return out
	}
}

// TestCodecTable pins that parquet-go's codec table holds splitdata's
// capped codecs: a parquet-go whose table moved or changed fails here
// (and every compressed input is refused: TestCodecsRefusedWhenUncapped).
func TestCodecTable(t *testing.T) {
	originals := map[format.CompressionCodec]compress.Codec{
		format.Snappy: &parquet.Snappy, format.Gzip: &parquet.Gzip, format.Brotli: &parquet.Brotli,
		format.Zstd: &parquet.Zstd, format.Lz4Raw: &parquet.Lz4Raw, format.Lz4: nil,
	}
	for codec, original := range originals {
		c := parquet.LookupCompressionCodec(codec)
		if c == original || c.CompressionCodec() != codec || c.String() != codec.String() {
			t.Errorf("codec %d: the decoder uses %T %s, want splitdata's capped %s", codec, c, c, codec)
			continue
		}
		data := encoders[codec](bytes.Repeat([]byte("0123456789"), 100))
		if _, err := c.Decode(make([]byte, 999), data); err == nil {
			t.Errorf("%s: 1000 bytes decoded into a page declaring 999", codec)
		}
	}
	for _, codec := range []format.CompressionCodec{format.LZO, format.Lz4Raw + 1} {
		if c := parquet.LookupCompressionCodec(codec); c.String() != "UNSUPPORTED" {
			t.Errorf("codec %d: the decoder has %s", codec, c)
		}
	}
}

// TestCodecDecode round-trips payloads through every codec and checks
// the declared size is a hard limit: a buffer one byte short fails, and
// so does a nil one (no room), a larger one holds the payload.
func TestCodecDecode(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	text := make([]byte, 1<<20)
	for i := range text {
		text[i] = "abcdefghij \n"[rng.IntN(12)]
	}
	random := make([]byte, 300<<10)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	payloads := map[string][]byte{
		"one byte":            []byte("x"),
		"text 1 MiB":          text,
		"zeros 1 MiB":         make([]byte, 1<<20),
		"incompressible":      random,
		"incompressible tiny": random[:100],
	}
	for codec, encode := range encoders {
		c := parquet.LookupCompressionCodec(codec)
		for name, want := range payloads {
			t.Run(codec.String()+"/"+name, func(t *testing.T) {
				data := encode(want)
				for _, extra := range []int{0, 1, 1000} {
					got, err := c.Decode(make([]byte, len(want)+extra), data)
					if err != nil || !bytes.Equal(got, want) {
						t.Fatalf("into %d+%d bytes: %d bytes, %v; want the payload", len(want), extra, len(got), err)
					}
				}
				if got, err := c.Decode(nil, data); err == nil {
					t.Fatalf("%d bytes decoded into nil", len(got))
				}
				if _, err := c.Decode(make([]byte, len(want)-1), data); err == nil {
					t.Fatalf("%d bytes decoded into %d", len(want), len(want)-1)
				}
			})
		}
	}
	// Codec 5 also reads a bare LZ4 block (early parquet-cpp), and Hadoop
	// blocks whose data is shorter than it declares do not pass as Hadoop.
	lz4 := parquet.LookupCompressionCodec(format.Lz4)
	bare := encoders[format.Lz4Raw](text)
	if got, err := lz4.Decode(make([]byte, len(text)), bare); err != nil || !bytes.Equal(got, text) {
		t.Errorf("bare LZ4 block under codec 5: %d bytes, %v", len(got), err)
	}
	// An empty page's block: pierrec/lz4's decoder faults on an empty
	// destination, so this is checked apart.
	for _, c := range []format.CompressionCodec{format.Lz4Raw, format.Lz4} {
		if got, err := parquet.LookupCompressionCodec(c).Decode(nil, []byte{0}); err != nil || len(got) != 0 {
			t.Errorf("%s: empty block: %q, %v", c, got, err)
		}
		if got, err := parquet.LookupCompressionCodec(c).Decode([]byte{}, []byte{0x10, 'a'}); err == nil {
			t.Errorf("%s: %q decoded into no room", c, got)
		}
	}
	lying := hadoopFrame([]byte("abcdefgh"))
	binary.BigEndian.PutUint32(lying, 9)
	if got, err := lz4.Decode(make([]byte, 100), lying); err == nil {
		t.Errorf("a Hadoop block declaring 9 bytes of 8 decoded to %q", got)
	}
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// bombSize is what the crafted pages inflate to: four times the memory
// TestDecompressionBombs allows a read, and far more than they declare.
const bombSize = 256 << 20

// squeeze returns n zero bytes compressed by the streaming writer w
// writes to out.
func squeeze(n int64, out *bytes.Buffer, w io.WriteCloser) []byte {
	if _, err := io.CopyN(w, zeros{}, n); err != nil {
		panic(err)
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return out.Bytes()
}

// lz4Bomb returns an LZ4 block that decodes to one zero byte repeated
// 20+255*k times, then five literal bytes: a match extends its length
// by 255 per byte, LZ4's highest ratio.
func lz4Bomb(k int) []byte {
	b := []byte{0x1F, 0} // one literal, then a match of 15 + extensions
	b = append(b, 1, 0)  // at offset 1
	b = append(b, bytes.Repeat([]byte{0xFF}, k)...)
	b = append(b, 0)                      // the length's last byte
	return append(b, 0x50, 1, 2, 3, 4, 5) // the block ends with literals
}

// lz4BombSize is how many bytes lz4Bomb(k) decodes to.
func lz4BombSize(k int) int { return 1 + 4 + 15 + 255*k + 5 }

// bombs are page payloads, one per codec, that inflate to bombSize bytes
// or more (snappy's merely declares 4 GiB - 1: its header gives the size
// the decoder allocates, and its format cannot inflate much).
var bombs = sync.OnceValue(func() map[format.CompressionCodec][]byte {
	var z, g, b bytes.Buffer
	zw, err := zstd.NewWriter(&z, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
	if err != nil {
		panic(err)
	}
	gw, err := gzip.NewWriterLevel(&g, gzip.BestCompression)
	if err != nil {
		panic(err)
	}
	k := (bombSize + 254) / 255
	return map[format.CompressionCodec][]byte{
		format.Zstd:   squeeze(bombSize, &z, zw),
		format.Gzip:   squeeze(bombSize, &g, gw),
		format.Brotli: squeeze(bombSize, &b, brotli.NewWriterLevel(&b, 1)),
		format.Snappy: append(binary.AppendUvarint(nil, 1<<32-1), 0, 0, 0, 0),
		format.Lz4Raw: lz4Bomb(k),
		format.Lz4: append(binary.BigEndian.AppendUint32(binary.BigEndian.AppendUint32(nil,
			uint32(lz4BombSize(k))), uint32(len(lz4Bomb(k)))), lz4Bomb(k)...),
	}
})

// TestBombsInflate checks that the crafted pages are what they claim, by
// streaming them (the stream codecs) or decoding a small one of the same
// construction (LZ4).
func TestBombsInflate(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 768 MiB")
	}
	readers := map[format.CompressionCodec]func(io.Reader) (io.Reader, error){
		format.Zstd: func(r io.Reader) (io.Reader, error) {
			d, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
			return d, err
		},
		format.Gzip:   func(r io.Reader) (io.Reader, error) { return gzip.NewReader(r) },
		format.Brotli: func(r io.Reader) (io.Reader, error) { return brotli.NewReader(r), nil },
	}
	for codec, open := range readers {
		r, err := open(bytes.NewReader(bombs()[codec]))
		if err != nil {
			t.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		if err != nil || n != bombSize {
			t.Errorf("%s bomb of %d bytes inflates to %d bytes, %v; want %d", codec, len(bombs()[codec]), n, err, bombSize)
		}
	}
	for _, k := range []int{0, 1, 40} {
		want := lz4BombSize(k)
		got, err := parquet.LookupCompressionCodec(format.Lz4Raw).Decode(make([]byte, want), lz4Bomb(k))
		if err != nil || len(got) != want {
			t.Errorf("lz4Bomb(%d) decodes to %d bytes, %v; want %d", k, len(got), err, want)
		}
	}
}

// withCodec returns a file of 100 int64s in a column compressed with
// codec (LZ4, codec 5, which nothing writes, is relabelled LZ4_RAW) whose
// page of type typ holds payload.
func withCodec(t *testing.T, codec format.CompressionCodec, typ format.PageType, payload []byte) []byte {
	write := codec
	if codec == format.Lz4 {
		write = format.Lz4Raw
	}
	opts := []parquet.WriterOption{parquet.Compression(parquet.LookupCompressionCodec(write))}
	mod := 100
	switch typ {
	case format.DataPage:
		opts = append(opts, parquet.DataPageVersion(1))
	case format.DictionaryPage:
		mod = 10
	}
	f := splitPages(t, int64s(t, 100, mod, opts...))
	f.md.RowGroups[0].Columns[0].MetaData.Codec = codec
	f.page(t, typ).payload = payload
	return f.bytes(t)
}

// pageOfV is how the decoder names the page of column v it failed on
// (counting data pages; a dictionary page is given the number of the
// data page that needed it on one path and 0 on the other).
var pageOfV = regexp.MustCompile(`page \d+ of column "v"`)

// TestDecompressionBombs reads pages whose data inflates far beyond the
// size their header declares (issue 23, case 8), in every codec and kind
// of page, both ways: each read fails with an InputError naming the
// file, row group, column and page, having allocated little.
func TestDecompressionBombs(t *testing.T) {
	for codec := range encoders {
		for _, typ := range []format.PageType{format.DataPage, format.DataPageV2, format.DictionaryPage} {
			t.Run(codec.String()+"/"+typ.String(), func(t *testing.T) {
				data := withCodec(t, codec, typ, bombs()[codec])
				errs, allocs := readEachWay(t, "bomb.parquet", data)
				for i, path := range []string{"ReadRowGroup", "ReadBatch", "ReadBatch over a Fetcher"} {
					err := errs[i]
					t.Logf("%s: %d bytes allocated: %v", path, allocs[i], err)
					var ie *sources.InputError
					switch {
					case !errors.As(err, &ie) || !errors.Is(err, sources.ErrCorrupt):
						t.Errorf("%s: err = %v, want an InputError wrapping ErrCorrupt", path, err)
					case ie.Path != "bomb.parquet" || ie.RowGroup != 0 || !pageOfV.MatchString(err.Error()) || !strings.Contains(err.Error(), "declared"):
						t.Errorf("%s: %q names no file, row group 0, page of column v and declared size", path, err)
					}
					if allocs[i] > 64<<20 {
						t.Errorf("%s allocated %d MiB", path, allocs[i]>>20)
					}
				}
			})
		}
	}
}

// TestCodecsOfOneColumn refuses a column whose row groups use different
// codecs: the decoder decompresses all of a column's chunks with the
// first one's codec.
func TestCodecsOfOneColumn(t *testing.T) {
	a := splitPages(t, int64s(t, 100, 100, parquet.Compression(&parquet.Snappy)))
	b := splitPages(t, int64s(t, 100, 100, parquet.Compression(&parquet.Zstd)))
	data := a.bytes(t)
	// Append b's chunk after a's and list it as a second row group.
	chunk := b.bytes(t)
	chunk = chunk[4 : 4+b.md.RowGroups[0].Columns[0].MetaData.TotalCompressedSize]
	shift := a.md.RowGroups[0].Columns[0].MetaData.TotalCompressedSize
	rg := b.md.RowGroups[0]
	rg.Columns[0].MetaData.DataPageOffset += shift
	rg.Columns[0].FileOffset += shift
	a.md.RowGroups = append(a.md.RowGroups, rg)
	a.md.NumRows += rg.NumRows
	body := append(bytes.Clone(data[:4+shift]), chunk...)
	footer, err := thrift.Marshal(new(thrift.CompactProtocol), &a.md)
	if err != nil {
		t.Fatal(err)
	}
	data = append(binary.LittleEndian.AppendUint32(append(body, footer...), uint32(len(footer))), "PAR1"...)
	_, err = sources.OpenParquet("mixed.parquet", bytes.NewReader(data), int64(len(data)))
	var ie *sources.InputError
	if !errors.As(err, &ie) || !errors.Is(err, sources.ErrUnsupported) || ie.RowGroup != 1 || ie.Column != "v" ||
		!strings.Contains(err.Error(), "ZSTD where row group 0 uses SNAPPY") {
		t.Fatalf("err = %v, want an InputError for row group 1, column v, naming both codecs", err)
	}
}

// lz4Small is what parquet-testing's three small LZ4 files hold, as
// DuckDB 1.5 and arrow-go v18.8 read lz4_raw_compressed.parquet and as
// arrow-rs's tests pin for the other two.
var lz4Small = []string{
	"1593604800 abc 42", "1593604800 def 7.7", "1593604801 abc 42.125", "1593604801 def 7.7",
}

// lz4Large identifies the 10,000 values of the two larger files: the
// SHA-256 of the values joined by newlines, as DuckDB 1.5 reads
// lz4_raw_compressed_larger.parquet (arrow-rs's tests pin the same first
// and last values for hadoop_lz4_compressed_larger.parquet).
const lz4Large = "8bdc169ff13bedce5f3d9d4e5dc4c9295fdb9e6331ce284c0418c15ed597a4aa"

// TestLZ4Corpus reads parquet-testing's LZ4 files (issue 23, case 15):
// LZ4_RAW, and LZ4 both Hadoop-framed and bare, both ways, and checks
// their values.
func TestLZ4Corpus(t *testing.T) {
	dir := corpusData(t)
	for _, tc := range []struct {
		file  string
		codec string
		want  func(t *testing.T, values []string)
	}{
		{"lz4_raw_compressed.parquet", "LZ4_RAW", small4},
		{"hadoop_lz4_compressed.parquet", "LZ4", small4},
		{"non_hadoop_lz4_compressed.parquet", "LZ4", small4},
		{"lz4_raw_compressed_larger.parquet", "LZ4_RAW", large},
		{"hadoop_lz4_compressed_larger.parquet", "LZ4", large},
	} {
		t.Run(tc.file, func(t *testing.T) {
			p, err := sources.OpenParquetFile(filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if codecs := p.Columns()[0].Codecs; len(codecs) != 1 || codecs[0] != tc.codec {
				t.Fatalf("codecs %v, want %s", codecs, tc.codec)
			}
			var values []string
			for rg := range p.NumRowGroups() {
				rows, err := readAllRows(t.Context(), p, rg)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range rows {
					var fields []string
					for _, v := range r {
						fields = append(fields, v.String())
					}
					values = append(values, strings.Join(fields, " "))
				}
				if got, err := compareRowGroup(t, p, rg); got != bothRead {
					t.Fatalf("ReadBatch: %v", err) // else it read the same rows
				}
			}
			tc.want(t, values)
		})
	}
}

func small4(t *testing.T, values []string) {
	if fmt.Sprint(values) != fmt.Sprint(lz4Small) {
		t.Errorf("values %q, want %q", values, lz4Small)
	}
}

func large(t *testing.T, values []string) {
	sum := sha256.Sum256([]byte(strings.Join(values, "\n")))
	if len(values) != 10_000 || hex.EncodeToString(sum[:]) != lz4Large {
		t.Errorf("%d values, SHA-256 %x; want 10000, %s", len(values), sum, lz4Large)
	}
}

// TestCodecsRefusedWhenUncapped opens files as splitdata would if the
// capped codecs could not be installed: compressed ones are refused.
func TestCodecsRefusedWhenUncapped(t *testing.T) {
	defer sources.SetCodecErr(errors.New("test"))()
	for _, tc := range []struct {
		codec compress.Codec
		want  error
	}{
		{&parquet.Uncompressed, nil},
		{&parquet.Zstd, sources.ErrUnsupported},
	} {
		data := int64s(t, 10, 10, parquet.Compression(tc.codec))
		_, err := sources.OpenParquet("in.parquet", bytes.NewReader(data), int64(len(data)))
		if !errors.Is(err, tc.want) || tc.want != nil && !strings.Contains(err.Error(), "no size-capped decoder") {
			t.Errorf("%s: err = %v, want %v", tc.codec, err, tc.want)
		}
	}
}

// FuzzCodecDecode feeds arbitrary data to every capped codec: each must
// return at most the declared size, in the buffer it was given, or an
// error, and never panic or fault.
func FuzzCodecDecode(f *testing.F) {
	codecs := []format.CompressionCodec{format.Snappy, format.Gzip, format.Brotli, format.Zstd, format.Lz4Raw, format.Lz4}
	for i, codec := range codecs {
		for _, payload := range [][]byte{nil, []byte("x"), bytes.Repeat([]byte("abc"), 100)} {
			f.Add(uint8(i), uint16(len(payload)), encoders[codec](payload))
		}
	}
	f.Fuzz(func(t *testing.T, codec uint8, size uint16, src []byte) {
		c := parquet.LookupCompressionCodec(codecs[int(codec)%len(codecs)])
		dst := make([]byte, size)
		got, err := c.Decode(dst, src)
		if err == nil && (len(got) > len(dst) || len(got) > 0 && &got[0] != &dst[0]) {
			t.Fatalf("%s: %d bytes outside the %d-byte buffer", c, len(got), size)
		}
	})
}
