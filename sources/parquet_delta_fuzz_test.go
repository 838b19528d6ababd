package sources_test

import (
	"bytes"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/encoding/delta"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sources"
)

// FuzzDeltaLengthByteArray appends pages of DELTA_LENGTH_BYTE_ARRAY (or,
// prefixed, DELTA_BYTE_ARRAY) values of any bytes to a column of n rows,
// every nullEvery-th null: never a panic or an allocation by a count the
// bytes declare; a page read is a consistent column of n rows, and
// without nulls holds the values parquet-go's decoder reads, when it
// reads them.
func FuzzDeltaLengthByteArray(f *testing.F) {
	for _, n := range []int{0, 1, 33, 129} {
		for _, prefixed := range []bool{false, true} {
			vals := deltaStrings(n, false)
			var enc interface {
				EncodeByteArray(dst, src []byte, offsets []uint32) ([]byte, error)
			} = new(delta.LengthByteArrayEncoding)
			if prefixed {
				enc = new(delta.ByteArrayEncoding)
			}
			var data []byte
			offsets := []uint32{0}
			for _, v := range vals {
				data = append(data, v...)
				offsets = append(offsets, uint32(len(data)))
			}
			src, err := enc.EncodeByteArray(nil, data, offsets)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src, uint16(n), uint8(0), prefixed)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, n uint16, nullEvery uint8, prefixed bool) {
		col := &columnar.Column{Type: columnar.Type{Kind: parquet.ByteArray}}
		var defs []byte
		if nullEvery > 0 {
			col.MaxDef = 1
			defs = make([]byte, n)
			for r := range defs {
				if r%int(nullEvery) != 0 {
					defs[r] = 1
				}
			}
		}
		if err := sources.AppendDeltaLengths(col, int(n), defs, src, prefixed, nil); err != nil {
			return
		}
		if col.Rows() != int(n) || int(col.Offsets[len(col.Offsets)-1]) != len(col.Bytes) {
			t.Fatalf("%d rows, %d offsets to %d bytes, want %d rows", col.Rows(), len(col.Offsets), len(col.Bytes), n)
		}
		for r := 1; r < len(col.Offsets); r++ {
			if col.Offsets[r] < col.Offsets[r-1] || defs != nil && defs[r-1] == 0 && col.Offsets[r] != col.Offsets[r-1] {
				t.Fatalf("row %d: offsets %d then %d", r-1, col.Offsets[r-1], col.Offsets[r])
			}
		}
		if defs != nil {
			return
		}
		var data []byte
		var offsets []uint32
		var err error
		if prefixed {
			// parquet-go takes the suffixes from the end of the page's
			// bytes (for its AVX2 loop), the format and direct decoding
			// from after their lengths: compare pages without bytes past
			// the suffixes only.
			lengths := make([]int32, n)
			rest, _ := sources.DecodeDeltaInt32(lengths, src)
			rest, _ = sources.DecodeDeltaInt32(lengths, rest)
			total := 0
			for _, l := range lengths {
				total += int(l)
			}
			if total != len(rest) {
				return
			}
			data, offsets, err = new(delta.ByteArrayEncoding).DecodeByteArray(nil, src, nil)
		} else {
			data, offsets, err = new(delta.LengthByteArrayEncoding).DecodeByteArray(nil, src, nil)
		}
		if err != nil || len(offsets) != len(col.Offsets) {
			return // parquet-go refuses it, or reads other counts (n is the page's, here)
		}
		for r := range int(n) {
			if !bytes.Equal(col.Bytes[col.Offsets[r]:col.Offsets[r+1]], data[offsets[r]:offsets[r+1]]) {
				t.Fatalf("row %d: %q, parquet-go reads %q", r, col.Bytes[col.Offsets[r]:col.Offsets[r+1]], data[offsets[r]:offsets[r+1]])
			}
		}
	})
}

// FuzzDeltaBinaryPacked decodes n INT64s and INT32s from any bytes, as
// DELTA_BINARY_PACKED: never a panic or an allocation by a count the
// bytes declare, and, where parquet-go's decoder reads the same count,
// its values.
func FuzzDeltaBinaryPacked(f *testing.F) {
	var enc delta.BinaryPackedEncoding
	for _, kind := range []string{"ramp", "random", "mixed"} {
		for _, n := range []int{1, 33, 129} {
			src, err := enc.EncodeInt64(nil, deltaInts(kind, n))
			if err != nil {
				f.Fatal(err)
			}
			f.Add(src, uint16(n))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte, n uint16) {
		got := make([]int64, n)
		if _, err := sources.DecodeDeltaInt64(got, src); err == nil {
			if want, err := enc.DecodeInt64(nil, src); err == nil && len(want) == int(n) && !slices.Equal(got, want) {
				t.Fatalf("decoded %v, parquet-go %v", got, want)
			}
		}
		got32 := make([]int32, n)
		if _, err := sources.DecodeDeltaInt32(got32, src); err == nil {
			if want, err := enc.DecodeInt32(nil, src); err == nil && len(want) == int(n) && !slices.Equal(got32, want) {
				t.Fatalf("decoded %v as INT32s, parquet-go %v", got32, want)
			}
		}
	})
}
