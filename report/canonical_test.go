package report_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/splitdata/splitdata/report"
)

// canonicalSpec is the canonical encoding of a value as docs specify it
// (column as uvarint, repetition and definition levels, kind+1, 0 for a
// null, else 1, a byte array's length as uvarint, the value's bytes),
// written the plain way: the leak check's hashes, and so its examples,
// must never change with the fast encoder.
func canonicalSpec(b []byte, v parquet.Value) []byte {
	b = binary.AppendUvarint(b, uint64(v.Column()))
	b = append(b, byte(v.RepetitionLevel()), byte(v.DefinitionLevel()), byte(v.Kind()+1))
	if v.IsNull() {
		return append(b, 0)
	}
	b = append(b, 1)
	if k := v.Kind(); k == parquet.ByteArray || k == parquet.FixedLenByteArray {
		b = binary.AppendUvarint(b, uint64(len(v.ByteArray())))
	}
	return v.AppendBytes(b)
}

func TestAppendCanonical(t *testing.T) {
	long := []byte(strings.Repeat("x", 300))
	values := []struct {
		name string
		v    parquet.Value
	}{
		{"null", parquet.NullValue()},
		{"true", parquet.BooleanValue(true)},
		{"false", parquet.BooleanValue(false)},
		{"int32", parquet.Int32Value(-7)},
		{"int64", parquet.Int64Value(math.MinInt64)},
		{"float", parquet.FloatValue(float32(math.Inf(-1)))},
		{"float NaN", parquet.FloatValue(float32(math.NaN()))},
		{"double", parquet.DoubleValue(math.Copysign(0, -1))},
		{"double NaN", parquet.DoubleValue(math.NaN())},
		{"int96", parquet.Int96Value(deprecated.Int96{1, 2, 3})},
		{"empty bytes", parquet.ByteArrayValue(nil)},
		{"bytes", parquet.ByteArrayValue([]byte("héllo"))},
		{"long bytes", parquet.ByteArrayValue(long)},
		{"fixed", parquet.FixedLenByteArrayValue([]byte{1, 2, 3, 4})},
	}
	for _, tc := range values {
		for _, col := range []int{0, 5, 127, 128, 300} {
			for _, def := range []int{0, 1, 3} {
				v := tc.v.Level(0, def, col)
				got := report.AppendCanonical([]byte("pre"), v)
				want := canonicalSpec([]byte("pre"), v)
				if !bytes.Equal(got, want) {
					t.Errorf("%s, column %d, level %d: got %x, want %x", tc.name, col, def, got, want)
				}
			}
		}
	}
}

// TestSortRecords checks the leak check's bucket and radix sort against
// a comparison sort, on one goroutine and several, with equal hashes in
// several splits, files and rows, both kinds, hashes that differ only in
// their last bytes or only past their first 8, and buckets small, large
// (radix-sorted) and too large for the scratch buffer.
func TestSortRecords(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	pool := make([]uint64, 5000)
	for i := range pool {
		pool[i] = rng.Uint64()
	}
	for _, n := range []int{0, 1, 2, 100, 5000, 100_000, 600_000} {
		rs := make([]report.Record, n)
		for i := range rs {
			var h [16]byte
			switch rng.IntN(4) {
			case 0: // one of a few hashes: long runs
				h[0], h[15] = byte(rng.IntN(3)), byte(rng.IntN(2))
			case 1: // same first byte, differing at the end
				h[0] = 7
				binary.BigEndian.PutUint64(h[8:], rng.Uint64())
			case 2: // first 8 bytes shared: equal in radix-sorted buckets
				binary.BigEndian.PutUint64(h[:8], pool[rng.IntN(len(pool))])
				binary.BigEndian.PutUint64(h[8:], rng.Uint64()%3)
				if rng.IntN(2) == 0 { // only the first 4 shared
					binary.BigEndian.PutUint32(h[4:], rng.Uint32())
				}
			default:
				binary.BigEndian.PutUint64(h[:8], rng.Uint64())
				binary.BigEndian.PutUint64(h[8:], rng.Uint64())
			}
			rs[i] = report.NewRecord(h, uint8(rng.IntN(2)), uint16(rng.IntN(3)), uint32(rng.IntN(4)), rng.Uint64N(1000))
		}
		for _, workers := range []int{1, 3} {
			if !report.SortRecordsMatches(slices.Clone(rs), workers) {
				t.Errorf("%d records, %d workers: bucket sort differs from the comparison sort", n, workers)
			}
		}
	}
}
