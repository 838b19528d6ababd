package splitter_test

import (
	"errors"
	"math/big"
	"testing"

	"github.com/splitdata/splitdata/prng"
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

// TestNewAssigner: the exact and approximate assigners it builds agree with
// the ones built by hand, and it reports unassigned rows and misuse.
func TestNewAssigner(t *testing.T) {
	gen, _ := prng.NewPCG64(big.NewInt(5))
	const n = 1000
	keys := make([]uint64, n)
	g := *gen
	g.Fill(keys)
	splits, _ := splitter.ParseSizes("a=300,b=500")
	a, unassigned, err := splitter.NewAssigner(t.Context(), gen, splits, n, false, 2)
	if err != nil || unassigned != 200 {
		t.Fatalf("exact: unassigned %d, err %v", unassigned, err)
	}
	bounds, _ := splitter.ExactBoundaries(t.Context(), gen, n, []int64{300, 500}, 1)
	got, want := make([]uint8, n), make([]uint8, n)
	a.Assign(keys, 0, got)
	splitter.NewExactAssigner(bounds, 2).Assign(keys, 0, want)
	if string(got) != string(want) {
		t.Error("exact assigner differs from ExactBoundaries + NewExactAssigner")
	}
	ratios, _ := splitter.ParseRatios("a=0.3,b=0.7")
	a, _, err = splitter.NewAssigner(t.Context(), gen, ratios, n, true, 1)
	if err != nil {
		t.Fatal(err)
	}
	manual, _ := splitter.NewApproxAssigner([]float64{0.3, 0.7})
	a.Assign(keys, 0, got)
	manual.Assign(keys, 0, want)
	if string(got) != string(want) {
		t.Error("approximate assigner differs from NewApproxAssigner")
	}
	if _, _, err := splitter.NewAssigner(t.Context(), gen, splits, n, true, 1); !errors.Is(err, splitter.ErrUsage) {
		t.Errorf("approx with counts: err = %v, want ErrUsage", err)
	}
}
