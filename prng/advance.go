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

// advanceLCG returns the state of the LCG x -> x*mul + inc after delta steps
// from state, by Brown's square-and-multiply ("Random number generation with
// arbitrary strides", 1994), the method of O'Neill's pcg_advance_lcg_128 that
// NumPy uses: it composes the affine maps x -> x*mul^(2^k) + plus_k for the
// set bits k of delta.
func advanceLCG(sHi, sLo, dHi, dLo, incHi, incLo uint64) (hi, lo uint64) {
	accMulHi, accMulLo := uint64(0), uint64(1)
	var accPlusHi, accPlusLo uint64
	curMulHi, curMulLo := uint64(mulHi), uint64(mulLo)
	curPlusHi, curPlusLo := incHi, incLo
	for dHi|dLo != 0 {
		if dLo&1 != 0 {
			accMulHi, accMulLo = mul128(accMulHi, accMulLo, curMulHi, curMulLo)
			accPlusHi, accPlusLo = mul128(accPlusHi, accPlusLo, curMulHi, curMulLo)
			accPlusHi, accPlusLo = add128(accPlusHi, accPlusLo, curPlusHi, curPlusLo)
		}
		// plus_{k+1} = (mul_k + 1) * plus_k; mul_{k+1} = mul_k^2.
		h, l := add128(curMulHi, curMulLo, 0, 1)
		curPlusHi, curPlusLo = mul128(h, l, curPlusHi, curPlusLo)
		curMulHi, curMulLo = mul128(curMulHi, curMulLo, curMulHi, curMulLo)
		dLo = dLo>>1 | dHi<<63
		dHi >>= 1
	}
	hi, lo = mul128(accMulHi, accMulLo, sHi, sLo)
	return add128(hi, lo, accPlusHi, accPlusLo)
}
