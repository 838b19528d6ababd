package sinks_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/splitdata/splitdata/sinks"
)

// TestCompareBytes holds the page bounds' comparison of byte arrays to
// bytes.Compare: pairs of every length to 20, sharing prefixes of every
// length, over a small alphabet (so that prefixes of 8 bytes often tie)
// and bytes above 0x7f (which a signed comparison would misorder).
func TestCompareBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 3))
	alphabet := []byte{0, 1, 'a', 'b', 0x7f, 0x80, 0xff}
	word := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		return b
	}
	sign := func(c int) int { return min(max(c, -1), 1) }
	for range 20000 {
		x := word(r.IntN(21))
		y := append(bytes.Clone(x[:r.IntN(len(x)+1)]), word(r.IntN(12))...)
		if r.IntN(2) == 0 {
			x, y = y, x
		}
		if got, want := sign(sinks.CompareBytes(x, y)), bytes.Compare(x, y); got != want {
			t.Fatalf("compareBytes(%x, %x) = %d, want %d", x, y, got, want)
		}
	}
}

// TestByteArrayBounds holds a page's bounds of PLAIN byte arrays to those
// bytes.Compare finds: pages of 1 to 40 values of every length to 20 over
// a small alphabet with zero bytes (whose prefix keys tie with a shorter
// value's padding), the page's last values shorter than a word or not.
func TestByteArrayBounds(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	alphabet := []byte{0, 1, 'a', 0x80, 0xff}
	for range 5000 {
		var page []byte
		var lo, hi []byte
		for k := range 1 + r.IntN(40) {
			x := make([]byte, r.IntN(21))
			if r.IntN(3) == 0 {
				x = x[:min(len(x), r.IntN(3))]
			}
			for i := range x {
				x[i] = alphabet[r.IntN(len(alphabet))]
			}
			page = binary.LittleEndian.AppendUint32(page, uint32(len(x)))
			page = append(page, x...)
			if k == 0 || bytes.Compare(x, lo) < 0 {
				lo = x
			}
			if k == 0 || bytes.Compare(x, hi) > 0 {
				hi = x
			}
		}
		gotLo, gotHi := sinks.ByteArrayBounds(page)
		if !bytes.Equal(gotLo, lo) || !bytes.Equal(gotHi, hi) {
			t.Fatalf("bounds of page %x: %x, %x; want %x, %x", page, gotLo, gotHi, lo, hi)
		}
	}
}

// TestInt64Bounds holds a page's INT64 bounds to a plain loop's, for
// pages of every length to 40 values (odd and even counts) of values
// around zero and at the extremes.
func TestInt64Bounds(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	extremes := []int64{math.MinInt64, math.MaxInt64, 0, -1, 1}
	for range 2000 {
		n := 1 + r.IntN(40)
		var page []byte
		var lo, hi int64
		for k := range n {
			x := r.Int64N(1000) - 500
			if r.IntN(8) == 0 {
				x = extremes[r.IntN(len(extremes))]
			}
			page = binary.LittleEndian.AppendUint64(page, uint64(x))
			if k == 0 {
				lo, hi = x, x
			}
			lo, hi = min(lo, x), max(hi, x)
		}
		if gotLo, gotHi := sinks.Int64Bounds(page); gotLo != lo || gotHi != hi {
			t.Fatalf("bounds of %d values: %d, %d; want %d, %d", n, gotLo, gotHi, lo, hi)
		}
	}
}

// TestFloat64Bounds holds a page's DOUBLE bounds to a loop in order's,
// bit for bit: pages of every length to 40 values drawn from a few,
// with NaNs of two payloads, -0 and +0 (of equal bounds the first
// counts), infinities and the page's first values NaN.
func TestFloat64Bounds(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	values := []float64{math.NaN(), math.Float64frombits(math.Float64bits(math.NaN()) | 1), math.Copysign(0, -1), 0,
		1.5, -2.25, math.Inf(1), math.Inf(-1), 7}
	for range 5000 {
		n := 1 + r.IntN(40)
		var page []byte
		first := -1
		var lo, hi float64
		for k := range n {
			x := values[r.IntN(len(values))]
			if r.IntN(3) == 0 {
				x = r.NormFloat64()
			}
			page = binary.LittleEndian.AppendUint64(page, math.Float64bits(x))
			switch {
			case x != x:
			case first < 0:
				first, lo, hi = k, x, x
			default:
				if x < lo {
					lo = x
				}
				if x > hi {
					hi = x
				}
			}
		}
		if first < 0 {
			continue // all NaN: the page writer does not call it
		}
		gotLo, gotHi := sinks.Float64Bounds(page, 8*first)
		if gotLo != math.Float64bits(lo) || gotHi != math.Float64bits(hi) {
			t.Fatalf("bounds of %x: %x, %x; want %x, %x", page, gotLo, gotHi, math.Float64bits(lo), math.Float64bits(hi))
		}
	}
}
