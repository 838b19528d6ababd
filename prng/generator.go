package prng

import (
	"fmt"
	"math"
	"math/bits"
)

// Generator is numpy.random.Generator over a [PCG64] bit generator: every
// method returns the numbers NumPy's method of the same name returns for the
// same bit generator state, and leaves the bit generator in the same state.
// NewGenerator(p) is numpy.random.Generator(p); [DefaultRNG](seed) is
// numpy.random.default_rng(seed).
//
// A Generator draws from its bit generator, which it shares with the caller;
// like the bit generator it must not be used by several goroutines at once.
type Generator struct {
	bg *PCG64
	// The ziggurat tables, fetched on first use: reading them through
	// sync.OnceValue on every draw costs a quarter of a normal draw.
	nor, expo *zigTables
}

// NewGenerator returns a Generator that draws from bg (not a copy): draws
// through the Generator and directly from bg interleave, as in NumPy. It
// panics if bg is nil.
func NewGenerator(bg *PCG64) *Generator {
	if bg == nil {
		panic("prng: NewGenerator called with a nil bit generator")
	}
	return &Generator{bg: bg}
}

// DefaultRNG returns numpy.random.default_rng(seed), that is
// Generator(PCG64(seed)). The seed is any [SeedValue], as for [NewPCG64].
// It returns an error wrapping [ErrNilEntropy] or [ErrNegativeEntropy] for a
// nil or negative integer, and a *[SeedError] for text that is not a seed.
func DefaultRNG[T SeedValue](seed T) (*Generator, error) {
	p, err := NewPCG64(seed)
	if err != nil {
		return nil, fmt.Errorf("prng: default rng: %w", err)
	}
	return NewGenerator(p), nil
}

// BitGenerator returns the bit generator the Generator draws from
// (Generator.bit_generator in NumPy).
func (g *Generator) BitGenerator() *PCG64 { return g.bg }

// Random returns a float64 in [0, 1), numpy's rng.random(): the top 53 bits
// of one 64-bit draw times 2^-53.
func (g *Generator) Random() float64 {
	return float64(g.bg.Uint64()>>11) * (1.0 / (1 << 53))
}

// Integers returns an int64 in [low, high), numpy's rng.integers(low, high)
// with the default int64 dtype; see [Generator.IntegersClosed] for how the
// draw is made. Integers panics if low >= high, where NumPy raises
// ValueError. The full int64 span, which NumPy writes with high = 2^63, is
// IntegersClosed(math.MinInt64, math.MaxInt64).
func (g *Generator) Integers(low, high int64) int64 {
	if low >= high {
		panic(fmt.Sprintf("prng: Integers called with low %d >= high %d", low, high))
	}
	// high-1-low, exact in two's complement.
	return int64(uint64(low) + g.bounded(uint64(high)-uint64(low)-1))
}

// IntegersClosed returns an int64 in [low, high], numpy's
// rng.integers(low, high, endpoint=True) with the default int64 dtype. As in
// NumPy's random_bounded_uint64_fill, with rng = high-low: rng = 0 draws
// nothing; rng = 2^32-1 takes one buffered 32-bit draw ([PCG64.Uint32]); a
// smaller rng uses Lemire's multiply-and-reject on buffered 32-bit draws;
// rng = 2^64-1 (the full int64 span) is one raw 64-bit draw; any other rng
// uses Lemire's method on 64-bit draws. IntegersClosed panics if low > high,
// where NumPy raises ValueError.
func (g *Generator) IntegersClosed(low, high int64) int64 {
	if low > high {
		panic(fmt.Sprintf("prng: IntegersClosed called with low %d > high %d", low, high))
	}
	return int64(uint64(low) + g.bounded(uint64(high)-uint64(low)))
}

// bounded returns a uniform value in [0, rng] drawn exactly as NumPy's
// random_bounded_uint64_fill does for one value with use_masked=False.
func (g *Generator) bounded(rng uint64) uint64 {
	switch {
	case rng == 0:
		return 0
	case rng == math.MaxUint32:
		return uint64(g.bg.Uint32())
	case rng < math.MaxUint32:
		return uint64(g.lemire32(uint32(rng)))
	case rng == math.MaxUint64:
		return g.bg.Uint64()
	default:
		return g.lemire64(rng)
	}
}

// lemire32 is NumPy's buffered_bounded_lemire_uint32: a uniform value in
// [0, rng] from 32-bit draws, rng < 2^32-1.
func (g *Generator) lemire32(rng uint32) uint32 {
	excl := rng + 1
	m := uint64(g.bg.Uint32()) * uint64(excl)
	if leftover := uint32(m); leftover < excl {
		threshold := (math.MaxUint32 - rng) % excl
		for leftover < threshold {
			m = uint64(g.bg.Uint32()) * uint64(excl)
			leftover = uint32(m)
		}
	}
	return uint32(m >> 32)
}

// lemire64 is NumPy's bounded_lemire_uint64: a uniform value in [0, rng]
// from 64-bit draws, rng < 2^64-1.
func (g *Generator) lemire64(rng uint64) uint64 {
	excl := rng + 1
	hi, leftover := bits.Mul64(g.bg.Uint64(), excl)
	if leftover < excl {
		threshold := (math.MaxUint64 - rng) % excl
		for leftover < threshold {
			hi, leftover = bits.Mul64(g.bg.Uint64(), excl)
		}
	}
	return hi
}

// interval is NumPy's random_interval: a uniform value in [0, max] by
// masked rejection (see maskedInterval).
func (g *Generator) interval(max uint64) uint64 { return maskedInterval(g.bg, max) }

// Shuffle permutes n elements the way numpy's rng.shuffle(x) permutes a
// one-dimensional array x of length n: for i from n-1 down to 1 it draws j
// uniform in [0, i] by masked rejection and calls swap(i, j), also when
// j == i. Shuffle panics if n < 0.
func (g *Generator) Shuffle(n int, swap func(i, j int)) {
	if n < 0 {
		panic("prng: Shuffle called with negative n")
	}
	shuffleBy(n, g.interval, swap)
}

// Permutation returns numpy's rng.permutation(n): 0, 1, ..., n-1 shuffled
// by [Generator.Shuffle]. It panics if n < 0.
func (g *Generator) Permutation(n int) []int {
	if n < 0 {
		panic("prng: Permutation called with negative n")
	}
	return permutationBy(n, g.interval)
}

// wordSource is a bit generator with NumPy's 32- and 64-bit draws.
type wordSource interface {
	Uint32() uint32
	Uint64() uint64
}

// maskedInterval is the masked rejection NumPy's Generator (random_interval)
// and legacy RandomState (use_masked=True) share: a uniform value in
// [0, max] from 32-bit draws of src when max < 2^32, 64-bit draws otherwise.
func maskedInterval[S wordSource](src S, max uint64) uint64 {
	if max == 0 {
		return 0
	}
	mask := uint64(math.MaxUint64) >> bits.LeadingZeros64(max)
	if max <= math.MaxUint32 {
		for {
			if v := uint64(src.Uint32()) & mask; v <= max {
				return v
			}
		}
	}
	for {
		if v := src.Uint64() & mask; v <= max {
			return v
		}
	}
}

// shuffleBy is NumPy's Fisher-Yates shuffle of n >= 0 elements: for i from
// n-1 down to 1, swap(i, interval(i)), also when they are equal.
func shuffleBy(n int, interval func(uint64) uint64, swap func(i, j int)) {
	for i := n - 1; i >= 1; i-- {
		swap(i, int(interval(uint64(i))))
	}
}

// permutationBy returns 0, 1, ..., n-1 (n >= 0) shuffled by shuffleBy.
func permutationBy(n int, interval func(uint64) uint64) []int {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	shuffleBy(n, interval, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}

// StandardNormal returns numpy's rng.standard_normal(), drawn with NumPy's
// 256-layer ziggurat: one 64-bit draw gives the layer (low 8 bits), the sign
// (next bit) and a 52-bit magnitude; about 99% of draws return at once. The
// rest test the wedge against exp(-x*x/2) or, in the base layer, sample the
// tail beyond r = 3.654... with log1p. Tail values (about 1 draw in 4000)
// use math.Log1p where NumPy uses the C library's log1p; see docs/prng.md
// for how rarely they differ in the last bit.
func (g *Generator) StandardNormal() float64 {
	t := g.nor
	if t == nil {
		t = normalTables()
		g.nor = t
	}
	for {
		r := g.bg.Uint64()
		idx := r & 0xff
		r >>= 8
		neg := r&1 != 0
		rabs := (r >> 1) & (1<<52 - 1)
		x := float64(rabs) * t.w[idx]
		if neg {
			x = -x
		}
		if rabs < t.k[idx] {
			return x
		}
		if v, ok := g.normalUnlikely(t, idx, rabs, x); ok {
			return v
		}
	}
}

// normalUnlikely finishes the 1% of normal draws that miss the fast path:
// the tail of the base layer (always accepted) or the wedge test of layer
// idx. It is kept out of StandardNormal so that the fast path stays small.
func (g *Generator) normalUnlikely(t *zigTables, idx, rabs uint64, x float64) (float64, bool) {
	if idx == 0 {
		for {
			// 1-U rather than U avoids log(0), as in NumPy (gh-13361).
			xx := -zigNorInvR * math.Log1p(-g.Random())
			yy := -math.Log1p(-g.Random())
			if yy+yy > xx*xx {
				if (rabs>>8)&1 != 0 {
					return -(zigNorR + xx), true
				}
				return zigNorR + xx, true
			}
		}
	}
	// float64() keeps the product rounded, forbidding a fused
	// multiply-add that C compilers do not emit here either.
	return x, lessThanExp(float64((t.f[idx-1]-t.f[idx])*g.Random())+t.f[idx], -0.5*x*x)
}

// StandardExponential returns numpy's rng.standard_exponential() (the
// default method "zig"), drawn with NumPy's 256-layer ziggurat: of one
// 64-bit draw the low 3 bits are dropped, the next 8 give the layer and the
// top 53 the magnitude. Rejected draws start over; the tail beyond
// r = 7.697... is r - log1p(-U), with the same caveat on log1p as
// [Generator.StandardNormal].
func (g *Generator) StandardExponential() float64 {
	t := g.expo
	if t == nil {
		t = exponentialTables()
		g.expo = t
	}
	for {
		ri := g.bg.Uint64() >> 3
		idx := ri & 0xff
		ri >>= 8
		x := float64(ri) * t.w[idx]
		if ri < t.k[idx] {
			return x
		}
		if idx == 0 {
			return zigExpR - math.Log1p(-g.Random())
		}
		if lessThanExp(float64((t.f[idx-1]-t.f[idx])*g.Random())+t.f[idx], -x) {
			return x
		}
	}
}

// lessThanExp reports whether y < exp(a), with exp(a) correctly rounded to a
// double, for the wedge tests of the ziggurats. NumPy calls the C library's
// exp there; glibc's is correctly rounded on all but a few arguments in ten
// thousand, while math.Exp is off by one ulp on about one in eight (and on
// amd64 its result depends on whether the CPU has FMA). As the outcome can
// only depend on the last bits when y is within a few ulps of exp(a), that
// rare case is settled with an exp computed in high precision; every other
// draw pays for one math.Exp.
func lessThanExp(y, a float64) bool {
	e := math.Exp(a)
	if d := y - e; math.Abs(d) > e*0x1p-46 { // 64 to 128 ulps: far beyond math.Exp's error
		return d < 0
	}
	return y < roundedExp(a)
}

// Triangular returns numpy's rng.triangular(left, mode, right), by inverting
// the distribution function on one [Generator.Random] draw. Like NumPy it
// requires left <= mode <= right and left < right, and panics otherwise
// (NumPy raises ValueError); NaN arguments pass through to a NaN result, as
// in NumPy.
func (g *Generator) Triangular(left, mode, right float64) float64 {
	checkTriangular(left, mode, right)
	return triangular(left, mode, right, g.Random())
}

// checkTriangular panics, as Triangular documents, unless left <= mode <=
// right and left < right.
func checkTriangular(left, mode, right float64) {
	switch {
	case left > mode:
		panic(fmt.Sprintf("prng: Triangular called with left %v > mode %v", left, mode))
	case mode > right:
		panic(fmt.Sprintf("prng: Triangular called with mode %v > right %v", mode, right))
	case left == right:
		panic(fmt.Sprintf("prng: Triangular called with left == right == %v", left))
	}
}

// triangular inverts the triangular distribution function at u in [0, 1),
// with NumPy's arithmetic (the legacy and the new generator share it).
func triangular(left, mode, right, u float64) float64 {
	base := right - left
	leftBase := mode - left
	ratio := leftBase / base
	leftProd := leftBase * base
	rightProd := (right - mode) * base
	if u <= ratio {
		return left + math.Sqrt(u*leftProd)
	}
	return right - math.Sqrt((1.0-u)*rightProd)
}
