package prng_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

// defaultRNG returns prng.DefaultRNG of a decimal seed from the vectors.
func defaultRNG(t testing.TB, seed string) *prng.Generator {
	t.Helper()
	g, err := prng.DefaultRNG(bigInt(t, seed))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// checkFloats compares floats bit for bit, so that -0 and 0 differ.
func checkFloats(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range want {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Errorf("%s[%d] = %v (%#x), want %v (%#x)", what, i,
				got[i], math.Float64bits(got[i]), want[i], math.Float64bits(want[i]))
		}
	}
}

// draw calls f n times.
func draw[T any](n int, f func() T) []T {
	out := make([]T, n)
	for i := range out {
		out[i] = f()
	}
	return out
}

// TestGenerator replays every Generator vector: each block starts from
// default_rng(seed), as in gen_vectors.py, and blocks that end with a state
// check that the bit generator, including its 32-bit buffer, ends where
// NumPy's does.
func TestGenerator(t *testing.T) {
	for _, v := range loadVectors(t).Generator {
		t.Run(v.Name, func(t *testing.T) {
			t.Run("Random", func(t *testing.T) {
				g := defaultRNG(t, v.Seed)
				checkFloats(t, "Random", draw(len(v.Random), g.Random), v.Random)
			})
			t.Run("Integers", func(t *testing.T) {
				g := defaultRNG(t, v.Seed) // one generator across all ranges
				for _, r := range v.Integers {
					got := draw(len(r.Values), func() int64 { return g.Integers(r.Low, r.High) })
					if !slices.Equal(got, r.Values) {
						t.Errorf("Integers(%d, %d) = %v, want %v", r.Low, r.High, got, r.Values)
					}
				}
				checkState(t, g.BitGenerator(), v.IntegersState)
			})
			t.Run("IntegersClosed", func(t *testing.T) {
				g := defaultRNG(t, v.Seed)
				for _, r := range v.IntegersClosed {
					got := draw(len(r.Values), func() int64 { return g.IntegersClosed(r.Low, r.High) })
					if !slices.Equal(got, r.Values) {
						t.Errorf("IntegersClosed(%d, %d) = %v, want %v", r.Low, r.High, got, r.Values)
					}
				}
				checkState(t, g.BitGenerator(), v.IntegersClosedState)
			})
			t.Run("IntegersReject", func(t *testing.T) {
				g := defaultRNG(t, v.Seed) // ranges where Lemire's method retries often
				for _, r := range v.IntegersReject {
					got := draw(len(r.Values), func() int64 { return g.Integers(r.Low, r.High) })
					if !slices.Equal(got, r.Values) {
						t.Errorf("Integers(%d, %d) = %v, want %v", r.Low, r.High, got, r.Values)
					}
				}
				checkState(t, g.BitGenerator(), v.IntegersRejectState)
			})
			t.Run("Permutation", func(t *testing.T) {
				g := defaultRNG(t, v.Seed)
				for _, p := range v.Permutations {
					if got := g.Permutation(p.N); !slices.Equal(got, p.Values) {
						t.Errorf("Permutation(%d) = %v, want %v", p.N, got, p.Values)
					}
				}
				checkState(t, g.BitGenerator(), v.PermutationsState)
			})
			t.Run("Shuffle", func(t *testing.T) {
				g := defaultRNG(t, v.Seed)
				for _, want := range v.Shuffle {
					// The unshuffled items sort back into place: item00, item01, ...
					got := slices.Sorted(slices.Values(want))
					g.Shuffle(len(got), func(i, j int) { got[i], got[j] = got[j], got[i] })
					if !slices.Equal(got, want) {
						t.Errorf("Shuffle of %d items = %v, want %v", len(want), got, want)
					}
				}
				checkState(t, g.BitGenerator(), v.ShuffleState)
			})
			t.Run("StandardNormal", func(t *testing.T) {
				g := defaultRNG(t, v.Seed)
				checkFloats(t, "StandardNormal", draw(len(v.StandardNormal), g.StandardNormal), v.StandardNormal)
			})
			t.Run("StandardExponential", func(t *testing.T) {
				g := defaultRNG(t, v.Seed)
				checkFloats(t, "StandardExponential",
					draw(len(v.StandardExponential), g.StandardExponential), v.StandardExponential)
			})
			t.Run("Triangular", func(t *testing.T) {
				g := defaultRNG(t, v.Seed)
				for _, tr := range v.Triangular {
					got := draw(len(tr.Values), func() float64 { return g.Triangular(tr.Left, tr.Mode, tr.Right) })
					checkFloats(t, fmt.Sprintf("Triangular(%v, %v, %v)", tr.Left, tr.Mode, tr.Right), got, tr.Values)
				}
			})
		})
	}
}

// TestKnownPermutation checks the fact quoted in issue 3, which
// gen_vectors.py also asserts against NumPy:
// default_rng(42).permutation(10) is [5 6 0 7 3 2 4 9 1 8].
func TestKnownPermutation(t *testing.T) {
	g, err := prng.DefaultRNG(big.NewInt(42))
	if err != nil {
		t.Fatal(err)
	}
	want := []int{5, 6, 0, 7, 3, 2, 4, 9, 1, 8}
	if got := g.Permutation(10); !slices.Equal(got, want) {
		t.Errorf("DefaultRNG(42).Permutation(10) = %v, want %v", got, want)
	}
}

// TestLongRuns compares SHA-256 digests of 10^5 draws with NumPy's: enough
// draws to pass through every ziggurat layer, the wedges and the tails.
func TestLongRuns(t *testing.T) {
	for _, v := range loadVectors(t).LongRuns {
		t.Run(v.Dist+"/"+v.Seed, func(t *testing.T) {
			g := defaultRNG(t, v.Seed)
			h := sha256.New()
			buf := make([]byte, 0, 8*v.N)
			switch v.Dist {
			case "standard_normal", "standard_exponential":
				f := g.StandardNormal
				if v.Dist == "standard_exponential" {
					f = g.StandardExponential
				}
				vals := draw(v.N, f)
				checkFloats(t, "first", vals[:len(v.First)], v.First)
				for _, x := range vals {
					buf = binary.LittleEndian.AppendUint64(buf, math.Float64bits(x))
				}
			case "permutation":
				for _, x := range g.Permutation(v.N) {
					buf = binary.LittleEndian.AppendUint64(buf, uint64(x))
				}
			default:
				t.Fatalf("unknown distribution %q in vectors", v.Dist)
			}
			h.Write(buf)
			if got := hex.EncodeToString(h.Sum(nil)); got != v.SHA256 {
				t.Errorf("SHA-256 of %d draws = %s, want %s", v.N, got, v.SHA256)
			}
			checkState(t, g.BitGenerator(), v.State)
		})
	}
}

// TestGeneratorSharesBitGenerator checks that a Generator draws from the bit
// generator it was given, not a copy, as numpy.random.Generator(bg) does.
func TestGeneratorSharesBitGenerator(t *testing.T) {
	p := newPCG64(t, 3)
	q := *p
	g := prng.NewGenerator(p)
	g.Random()
	q.Uint64()
	if prng.RawState(p) != prng.RawState(&q) {
		t.Error("Random did not advance the shared bit generator by one step")
	}
	if g.BitGenerator() != p {
		t.Error("BitGenerator() is not the generator passed to NewGenerator")
	}
}

// TestGeneratorPanics checks the documented panics on caller bugs, where
// NumPy raises ValueError.
func TestGeneratorPanics(t *testing.T) {
	tests := []struct {
		name string
		call func(g *prng.Generator)
	}{
		{"Integers low == high", func(g *prng.Generator) { g.Integers(3, 3) }},
		{"Integers low > high", func(g *prng.Generator) { g.Integers(4, 3) }},
		{"IntegersClosed low > high", func(g *prng.Generator) { g.IntegersClosed(4, 3) }},
		{"Permutation negative", func(g *prng.Generator) { g.Permutation(-1) }},
		{"Shuffle negative", func(g *prng.Generator) { g.Shuffle(-1, func(i, j int) {}) }},
		{"Triangular left > mode", func(g *prng.Generator) { g.Triangular(2, 1, 3) }},
		{"Triangular mode > right", func(g *prng.Generator) { g.Triangular(0, 4, 3) }},
		{"Triangular left == right", func(g *prng.Generator) { g.Triangular(1, 1, 1) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", tt.name)
				}
			}()
			tt.call(prng.NewGenerator(newPCG64(t, 1)))
		})
	}
}
