package sinks_test

import (
	"bytes"
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
