package splitter_test

import (
	"math/big"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// TestGroupKey checks GroupHasher against keys computed by Python's
// standard library, with the line docs/algorithm.md gives:
//
//	int.from_bytes(hmac.new(str(seed).encode(), canonical, "sha256").digest()[:8], "big")
func TestGroupKey(t *testing.T) {
	for _, tc := range []struct {
		seed      string
		canonical string
		want      uint64
	}{
		{"42", "\x00", 15114590306280900770}, // null
		{"42", "\x01user-17", 1924425340593012052},
		{"42", "\x0142", 15448060946277929301},
		{"340282366920938463463374607431768211457", "\x01true", 2843965191305952128},
		{"0", "\x01", 13173166289806993237}, // the empty string
	} {
		seed, _ := new(big.Int).SetString(tc.seed, 10)
		g := splitter.NewGroupHasher(seed)
		for range 2 { // a hasher is reusable
			if got := g.Key([]byte(tc.canonical)); got != tc.want {
				t.Errorf("seed %s, %q: key %d, want %d", tc.seed, tc.canonical, got, tc.want)
			}
		}
	}
}
