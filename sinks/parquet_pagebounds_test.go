package sinks_test

import (
	"bytes"
	"encoding/binary"
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
