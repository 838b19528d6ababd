package sources_test

import (
	"bytes"
	"errors"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/delta"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sources"
)

// deltaInts returns n integers of a kind that exercises the bit widths:
// "ramp" small deltas, "random" any 64 bits (width 64 with wrapping),
// "const" one value (width 0), "mixed" widths changing between
// miniblocks.
func deltaInts(kind string, n int) []int64 {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	out := make([]int64, n)
	for i := range out {
		switch kind {
		case "ramp":
			out[i] = int64(i)*3 - 50
		case "random":
			out[i] = int64(rng.Uint64())
		case "const":
			out[i] = -7
		case "extremes":
			out[i] = math.MinInt64
			if i%2 == 1 {
				out[i] = math.MaxInt64
			}
		case "mixed":
			out[i] = int64(rng.IntN(1 << (i / 32 % 40)))
		}
	}
	return out
}

// DELTA_BINARY_PACKED integers written by parquet-go's encoder decode to
// what was written, as INT64s and (truncated) INT32s, at the edges of
// miniblocks (32 values) and blocks (128), and the decoder returns the
// bytes past them.
func TestDecodeDelta(t *testing.T) {
	var enc delta.BinaryPackedEncoding
	for _, kind := range []string{"ramp", "random", "const", "extremes", "mixed"} {
		for _, n := range []int{0, 1, 2, 31, 32, 33, 127, 128, 129, 1000, 5000} {
			want := deltaInts(kind, n)
			src, err := enc.EncodeInt64(nil, want)
			if err != nil {
				t.Fatal(err)
			}
			src = append(src, "tail"...)
			got := make([]int64, n)
			rest, err := sources.DecodeDeltaInt64(got, src)
			if err != nil {
				t.Fatalf("%s, %d values: %v", kind, n, err)
			}
			if !slices.Equal(got, want) || string(rest) != "tail" {
				t.Errorf("%s, %d values: decoded %v and %q, want %v and %q", kind, n, got[:min(n, 8)], rest, want[:min(n, 8)], "tail")
			}
			want32 := make([]int32, n)
			for i, v := range want {
				want32[i] = int32(v)
			}
			if src, err = enc.EncodeInt32(nil, want32); err != nil {
				t.Fatal(err)
			}
			got32 := make([]int32, n)
			if _, err := sources.DecodeDeltaInt32(got32, src); err != nil {
				t.Fatalf("%s, %d INT32s: %v", kind, n, err)
			}
			if !slices.Equal(got32, want32) {
				t.Errorf("%s, %d INT32s: decoded %v, want %v", kind, n, got32[:min(n, 8)], want32[:min(n, 8)])
			}
		}
	}
}

// Damaged DELTA_BINARY_PACKED headers and blocks are errors, allocating
// only their messages (nothing by any count they declare).
func TestDecodeDeltaDamaged(t *testing.T) {
	var enc delta.BinaryPackedEncoding
	good, err := enc.EncodeInt64(nil, deltaInts("random", 100))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		src  []byte
		n    int
	}{
		{"no bytes", nil, 1},
		{"block size 0", []byte{0, 4, 1, 0}, 1},
		{"block size 100", []byte{100, 4, 1, 0}, 1},
		{"block of 2^20", []byte{0x80, 0x80, 0x40, 4, 1, 0}, 1},
		{"no miniblocks", []byte{0x80, 1, 0, 1, 0}, 1},
		{"3 miniblocks", []byte{0x80, 1, 3, 1, 0}, 1},
		{"miniblocks of 16", []byte{0x80, 1, 8, 1, 0}, 1},
		{"count of 2^60", []byte{0x80, 1, 4, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0}, 1},
		{"count above the page's", []byte{0x80, 1, 4, 3, 0}, 2},
		{"first value unreadable", []byte{0x80, 1, 4, 1, 0x80}, 1},
		{"no block", []byte{0x80, 1, 4, 2, 0}, 2},
		{"bit widths past the end", []byte{0x80, 1, 4, 2, 0, 0, 1, 1}, 2},
		{"bit width 65", []byte{0x80, 1, 4, 2, 0, 0, 65, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 2},
		{"miniblock past the end", []byte{0x80, 1, 4, 3, 0, 0, 8, 0, 0, 0, 1}, 3},
		{"truncated", good[:len(good)-250], 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]int64, tc.n)
			if _, err := sources.DecodeDeltaInt64(dst, tc.src); err == nil {
				t.Errorf("decoded %v, want an error", dst)
			}
			if a := testing.AllocsPerRun(5, func() { _, _ = sources.DecodeDeltaInt64(dst, tc.src) }); a > 8 {
				t.Errorf("%v allocations", a)
			}
		})
	}
	// An INT32's deltas are at most 32 bits wide.
	if _, err := sources.DecodeDeltaInt32(make([]int32, 2), append([]byte{0x80, 1, 4, 2, 0, 0, 33, 0, 0, 0}, make([]byte, 140)...)); err == nil {
		t.Error("INT32 deltas of 33 bits decoded")
	}
	// An INT32's first value must fit.
	if _, err := sources.DecodeDeltaInt32(make([]int32, 1), []byte{0x80, 1, 4, 1, 0x80, 0x80, 0x80, 0x80, 0x10}); err == nil {
		t.Error("an INT32 first value of 2^31 decoded")
	}
}

// deltaStrings returns n byte arrays: empty ones, a long one, prefixes
// shared with the value before (for DELTA_BYTE_ARRAY), and nulls (nil)
// every few rows when nulls is set.
func deltaStrings(n int, nulls bool) [][]byte {
	rng := rand.New(rand.NewPCG(uint64(n), 9))
	out := make([][]byte, n)
	for i := range out {
		switch {
		case nulls && i%5 == 2:
			continue
		case i%7 == 3:
			out[i] = []byte{}
		case i == n/2:
			out[i] = bytes.Repeat([]byte("long "), 30_000)
		default:
			out[i] = []byte("key-" + strings.Repeat("x", rng.IntN(40)) + string(rune('a'+rng.IntN(26))))
		}
	}
	return out
}

// encodeStrings returns the defined values of vals (nil is null) encoded
// by enc, and the definition levels (nil without nulls).
func encodeStrings(t *testing.T, enc interface {
	EncodeByteArray(dst, src []byte, offsets []uint32) ([]byte, error)
}, vals [][]byte, nulls bool) (src, defs []byte) {
	var data []byte
	offsets := []uint32{0}
	for _, v := range vals {
		if nulls {
			defs = append(defs, byte(min(len(v), 1)))
			if v == nil {
				defs[len(defs)-1] = 0
				continue
			}
			defs[len(defs)-1] = 1
		}
		data = append(data, v...)
		offsets = append(offsets, uint32(len(data)))
	}
	src, err := enc.EncodeByteArray(nil, data, offsets)
	if err != nil {
		t.Fatal(err)
	}
	return src, defs
}

// Pages of DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY values written by
// parquet-go's encoders, with and without nulls, empty values, one value,
// a 150,000-byte value and miniblock and block edges, append the values
// written; damaged ones are errors.
func TestAppendDeltaByteArrays(t *testing.T) {
	for _, enc := range []struct {
		name     string
		prefixed bool
		enc      interface {
			EncodeByteArray(dst, src []byte, offsets []uint32) ([]byte, error)
		}
	}{{"lengths", false, new(delta.LengthByteArrayEncoding)}, {"prefixes", true, new(delta.ByteArrayEncoding)}} {
		for _, nulls := range []bool{false, true} {
			for _, n := range []int{0, 1, 2, 32, 33, 128, 129, 300, 2000} {
				vals := deltaStrings(n, nulls)
				src, defs := encodeStrings(t, enc.enc, vals, nulls)
				col := &columnar.Column{Type: columnar.Type{Kind: parquet.ByteArray}}
				if nulls {
					col.MaxDef = 1
				}
				if err := sources.AppendDeltaLengths(col, n, defs, src, enc.prefixed, nil); err != nil {
					t.Fatalf("%s, nulls %v, %d values: %v", enc.name, nulls, n, err)
				}
				if col.Rows() != n {
					t.Fatalf("%s, nulls %v: %d rows, want %d", enc.name, nulls, col.Rows(), n)
				}
				for r, v := range vals {
					got := col.Bytes[col.Offsets[r]:col.Offsets[r+1]]
					if !bytes.Equal(got, v) || nulls && (col.Defs[r] == 1) != (v != nil) {
						t.Fatalf("%s, nulls %v, %d values: row %d is %.20q, want %.20q", enc.name, nulls, n, r, got, v)
					}
				}
			}
		}
	}
	// Lengths of 3 and -1 (zigzag 6, 1: first value 3, then a delta of -4).
	damaged := []struct {
		name     string
		src      []byte
		n        int
		prefixed bool
	}{
		{"negative length", []byte{0x80, 1, 4, 2, 6, 7, 0, 0, 0, 0, 'a', 'b', 'c'}, 2, false},
		{"lengths past the bytes", []byte{0x80, 1, 4, 1, 6, 'a', 'b'}, 1, false},
		{"fewer lengths than values", []byte{0x80, 1, 4, 1, 2, 'a'}, 2, false},
		{"no lengths", nil, 1, false},
		{"first prefix not empty", []byte{0x80, 1, 4, 1, 2, 0x80, 1, 4, 1, 2, 'a'}, 1, true},
		{"prefix past the value before", []byte{0x80, 1, 4, 2, 0, 4, 0, 0, 0, 0, 0x80, 1, 4, 2, 2, 0, 0, 0, 0, 0, 'a', 'b'}, 2, true},
		{"suffix count short", []byte{0x80, 1, 4, 2, 0, 0, 0, 0, 0, 0, 0x80, 1, 4, 1, 2, 'a'}, 2, true},
	}
	for _, tc := range damaged {
		col := &columnar.Column{Type: columnar.Type{Kind: parquet.ByteArray}}
		if err := sources.AppendDeltaLengths(col, tc.n, nil, tc.src, tc.prefixed, nil); err == nil {
			t.Errorf("%s: appended %q, want an error", tc.name, col.Bytes)
		}
	}
}

// Files written by parquet-go with DELTA_LENGTH_BYTE_ARRAY and
// DELTA_BYTE_ARRAY strings, DELTA_BINARY_PACKED integers and
// BYTE_STREAM_SPLIT numbers and fixed-length arrays (pages v1 and v2,
// nulls, empty strings, small pages, ranges cutting pages) read to the
// same batches directly and through parquet-go's pages, and their chunks
// are decoded directly.
func TestDeltaMatchesPages(t *testing.T) {
	small := parquet.PageBufferSize(512)
	lengths := encodingFor(&parquet.DeltaLengthByteArray, parquet.ByteArray)
	prefixes := encodingFor(&parquet.DeltaByteArray, parquet.ByteArray)
	ints := encodingFor(&parquet.DeltaBinaryPacked, parquet.Int32, parquet.Int64)
	split := encodingFor(&parquet.ByteStreamSplit, parquet.Float, parquet.Double, parquet.FixedLenByteArray)
	splitInts := encodingFor(&parquet.ByteStreamSplit, parquet.Int32, parquet.Int64)
	tests := []struct {
		name string
		rows int
		opts []parquet.WriterOption
	}{
		{"lengths v2 one page", 1500, append([]parquet.WriterOption{parquet.PageBufferSize(1 << 20)}, lengths...)},
		{"lengths v1 snappy small pages", 2000, append([]parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Snappy), small}, lengths...)},
		{"lengths v2 zstd small pages", 2000, append([]parquet.WriterOption{parquet.Compression(&parquet.Zstd), small}, lengths...)},
		{"prefixes v1 small pages", 2000, append([]parquet.WriterOption{parquet.DataPageVersion(1), small}, prefixes...)},
		{"prefixes v2 snappy", 2000, append([]parquet.WriterOption{parquet.Compression(&parquet.Snappy)}, prefixes...)},
		{"all deltas v1 small pages", 1200, slices.Concat([]parquet.WriterOption{parquet.DataPageVersion(1), small}, ints, lengths)},
		{"one row", 1, slices.Concat(ints, lengths)},
		{"byte stream split v2 snappy small pages", 2000, slices.Concat([]parquet.WriterOption{parquet.Compression(&parquet.Snappy), small}, split, splitInts)},
		{"byte stream split v1", 1500, slices.Concat([]parquet.WriterOption{parquet.DataPageVersion(1)}, split)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := writeWide(t, wideRows(tc.rows, 5), nil, append(tc.opts, parquet.MaxRowsPerRowGroup(int64(tc.rows)))...)
			p, err := sources.OpenParquet(tc.name, bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			n := p.UnitNumRows(0)
			ranges := [][2]int64{{0, n}, {0, 1}, {n - 1, 1}, {1, n - 2}, {n / 3, n / 3}, {7, 193}}
			_, left0 := sources.DirectChunks()
			var chunks int64
			for _, r := range ranges {
				if r[1] <= 0 || r[0]+r[1] > n {
					continue
				}
				a, b, k := readBothWays(t, p, 0, r[0], r[1])
				sameBytes(t, tc.name, a, b)
				chunks += k
			}
			_, left1 := sources.DirectChunks()
			if chunks == 0 {
				t.Errorf("no column chunk decoded directly")
			}
			// Each range's read with direct decoding off leaves every
			// chunk; with it on, only the two boolean columns.
			layout, err := p.Layout()
			if err != nil {
				t.Fatal(err)
			}
			cols := int64(len(layout))
			if reads := (left1 - left0) / (cols + 2); reads == 0 || left1-left0 != reads*(cols+2) {
				t.Errorf("%d chunks left to parquet-go for %d columns", left1-left0, cols)
			}
		})
	}
}

// A damaged delta header in a page is an error naming the input, row
// group, column and page, not a panic.
func TestDeltaDamagedPage(t *testing.T) {
	type row struct {
		S string `parquet:"s"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf, parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaLengthByteArray))
	in := make([]row, 300)
	for i := range in {
		in[i].S = strings.Repeat("v", i%17)
	}
	if _, err := w.Write(in); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	// The lengths' header: blocks of 128 values (0x80 0x01) in 4
	// miniblocks, 300 values (0xac 0x02); blocks of 129 to 254 values
	// are refused.
	at := bytes.Index(data, []byte{0x80, 0x01, 0x04, 0xac, 0x02})
	if at < 0 {
		t.Fatal("no delta header of 300 values in the file")
	}
	// The page at byte 4 has a checksum: it is made again for the
	// damaged bytes, of the same encoded length.
	var compact thrift.CompactProtocol
	var h format.PageHeader
	rd := compact.NewReaderFromBytes(data[4:])
	if err := thrift.NewDecoder(rd).Decode(&h); err != nil {
		t.Fatal(err)
	}
	hn := int(rd.BytesRead())
	body := data[4+hn : 4+hn+int(h.CompressedPageSize)]
	if at < 4+hn || at >= 4+hn+len(body) {
		t.Fatal("the delta header is not in the first page")
	}
	damaged := false
	for b := byte(0x81); b < 0xff && !damaged; b++ {
		data[at] = b
		h.CRC = int32(crc32.ChecksumIEEE(body))
		head, err := thrift.Marshal(&compact, &h)
		if err != nil {
			t.Fatal(err)
		}
		if damaged = len(head) == hn; damaged {
			copy(data[4:], head)
		}
	}
	if !damaged {
		t.Fatal("no damaged header of the page's length")
	}
	p, err := sources.OpenParquet("damaged.parquet", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.ReadBatchRangeInto(t.Context(), 0, 0, 300, nil)
	var ie *sources.InputError
	if !errors.As(err, &ie) || ie.Path != "damaged.parquet" || ie.RowGroup != 0 || !strings.Contains(err.Error(), "page 0") ||
		!strings.Contains(err.Error(), "delta header: block of") || !errors.Is(err, sources.ErrCorrupt) {
		t.Errorf("error %v, want one naming the input, row group, column, page and the block size", err)
	} else {
		t.Log(err)
	}
}
