package prng_test

import (
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

// NumPy does not expose its ziggurat tables, so gen_vectors.py reveals them
// by forcing the next outputs of PCG64 and watching what the distribution
// methods return: a magnitude of 1 returns w exactly, a bisection on the
// magnitude finds where the fast path ends (k), and a bisection on the
// second output finds where the wedge test flips (which pins f). The tests
// below build the same forced states and check our computed tables and
// methods against NumPy's answers.

// pcgMul is the PCG64 multiplier, 2549297995355413924 * 2^64 + 4865540595714422341.
var (
	pcgMul = u128(2549297995355413924, 4865540595714422341)
	two128 = new(big.Int).Lsh(big.NewInt(1), 128)
)

// forcer builds PCG64 states whose next one or two outputs are chosen, as
// forced_state in gen_vectors.py does: with the top six bits of the state
// zero, XSL-RR does not rotate and the output is high ^ low.
type forcer struct {
	h1, h2 uint64
	inc    *big.Int
	mulInv *big.Int
}

func newForcer(t *testing.T) *forcer {
	t.Helper()
	f := loadVectors(t).Force
	return &forcer{
		h1:     f.H1,
		h2:     f.H2,
		inc:    bigInt(t, f.Inc),
		mulInv: new(big.Int).ModInverse(pcgMul, two128),
	}
}

// force returns a generator whose next outputs are out1 and then out2, and
// the states after one and after two steps, to count the outputs a draw uses.
func (f *forcer) force(t *testing.T, out1, out2 uint64) (p *prng.PCG64, after1, after2 [4]uint64) {
	t.Helper()
	s1 := u128(f.h1, f.h1^out1)
	h2 := f.h2&^1 | (out2^f.h1^out1^1)&1 // makes the increment odd
	s2 := u128(h2, h2^out2)
	inc := new(big.Int).Mul(s1, pcgMul)
	inc.Sub(s2, inc).Mod(inc, two128)
	prev := new(big.Int).Sub(s1, inc)
	prev.Mul(prev, f.mulInv).Mod(prev, two128)
	state := fmt.Sprintf(`{"bit_generator":"PCG64","state":{"state":%s,"inc":%s},"has_uint32":0,"uinteger":0}`, prev, inc)
	p = loadState(t, state)
	q := *p
	if got := q.Uint64(); got != out1 {
		t.Fatalf("forced first output %#x, want %#x", got, out1)
	}
	after1 = prng.RawState(&q)
	if got := q.Uint64(); got != out2 {
		t.Fatalf("forced second output %#x, want %#x", got, out2)
	}
	after2 = prng.RawState(&q)
	return p, after1, after2
}

// outputsUsed draws once with method and reports the value and whether it
// used one, two or more than two 64-bit outputs.
func (f *forcer) draw(t *testing.T, method string, out1, out2 uint64) (v float64, used int) {
	t.Helper()
	p, after1, after2 := f.force(t, out1, out2)
	g := prng.NewGenerator(p)
	if method == "standard_normal" {
		v = g.StandardNormal()
	} else {
		v = g.StandardExponential()
	}
	switch prng.RawState(p) {
	case after1:
		return v, 1
	case after2:
		return v, 2
	}
	return v, 3
}

// zigLayout describes how one 64-bit output becomes a layer index and a
// magnitude in NumPy's two ziggurats.
var zigLayout = map[string]struct {
	bits int // magnitude bits
	word func(idx int, m uint64) uint64
}{
	// Layer in bits 0-7, sign in bit 8, magnitude in bits 9-60.
	"standard_normal": {52, func(idx int, m uint64) uint64 { return m<<9 | uint64(idx) }},
	// Bits 0-2 unused, layer in bits 3-10, magnitude in bits 11-63.
	"standard_exponential": {53, func(idx int, m uint64) uint64 { return m<<11 | uint64(idx)<<3 }},
}

// TestZigguratTables compares the computed widths w and fast-path bounds k
// with those NumPy reveals.
func TestZigguratTables(t *testing.T) {
	for dist, want := range loadVectors(t).Ziggurat {
		t.Run(dist, func(t *testing.T) {
			k, w, _ := prng.ZigTables(dist)
			if len(want.W) != len(w) || len(want.K) != len(k) {
				t.Fatalf("vectors have %d w and %d k, want %d", len(want.W), len(want.K), len(w))
			}
			top := uint64(1) << zigLayout[dist].bits
			for i := range w {
				if w[i] != want.W[i] {
					t.Errorf("w[%d] = %v, want %v", i, w[i], want.W[i])
				}
				// NumPy can only show k up to the largest magnitude + 1.
				if got := min(k[i], top); got != want.K[i] {
					t.Errorf("k[%d] = %d, want %d", i, got, want.K[i])
				}
			}
		})
	}
}

// TestZigguratWedges checks, for a draw inside the wedge of every layer,
// that the uniform at which our method starts to reject is NumPy's, with the
// fast path bounds at NumPy's place too. This pins f and the exp used
// against it.
func TestZigguratWedges(t *testing.T) {
	f := newForcer(t)
	for dist, want := range loadVectors(t).Ziggurat {
		t.Run(dist, func(t *testing.T) {
			lay := zigLayout[dist]
			for _, wv := range want.Wedge {
				word := lay.word(wv.Idx, wv.M)
				if wv.U53 > 0 {
					if _, used := f.draw(t, dist, word, (wv.U53-1)<<11); used != 2 {
						t.Errorf("layer %d, m %d: uniform %d rejected; NumPy accepts it", wv.Idx, wv.M, wv.U53-1)
					}
				}
				if wv.U53 < 1<<53 {
					if _, used := f.draw(t, dist, word, wv.U53<<11); used != 3 {
						t.Errorf("layer %d, m %d: uniform %d accepted; NumPy rejects it", wv.Idx, wv.M, wv.U53)
					}
				}
			}
			// The fast path ends at k: magnitude k-1 uses one output, k more.
			for idx, k := range want.K {
				if k > 0 {
					if _, used := f.draw(t, dist, lay.word(idx, k-1), 0); used != 1 {
						t.Errorf("layer %d: magnitude %d left the fast path", idx, k-1)
					}
				}
				if k < 1<<lay.bits {
					if _, used := f.draw(t, dist, lay.word(idx, k), 0); used == 1 {
						t.Errorf("layer %d: magnitude %d stayed on the fast path", idx, k)
					}
				}
			}
		})
	}
}

// TestZigguratTails checks draws from the tails against NumPy, with the
// uniform of the tail formula forced: normal r + xx with xx from log1p (and
// the acceptance uniform taken from the stream), exponential r - log1p(-U).
func TestZigguratTails(t *testing.T) {
	f := newForcer(t)
	for dist, tails := range loadVectors(t).Tails {
		t.Run(dist, func(t *testing.T) {
			lay := zigLayout[dist]
			for i, tv := range tails {
				word := lay.word(0, tv.M)
				if dist == "standard_normal" {
					word |= uint64(i&2) << 7 // the sign bit, as in gen_vectors.py
				}
				got, _ := f.draw(t, dist, word, tv.U53<<11)
				if math.Float64bits(got) != math.Float64bits(tv.Value) {
					t.Errorf("tail draw %d (m %d, uniform %d) = %v, want %v", i, tv.M, tv.U53, got, tv.Value)
				}
			}
		})
	}
}

// TestLessThanExp checks that the wedge comparison agrees with a correctly
// rounded exp both on its fast path (far from exp(a)) and in the band it
// settles in high precision, over the arguments both ziggurats use.
func TestLessThanExp(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4)) // any fixed seed: the property holds for all a
	n := 300
	if testing.Short() {
		n = 50
	}
	for range n {
		a := -30 * r.Float64()
		e := prng.RoundedExp(a)
		for _, steps := range []int{-1000, -129, -65, -3, -1, 0, 1, 2, 64, 128, 1000} {
			y := e
			for range abs(steps) {
				y = math.Nextafter(y, float64(steps))
			}
			if got, want := prng.LessThanExp(y, a), steps < 0; got != want {
				t.Errorf("LessThanExp(exp(%v) %+d ulps, %v) = %v, want %v", a, steps, a, got, want)
			}
		}
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
