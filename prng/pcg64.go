package prng

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
)

// The PCG64 multiplier, PCG_DEFAULT_MULTIPLIER_128 in NumPy's
// numpy/random/src/pcg64/pcg64.h (numpy/numpy@1f90bbb5), from O'Neill's
// PCG reference implementation: 2549297995355413924 * 2^64 + 4865540595714422341.
const (
	mulHi = 2549297995355413924
	mulLo = 4865540595714422341
)

// PCG64 is NumPy's PCG64 bit generator: a 128-bit linear congruential
// generator with an odd increment chosen by the seed, whose 64-bit outputs are
// the XSL-RR permutation of the state (the high and low halves xored, rotated
// right by the top six bits). NumPy steps first and outputs the new state.
//
// NewPCG64(seed) equals numpy.random.PCG64(seed): [PCG64.Uint64] gives the
// numbers of bit_generator.random_raw(), [PCG64.Uint32] those of NumPy's
// internal next_uint32 including its buffering of the unused high half, and
// [PCG64.Advance] and [PCG64.Jumped] match advance and jumped.
//
// PCG64 is a small value type: copying it (q := *p) forks an independent
// generator that continues from the same state. A PCG64 must not be used by
// several goroutines at once. The zero value is a valid but unseeded state
// (state 0, increment 0) that no NumPy seed produces; create generators with
// [NewPCG64] or [NewPCG64FromSeedSequence].
type PCG64 struct {
	hi, lo       uint64 // 128-bit state
	incHi, incLo uint64 // 128-bit increment, odd once seeded
	hasUint32    bool   // NumPy's has_uint32: uinteger holds an unused half
	uinteger     uint32 // NumPy's uinteger: the buffered high half
}

var _ rand.Source = (*PCG64)(nil)

// NewPCG64 returns numpy.random.PCG64(seed): the generator seeded from
// SeedSequence(seed). The seed is a [Seed], its text (hashed unless it is a
// decimal integer, as for --seed), or a non-negative integer of any size:
// NewPCG64(42), NewPCG64(big.NewInt(42)) and NewPCG64(prng.Seed("42")) are
// the same generator. It returns an error wrapping [ErrNilEntropy] or
// [ErrNegativeEntropy] for a nil or negative integer, and a *[SeedError]
// for text that is not a seed.
func NewPCG64[T SeedValue](seed T) (*PCG64, error) {
	v, err := bigSeed(seed)
	if err != nil {
		return nil, fmt.Errorf("prng: new pcg64: %w", err)
	}
	s, err := NewSeedSequence(v)
	if err != nil {
		return nil, fmt.Errorf("prng: new pcg64: %w", err)
	}
	return NewPCG64FromSeedSequence(s), nil
}

// NewPCG64FromSeedSequence returns numpy.random.PCG64(s): four 64-bit words
// w from s.generate_state(4, np.uint64) give initstate = w[0]<<64 | w[1] and
// initseq = w[2]<<64 | w[3], which seed the generator as in O'Neill's
// pcg_setseq_128_srandom_r: state = 0, inc = initseq<<1 | 1, step,
// state += initstate, step.
func NewPCG64FromSeedSequence(s *SeedSequence) *PCG64 {
	w := s.GenerateState64(4)
	p := &PCG64{incHi: w[2]<<1 | w[3]>>63, incLo: w[3]<<1 | 1}
	p.step()
	var c uint64
	p.lo, c = bits.Add64(p.lo, w[1], 0)
	p.hi, _ = bits.Add64(p.hi, w[0], c)
	p.step()
	return p
}

// step advances the LCG by one: state = state*mul + inc (mod 2^128).
func (p *PCG64) step() {
	hi, lo := bits.Mul64(p.lo, mulLo)
	hi += p.hi*mulLo + p.lo*mulHi
	var c uint64
	p.lo, c = bits.Add64(lo, p.incLo, 0)
	p.hi, _ = bits.Add64(hi, p.incHi, c)
}

// Uint64 returns the next 64-bit output, NumPy's pcg64_next64. It neither
// reads nor clears the buffered half kept by [PCG64.Uint32], as in NumPy.
func (p *PCG64) Uint64() uint64 {
	hi, lo := bits.Mul64(p.lo, mulLo)
	hi += p.hi*mulLo + p.lo*mulHi
	var c uint64
	lo, c = bits.Add64(lo, p.incLo, 0)
	hi, _ = bits.Add64(hi, p.incHi, c)
	p.hi, p.lo = hi, lo
	return bits.RotateLeft64(hi^lo, -int(hi>>58))
}

// Fill sets dst[i] to the next len(dst) outputs of [PCG64.Uint64], in order.
// It does not allocate and does not keep dst.
//
// A step's multiplication waits for the one before, so one stream of steps
// runs at the multiplier's latency. Fill runs four: lane j steps through
// the states j+1, j+5, j+9, ... of the sequence by the LCG's fourth power
// (state*mul^4 + inc*(1+mul+mul^2+mul^3)), the same states one step at a
// time gives, four multiplications in flight at once.
func (p *PCG64) Fill(dst []uint64) {
	// Keep the state in locals so that the loop runs in registers.
	shi, slo, ihi, ilo := p.hi, p.lo, p.incHi, p.incLo
	i := 0
	if len(dst) >= 16 {
		// The lanes' increment: inc times 1+mul+mul^2+mul^3.
		chi, clo := mul128(ihi, ilo, lanesHi, lanesLo)
		h0, l0 := stepBy(shi, slo, mulHi, mulLo, ihi, ilo)
		h1, l1 := stepBy(h0, l0, mulHi, mulLo, ihi, ilo)
		h2, l2 := stepBy(h1, l1, mulHi, mulLo, ihi, ilo)
		h3, l3 := stepBy(h2, l2, mulHi, mulLo, ihi, ilo)
		for ; i+4 <= len(dst); i += 4 {
			d := dst[i : i+4 : i+4]
			d[0] = output(h0, l0)
			d[1] = output(h1, l1)
			d[2] = output(h2, l2)
			d[3] = output(h3, l3)
			shi, slo = h3, l3 // the state of the last output
			h0, l0 = stepBy(h0, l0, mul4Hi, mul4Lo, chi, clo)
			h1, l1 = stepBy(h1, l1, mul4Hi, mul4Lo, chi, clo)
			h2, l2 = stepBy(h2, l2, mul4Hi, mul4Lo, chi, clo)
			h3, l3 = stepBy(h3, l3, mul4Hi, mul4Lo, chi, clo)
		}
	}
	for ; i < len(dst); i++ {
		shi, slo = stepBy(shi, slo, mulHi, mulLo, ihi, ilo)
		dst[i] = output(shi, slo)
	}
	p.hi, p.lo = shi, slo
}

// The four-step LCG of Fill: mul^4, and 1+mul+mul^2+mul^3, whose product
// with the increment is the four steps' increment (mod 2^128).
var (
	mul4Hi, mul4Lo   = pow4(mulHi, mulLo)
	lanesHi, lanesLo = geometric4(mulHi, mulLo)
)

// pow4 returns m^4 mod 2^128.
func pow4(mhi, mlo uint64) (uint64, uint64) {
	hi, lo := mul128(mhi, mlo, mhi, mlo)
	return mul128(hi, lo, hi, lo)
}

// geometric4 returns 1+m+m^2+m^3 mod 2^128.
func geometric4(mhi, mlo uint64) (uint64, uint64) {
	sumHi, sumLo := uint64(0), uint64(1)
	hi, lo := uint64(0), uint64(1)
	for range 3 {
		hi, lo = mul128(hi, lo, mhi, mlo)
		sumHi, sumLo = add128(sumHi, sumLo, hi, lo)
	}
	return sumHi, sumLo
}

// stepBy returns state*m + c mod 2^128.
func stepBy(shi, slo, mhi, mlo, chi, clo uint64) (uint64, uint64) {
	hi, lo := mul128(shi, slo, mhi, mlo)
	return add128(hi, lo, chi, clo)
}

// output is the XSL-RR permutation of a state, a step's output.
func output(hi, lo uint64) uint64 {
	return bits.RotateLeft64(hi^lo, -int(hi>>58))
}

// Uint32 returns NumPy's pcg64_next32: if a half is buffered it returns it and
// empties the buffer; otherwise it draws a [PCG64.Uint64], returns the low 32
// bits and buffers the high 32 bits for the next call. NumPy's bounded
// integers and shuffles below 2^32 consume 32-bit draws this way.
func (p *PCG64) Uint32() uint32 {
	if p.hasUint32 {
		p.hasUint32 = false
		return p.uinteger
	}
	v := p.Uint64()
	p.hasUint32 = true
	p.uinteger = uint32(v >> 32)
	return uint32(v)
}
