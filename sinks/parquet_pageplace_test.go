package sinks_test

import (
	"bytes"
	"hash/crc32"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/parquet-go/parquet-go/encoding/thrift"

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
