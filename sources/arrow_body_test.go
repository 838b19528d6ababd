package sources_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/splitdata/splitdata/sources"
)

// compressedInts writes n int64 values 0..n-1 as one record batch with the
// given compression, in the file or stream format, and returns the data
// and the offset of the 8-byte uncompressed-length prefix of the values
// buffer (the one that declares n*8 bytes and is followed by a frame).
func compressedInts(t *testing.T, stream bool, n int, opt ipc.Option, magic []byte) ([]byte, int) {
	t.Helper()
	mem := memory.NewGoAllocator()
	b := array.NewInt64Builder(mem)
	defer b.Release()
	for i := range n {
		b.Append(int64(i))
	}
	arr := b.NewArray()
	defer arr.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(n))
	defer rec.Release()
	data := writeArrow(t, mem, stream, schema, []arrow.RecordBatch{rec}, opt)
	var pat [8]byte
	binary.LittleEndian.PutUint64(pat[:], uint64(n*8))
	at := bytes.Index(data, append(pat[:], magic...))
	if at < 0 || bytes.Contains(data[at+1:], append(pat[:], magic...)) {
		t.Fatalf("no single values buffer prefix in the %d bytes written", len(data))
	}
	return data, at
}

var (
	zstdMagic = []byte{0x28, 0xB5, 0x2F, 0xFD}
	lz4Magic  = []byte{0x04, 0x22, 0x4D, 0x18}
)

// TestArrowCompressedClaims makes the uncompressed-length prefix of a
// compressed buffer (or its zstd frame header) claim more than the
// buffer can hold: the source must refuse the record batch with an
// InputError naming it, before anything is allocated at the claimed size
// (100 GiB would end the process with a fatal out-of-memory error).
func TestArrowCompressedClaims(t *testing.T) {
	for _, tc := range []struct {
		name   string
		stream bool
		opt    ipc.Option
		magic  []byte
		patch  func(b []byte, at int)
		want   string
	}{
		{"zstd 100 GiB", false, ipc.WithZstd(), zstdMagic, func(b []byte, at int) {
			binary.LittleEndian.PutUint64(b[at:], 100<<30)
		}, "more than 1073741824 bytes"},
		{"zstd 100 MiB stream", true, ipc.WithZstd(), zstdMagic, func(b []byte, at int) {
			binary.LittleEndian.PutUint64(b[at:], 100<<20)
		}, "hold at most"},
		{"lz4 100 MiB", false, ipc.WithLZ4(), lz4Magic, func(b []byte, at int) {
			binary.LittleEndian.PutUint64(b[at:], 100<<20)
		}, "hold at most"},
		{"negative", false, ipc.WithZstd(), zstdMagic, func(b []byte, at int) {
			binary.LittleEndian.PutUint64(b[at:], 1<<63)
		}, "declares"},
		{"zstd window 1 GiB", false, ipc.WithZstd(), zstdMagic, func(b []byte, at int) {
			// A multi-segment frame header: no content size, window
			// descriptor exponent 20 (1 GiB).
			fhd := &b[at+12]
			*fhd &^= 0xE0
			b[at+13] = 20 << 3
		}, "window of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, at := compressedInts(t, tc.stream, 1000, tc.opt, tc.magic)
			tc.patch(data, at)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			src, err := sources.OpenArrow("hostile.arrow", bytes.NewReader(data), int64(len(data)), sources.WithAllocator(mem))
			if err == nil {
				defer src.Close()
				_, err = readAllUnits(t, src, 100)
			}
			var ie *sources.InputError
			if !errors.As(err, &ie) || !errors.Is(err, sources.ErrCorrupt) || ie.RowGroup != 0 {
				t.Fatalf("got %v, want an ErrCorrupt InputError at record batch 0", err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "hostile.arrow: record batch 0: ") || !strings.Contains(msg, tc.want) {
				t.Fatalf("message %q: want it to start with the file and record batch and contain %q", msg, tc.want)
			}
			if mem.CurrentAlloc() > 1<<20 {
				t.Fatalf("%d bytes still allocated", mem.CurrentAlloc())
			}
		})
	}
}

// TestArrowCompressedValid checks that the claims checks accept what
// arrow-go writes, including a buffer compressed past the 128 KiB of one
// zstd block and a batch with empty buffers.
func TestArrowCompressedValid(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opt   ipc.Option
		magic []byte
		n     int
	}{
		{"zstd", ipc.WithZstd(), zstdMagic, 100_000},
		{"lz4", ipc.WithLZ4(), lz4Magic, 100_000},
	} {
		for _, stream := range []bool{false, true} {
			data, _ := compressedInts(t, stream, tc.n, tc.opt, tc.magic)
			src, err := sources.OpenArrow("ok.arrow", bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			rows, err := readAllUnits(t, src, 1000)
			src.Close()
			if err != nil || len(rows) != tc.n {
				t.Fatalf("%s stream=%v: %d rows, %v", tc.name, stream, len(rows), err)
			}
			if got := rows[tc.n-1][0].Int64(); got != int64(tc.n-1) {
				t.Fatalf("%s: last value %d", tc.name, got)
			}
		}
	}
}
