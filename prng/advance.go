package prng

import "math/bits"

// jumpHi and jumpLo form the jump step of NumPy's PCG64.jumped,
// 0x9e3779b97f4a7c15f39cc0605cedc835 = floor((phi-1) * 2^128), in
// numpy/random/_pcg64.pyx jump_inplace (numpy/numpy@1f90bbb5).
const (
	jumpHi = 0x9e3779b97f4a7c15
	jumpLo = 0xf39cc0605cedc835
)

// Advance moves the generator delta steps ahead, as if [PCG64.Uint64] had
// been called delta times, in O(log delta) time; it equals NumPy's
// bit_generator.advance(delta). Like NumPy, it also empties the buffered
// 32-bit half of [PCG64.Uint32] (has_uint32 = 0, uinteger = 0).
func (p *PCG64) Advance(delta uint64) { p.Advance128(0, delta) }

// Advance128 is [PCG64.Advance] for the 128-bit delta hi<<64 | lo; NumPy's
// advance reduces any integer delta modulo 2^128 the same way, so a negative
// delta -d is Advance128 of 2^128 - d, which steps backwards d times.
func (p *PCG64) Advance128(hi, lo uint64) {
	p.hi, p.lo = advanceLCG(p.hi, p.lo, hi, lo, p.incHi, p.incLo)
	p.hasUint32 = false
	p.uinteger = 0
}

// Jumped returns a copy of p advanced by jumps * 0x9e3779b97f4a7c15f39cc0605cedc835
// (mod 2^128) steps, equal to NumPy's bit_generator.jumped(jumps); p itself is
// unchanged. The copy's buffered 32-bit half is emptied, as by Advance.
func (p *PCG64) Jumped(jumps uint64) *PCG64 {
	q := *p
	hi, lo := mul128(jumpHi, jumpLo, 0, jumps)
	q.Advance128(hi, lo)
	return &q
}

// mul128 returns a*b mod 2^128.
func mul128(aHi, aLo, bHi, bLo uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(aLo, bLo)
	hi += aHi*bLo + aLo*bHi
	return hi, lo
}

// add128 returns a+b mod 2^128.
func add128(aHi, aLo, bHi, bLo uint64) (hi, lo uint64) {
	var c uint64
	lo, c = bits.Add64(aLo, bLo, 0)
	hi, _ = bits.Add64(aHi, bHi, c)
	return hi, lo
}

// stride is the LCG x -> x*mul + inc applied 2^k times, which is
// x -> x*mul^(2^k) + inc*g with g = 1 + mul + ... + mul^(2^k - 1) (mod 2^128):
// neither coefficient depends on the increment.
type stride struct {
	mulHi, mulLo uint64 // mul^(2^k)
	gHi, gLo     uint64 // sum of mul^j for j < 2^k
}

// strides[k] is the stride of 2^k steps. The 128 entries cost about a
// microsecond to compute, once, when the package is initialised.
var strides = func() (t [128]stride) {
	mHi, mLo := uint64(mulHi), uint64(mulLo)
	gHi, gLo := uint64(0), uint64(1)
	for k := range t {
		t[k] = stride{mHi, mLo, gHi, gLo}
		// g_{k+1} = (mul_k + 1) * g_k; mul_{k+1} = mul_k^2.
		h, l := add128(mHi, mLo, 0, 1)
		gHi, gLo = mul128(h, l, gHi, gLo)
		mHi, mLo = mul128(mHi, mLo, mHi, mLo)
	}
	return t
}()

// advanceLCG returns the state of the LCG x -> x*mul + inc after delta steps
// from state, by Brown's method ("Random number generation with arbitrary
// strides", 1994), as O'Neill's pcg_advance_lcg_128 that NumPy uses: the
// affine maps of 2^k steps for the set bits k of delta are composed. Unlike
// pcg_advance_lcg_128, which squares its way through every bit, the maps come
// from the precomputed strides and only set bits cost work; the maps are
// powers of one map, so they commute and the result is the same.
func advanceLCG(sHi, sLo, dHi, dLo, incHi, incLo uint64) (hi, lo uint64) {
	// The composed map is x -> x*a + inc*b.
	aHi, aLo := uint64(0), uint64(1)
	var bHi, bLo uint64
	for half, d := range [2]uint64{dLo, dHi} {
		for ; d != 0; d &= d - 1 {
			st := &strides[64*half+bits.TrailingZeros64(d)]
			aHi, aLo = mul128(aHi, aLo, st.mulHi, st.mulLo)
			bHi, bLo = mul128(bHi, bLo, st.mulHi, st.mulLo)
			bHi, bLo = add128(bHi, bLo, st.gHi, st.gLo)
		}
	}
	hi, lo = mul128(aHi, aLo, sHi, sLo)
	pHi, pLo := mul128(incHi, incLo, bHi, bLo)
	return add128(hi, lo, pHi, pLo)
}
