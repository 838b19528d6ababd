package sources_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sources"
)

// readBothWays reads rows [first, first+count) of row group rg of p with
// direct page decoding and with parquet-go's pages, and reports the
// chunks decoded directly.
func readBothWays(t *testing.T, p *sources.Parquet, rg int, first, count int64) (direct, pages *columnar.Batch, chunks int64) {
	t.Helper()
	read := func(off bool) *columnar.Batch {
		defer sources.SetDirectOff(off)()
		b, err := p.ReadBatchRangeInto(t.Context(), rg, first, count, nil)
		if err != nil {
			t.Fatalf("row group %d, rows [%d, %d), direct decoding off %v: %v", rg, first, first+count, off, err)
		}
		return b
	}
	before, _ := sources.DirectChunks()
	direct = read(false)
	after, _ := sources.DirectChunks()
	return direct, read(true), after - before
}

// sameBytes fails t unless a and b hold the same bytes in every column.
func sameBytes(t *testing.T, what string, a, b *columnar.Batch) {
	t.Helper()
	if a.Len != b.Len || len(a.Cols) != len(b.Cols) {
		t.Fatalf("%s: %d rows in %d columns, parquet-go's pages %d in %d", what, a.Len, len(a.Cols), b.Len, len(b.Cols))
	}
	for c := range a.Cols {
		x, y := &a.Cols[c], &b.Cols[c]
		if x.Type != y.Type || !bytes.Equal(x.Defs, y.Defs) || !bytes.Equal(x.Fixed, y.Fixed) ||
			!slices.Equal(x.Offsets, y.Offsets) || !bytes.Equal(x.Bytes, y.Bytes) {
			t.Errorf("%s, column %d (%v): direct decoding differs from parquet-go's pages", what, c, x.Kind)
		}
	}
}

// Direct page decoding gives the batches parquet-go's pages give, byte for
// byte, for every page layout it takes (PLAIN and dictionary values,
// pages v1 and v2, with nulls or none, codecs, one or many pages, ranges
// cutting pages), and leaves booleans to parquet-go.
func TestDirectMatchesPages(t *testing.T) {
	dict := encodingFor(&parquet.RLEDictionary, allKinds...)
	small := parquet.PageBufferSize(512)
	tests := []struct {
		name string
		rows int
		opts []parquet.WriterOption
	}{
		{"plain v2 uncompressed one page", 1500, []parquet.WriterOption{parquet.PageBufferSize(1 << 20)}},
		{"plain v1 snappy small pages", 2000, []parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Snappy), small}},
		{"plain v2 snappy small pages", 2000, []parquet.WriterOption{parquet.Compression(&parquet.Snappy), small}},
		{"dictionary v1 zstd small pages", 2000, append([]parquet.WriterOption{parquet.DataPageVersion(1), parquet.Compression(&parquet.Zstd), small}, dict...)},
		{"dictionary v2 gzip", 2000, append([]parquet.WriterOption{parquet.Compression(&parquet.Gzip)}, dict...)},
		{"dictionary overflowing to plain", 3000, append([]parquet.WriterOption{parquet.DictionaryMaxBytes(200), small, parquet.DataPageVersion(1)}, dict...)},
		{"delta v2", 1200, append(encodingFor(&parquet.DeltaBinaryPacked, parquet.Int32, parquet.Int64), small)},
	}
	for _, tc := range tests {
		for _, perPage := range []bool{false, true} {
			name := tc.name
			if perPage {
				name += ", pages read one by one"
			}
			t.Run(name, func(t *testing.T) {
				if perPage {
					defer sources.SetDirectSpanBytes(0)()
				}
				directMatchesPages(t, tc.name, tc.rows, tc.opts)
			})
		}
	}
}

// directMatchesPages is a case of TestDirectMatchesPages: rows written
// with opts, read both ways over several ranges.
func directMatchesPages(t *testing.T, name string, rows int, opts []parquet.WriterOption) {
	data := writeWide(t, wideRows(rows, 3), nil, append(opts, parquet.MaxRowsPerRowGroup(int64(rows)))...)
	p, err := sources.OpenParquet(name, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	n := p.UnitNumRows(0)
	ranges := [][2]int64{{0, n}, {0, 1}, {n - 1, 1}, {1, n - 2}, {n / 3, n / 3}, {7, 193}}
	var chunks int64
	for _, r := range ranges {
		a, b, k := readBothWays(t, p, 0, r[0], r[1])
		sameBytes(t, name, a, b)
		chunks += k
	}
	if chunks == 0 {
		t.Errorf("no column chunk decoded directly")
	}
}

// TestDecodeHybrid decodes runs of the RLE/bit-packing hybrid encoding:
// values as encoded, a run longer than wanted cut, runs declaring more
// than MaxPageValues refused without allocating by their count, a last
// bit-packed group ended short, and damaged runs refused.
func TestDecodeHybrid(t *testing.T) {
	tests := []struct {
		name  string
		src   []byte
		width int
		n     int
		want  []int32 // nil: an error
	}{
		{"run", []byte{5 << 1, 3}, 2, 5, []int32{3, 3, 3, 3, 3}},
		{"run then packed", []byte{2 << 1, 1, 1<<1 | 1, 0b10001000, 0b11000110, 0b11111010}, 3, 10, []int32{1, 1, 0, 1, 2, 3, 4, 5, 6, 7}},
		{"run longer than wanted cut", []byte{60 << 1, 9}, 4, 3, []int32{9, 9, 9}},
		// More than a page may hold: parquet-go would allocate it.
		{"run of 2^40", []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 9}, 4, 3, nil},
		{"runs past the values of 2^40", []byte{3 << 1, 9, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 9}, 4, 3, nil},
		{"wide run", []byte{2 << 1, 0x78, 0x56, 0x34, 0x12}, 32, 2, []int32{0x12345678, 0x12345678}},
		{"short last group", []byte{1<<1 | 1, 7, 8, 9}, 8, 3, []int32{7, 8, 9}},
		{"packed past the end", []byte{1<<1 | 1, 7, 8}, 8, 3, nil},
		{"run value past the end", []byte{4 << 1}, 8, 4, nil},
		{"too few values", []byte{2 << 1, 1}, 1, 3, nil},
		{"empty run", []byte{0, 1}, 1, 3, nil},
		{"no bytes", nil, 1, 1, nil},
		{"width 33", []byte{2 << 1, 1, 0, 0, 0, 0}, 33, 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]int32, tc.n)
			err := sources.DecodeHybrid(dst, tc.src, tc.width)
			switch {
			case tc.want == nil && err == nil:
				t.Errorf("decoded %v, want an error", dst)
			case tc.want != nil && err != nil:
				t.Errorf("error %v, want %v", err, tc.want)
			case tc.want != nil && !slices.Equal(dst, tc.want):
				t.Errorf("decoded %v, want %v", dst, tc.want)
			}
		})
	}
	dst := make([]int32, 3)
	huge := []byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x40, 9}
	if a := testing.AllocsPerRun(10, func() { _ = sources.DecodeHybrid(dst, huge, 4) }); a != 0 {
		t.Errorf("a run of 2^40 values allocated %v times", a)
	}
}

// TestDecodeHybridWidths bit-packs 100 values of every width from 1 to 32
// (a run of 13 groups, the last one short, as writers may end a page)
// and decodes them back.
func TestDecodeHybridWidths(t *testing.T) {
	for width := 1; width <= 32; width++ {
		want := make([]int32, 100)
		src := []byte{13<<1 | 1}
		var acc uint64
		bits := 0
		for i := range want {
			want[i] = int32(uint32(uint64(i)*0x9E3779B97F4A7C15>>17) & uint32(1<<width-1))
			acc |= uint64(uint32(want[i])) << bits
			bits += width
			for bits >= 8 {
				src = append(src, byte(acc))
				acc >>= 8
				bits -= 8
			}
		}
		if bits > 0 {
			src = append(src, byte(acc))
		}
		got := make([]int32, len(want))
		if err := sources.DecodeHybrid(got, src, width); err != nil {
			t.Fatalf("width %d: %v", width, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("width %d: decoded %v, want %v", width, got, want)
		}
	}
}
