package sinks_test

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/thrift"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// placeBody returns n bytes that snappy compresses to about half: runs of
// a few symbols drawn by r.
func placeBody(r *rand.Rand, n int) []byte {
	b := make([]byte, 0, n)
	for len(b) < n {
		c := byte('a' + r.IntN(16))
		for range min(1+r.IntN(3), n-len(b)) {
			b = append(b, c)
		}
	}
	return b
}

// TestPlacePage holds a page compressed straight into the chunk's bytes
// to the bytes of its parts made apart: the header (thrift, with the
// compressed size and the CRC of the compressed body) and the body
// compressed by the codec into a buffer of its own, after what the chunk
// held. It goes through every way the header's guessed length can be
// wrong, and through chunks without room, which take a copy.
func TestPlacePage(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	body := placeBody(r, 64<<10)
	// A body whose compressed CRC is a varint of fewer than 5 bytes
	// (zig-zag below 2^28), where the guess of 5 bytes is too long.
	var shortCRC []byte
	for range 1000 {
		b := placeBody(r, 20000)
		crc := int32(crc32.ChecksumIEEE(s2.EncodeSnappy(nil, b)))
		if zz := uint32(crc<<1) ^ uint32(crc>>31); zz < 1<<28 {
			shortCRC = b
			break
		}
	}
	if shortCRC == nil {
		t.Fatal("no body of 1000 has a compressed CRC of fewer than 5 varint bytes")
	}
	fast := func(b []byte) []byte { return s2.EncodeSnappy(nil, b) }
	better := func(b []byte) []byte { return snappy.Encode(nil, b) }
	none := func(b []byte) []byte { return b }
	prefix := []byte("PAR1 and some pages before")
	roomy := func() []byte { return append(make([]byte, 0, 1<<20), prefix...) }
	tight := func() []byte { return bytes.Clone(prefix) }
	tests := []struct {
		name               string
		compression        string
		level              func([]byte) []byte
		data               func() []byte
		body               []byte
		lastBody, lastPage int64
		inPlace            bool
	}{
		{"snappy, first page", "snappy", fast, roomy, body, 0, 0, true},
		{"snappy, like the last page", "snappy", fast, roomy, body, 1000, 500, true},
		{"snappy, size guessed short", "snappy", fast, roomy, body, 1000, 1, true},
		{"snappy, size guessed long", "snappy", fast, roomy, body, 1, 1000, true},
		{"snappy, short CRC", "snappy", fast, roomy, shortCRC, 0, 0, true},
		{"snappy, no room", "snappy", fast, tight, body, 0, 0, false},
		{"snappy, empty chunk without room", "snappy", fast, func() []byte { return nil }, body, 0, 0, false},
		{"snappy better", "snappy-better", better, roomy, body, 0, 0, true},
		{"none", "none", none, roomy, body, 0, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := sinks.ParquetOptions{Compression: tt.compression}
			if tt.compression == "snappy-better" {
				opts = sinks.ParquetOptions{Compression: "snappy", CompressionLevel: sinks.SnappyBetter}
			}
			data := tt.data()
			before := bytes.Clone(data)
			got, inPlace, err := sinks.PlacePage(opts, data, tt.body, tt.lastBody, tt.lastPage)
			if err != nil {
				t.Fatal(err)
			}
			page := tt.level(tt.body)
			h := sinks.PlacedHeader(len(tt.body))
			h.CompressedPageSize = int32(len(page))
			h.CRC = int32(crc32.ChecksumIEEE(page))
			header, err := thrift.Marshal(new(thrift.CompactProtocol), &h)
			if err != nil {
				t.Fatal(err)
			}
			want := append(append(before, header...), page...)
			if !bytes.Equal(got, want) {
				t.Fatalf("placed %d bytes, want %d (header %d, page %d bytes)", len(got), len(want), len(header), len(page))
			}
			if inPlace != tt.inPlace {
				t.Errorf("compressed in place: %v, want %v", inPlace, tt.inPlace)
			}
		})
	}
}

// TestEncodeBatchesReusesWriters encodes row groups one after the other
// on one encoder, releasing each, with two garbage collections between
// them (which empty a sync.Pool): each must have the bytes parquet-go's
// writer gives its rows, and once the encoder has warmed up a row group
// must allocate under a quarter of its size: the row group's buffer, the
// page writers and their buffers are those of the row groups before.
func TestEncodeBatchesReusesWriters(t *testing.T) {
	schema := parquet.NewSchema("m", parquet.Group{
		"a": parquet.Optional(parquet.Int(64)),
		"b": parquet.Optional(parquet.Leaf(parquet.DoubleType)),
		"c": parquet.Optional(parquet.String()),
		"d": parquet.Int(32),
	})
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, encoding := range []string{sinks.EncodingPlain, sinks.EncodingAuto} {
		t.Run(encoding, func(t *testing.T) {
			opts := sinks.ParquetOptions{Encoding: encoding, PageBufferSize: 64 << 10}
			e, err := sinks.NewRowGroupEncoder(schema, opts)
			if err != nil {
				t.Fatal(err)
			}
			ref, err := sinks.NewRowGroupEncoder(schema, opts)
			if err != nil {
				t.Fatal(err)
			}
			sinks.WithoutPageWriter(ref)
			r := rand.New(rand.NewPCG(9, 9))
			for k := range 4 {
				rows := make([]parquet.Row, 50000+k*1000)
				for i := range rows {
					row := parquet.Row{
						parquet.Int64Value(int64(r.Uint64())).Level(0, 1, 0),
						parquet.DoubleValue(r.Float64()).Level(0, 1, 1),
						parquet.ByteArrayValue(fmt.Appendf(nil, "%x", r.Uint64()%1000)).Level(0, 1, 2),
						parquet.Int32Value(int32(i)).Level(0, 0, 3),
					}
					for c := range 3 {
						if r.IntN(9) == 0 {
							row[c] = parquet.NullValue().Level(0, 0, c)
						}
					}
					rows[i] = row
				}
				parts := batchesOf(t, layout, rows, rand.New(rand.NewPCG(uint64(k), 1)))
				runtime.GC()
				runtime.GC()
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				g, err := e.EncodeBatches(parts)
				runtime.ReadMemStats(&after)
				if err != nil {
					t.Fatal(err)
				}
				got := writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{g})
				g.Release()
				w, err := ref.EncodeBatches(parts)
				if err != nil {
					t.Fatal(err)
				}
				want := writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{w})
				if !bytes.Equal(got, want) {
					samePages(t, got, want)
					t.Fatalf("row group %d: page writer's file differs from parquet-go's (%d vs %d bytes)", k, len(got), len(want))
				}
				alloc := int64(after.TotalAlloc - before.TotalAlloc)
				t.Logf("row group %d: %d bytes, allocated %d (%.2fx)", k, len(got), alloc, float64(alloc)/float64(len(got)))
				if k >= 2 && encoding == sinks.EncodingPlain && alloc >= int64(len(got))/4 {
					t.Errorf("row group %d of %d bytes allocated %d bytes, want under a quarter", k, len(got), alloc)
				}
			}
		})
	}
}
