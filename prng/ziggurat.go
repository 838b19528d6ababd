package prng

import (
	"math"
	"math/big"
	"sync"
)

// Ziggurat constants of NumPy's random_standard_normal and
// random_standard_exponential, numpy/random/src/distributions/
// ziggurat_constants.h (numpy/numpy@1f90bbb5): 256 layers; r is where the
// tail starts. The tables themselves are computed below, not copied.
const (
	zigLayers  = 256
	zigNorR    = 3.6541528853610087963519472518
	zigNorInvR = 0.27366123732975827203338247596 // NumPy's literal, not 1/zigNorR
	zigExpR    = 7.6971174701310497140446280481

	// zigNorV is the area of each normal layer that NumPy's tables were
	// generated with (the double nearest 0.0049286732339746519).
	zigNorV = 0.0049286732339746519

	// zigExpRText is zigExpR at the precision NumPy's exponential tables
	// were computed with.
	zigExpRText = "7.6971174701310497140446280481"

	zigPrec = 192 // bits of the big.Float arithmetic behind the tables
)

// zigTables holds the ziggurat tables for one distribution: k are the
// integer acceptance bounds of the fast path, w the widths that scale the
// random integer into x, f the density at each layer edge.
type zigTables struct {
	k [zigLayers]uint64
	w [zigLayers]float64
	f [zigLayers]float64
}

// normalTables and exponentialTables are computed on first use; computing
// both takes about a millisecond.
var (
	normalTables      = sync.OnceValue(newNormalTables)
	exponentialTables = sync.OnceValue(newExponentialTables)
)

// numpyTableExpQuirk is the one argument at which the exp used to generate
// NumPy's normal tables did not round to nearest: exp(numpyTableExpQuirk) lies
// 0.498 ulp above a double and was rounded up. The argument is -x*x/2 for
// the edge x of layer 38, so the quirk moves f[38] and, through the
// recursion, every edge inside it: k, w and f of layers 1 to 37. It was found
// by replaying the recursion step by step against NumPy's shipped tables
// (see docs/prng.md); the tests check the result against NumPy's draws.
const numpyTableExpQuirk = -0.38951100007894385

// tableExp is exp(a) rounded to nearest double, except at
// numpyTableExpQuirk, where it rounds up as NumPy's table generator did.
func tableExp(a float64) float64 {
	e := roundedExp(a)
	if a == numpyTableExpQuirk {
		e = math.Nextafter(e, math.Inf(1))
	}
	return e
}

// newNormalTables builds NumPy's normal ziggurat in double precision, as
// NumPy's generator did: from the tail edge x = r inwards, each layer of area
// V has its inner edge at x' = sqrt(-2 log(f(x) + V/x)) with
// f(x) = exp(-x*x/2); k = round-half-even(x'/x * 2^52) for the 52-bit
// fast-path test; w = x/2^52; the base layer (index 0) has width V/f(r).
func newNormalTables() *zigTables {
	pdf := func(x float64) float64 { return tableExp(-0.5 * x * x) }
	var x [zigLayers]float64 // x[i]: outer edge of layer i; x[0] = 0, x[255] = r
	x[zigLayers-1] = zigNorR
	for i := zigLayers - 2; i >= 1; i-- {
		p := x[i+1]
		x[i] = math.Sqrt(-2 * roundedLog(pdf(p)+zigNorV/p))
	}
	t := new(zigTables)
	const scale = 1 << 52
	for i := range zigLayers {
		t.w[i] = x[i] / scale
		t.f[i] = pdf(x[i])
		if i > 0 {
			t.k[i] = uint64(math.RoundToEven(x[i-1] / x[i] * scale))
		}
	}
	t.w[0] = zigNorV / pdf(zigNorR) / scale
	t.k[0] = uint64(math.RoundToEven(zigNorR * pdf(zigNorR) / zigNorV * scale))
	return t
}

// newExponentialTables builds NumPy's exponential ziggurat, which was
// computed in high precision and rounded once: V = (r+1) e^-r is the area of
// each layer; from x = r inwards the inner edge is x' = -log(e^-x + V/x);
// w = x/2^53, f = e^-x, and k = 2*floor(x'/x * 2^52) (NumPy's k are all
// even); the base layer has width V/e^-r = r+1.
func newExponentialTables() *zigTables {
	r, _, err := big.ParseFloat(zigExpRText, 10, zigPrec, big.ToNearestEven)
	if err != nil {
		panic("prng: bad ziggurat constant: " + err.Error()) // a constant: cannot happen
	}
	neg := func(a *big.Float) *big.Float { return new(big.Float).SetPrec(zigPrec).Neg(a) }
	pdf := func(a *big.Float) *big.Float { return bigExp(neg(a)) }
	one := big.NewFloat(1).SetPrec(zigPrec)
	v := new(big.Float).SetPrec(zigPrec).Add(r, one)
	v.Mul(v, pdf(r))

	var x [zigLayers]*big.Float
	x[0] = new(big.Float).SetPrec(zigPrec)
	x[zigLayers-1] = r
	for i := zigLayers - 2; i >= 1; i-- {
		p := x[i+1]
		s := new(big.Float).SetPrec(zigPrec).Quo(v, p)
		s.Add(s, pdf(p))
		x[i] = neg(bigLog(s))
	}

	t := new(zigTables)
	scale53 := new(big.Float).SetPrec(zigPrec).SetMantExp(one, 53)
	scale52 := new(big.Float).SetPrec(zigPrec).SetMantExp(one, 52)
	evenFloor := func(ratio *big.Float) uint64 {
		q := new(big.Float).SetPrec(zigPrec).Mul(ratio, scale52)
		n, _ := q.Uint64() // truncates toward zero: floor for q >= 0
		return 2 * n
	}
	for i := range zigLayers {
		w := new(big.Float).SetPrec(zigPrec).Quo(x[i], scale53)
		t.w[i], _ = w.Float64()
		t.f[i], _ = pdf(x[i]).Float64()
		if i > 0 {
			t.k[i] = evenFloor(new(big.Float).SetPrec(zigPrec).Quo(x[i-1], x[i]))
		}
	}
	w0 := new(big.Float).SetPrec(zigPrec).Quo(v, pdf(r))
	t.w[0], _ = w0.Quo(w0, scale53).Float64()
	k0 := new(big.Float).SetPrec(zigPrec).Mul(r, pdf(r))
	t.k[0] = evenFloor(k0.Quo(k0, v))
	return t
}

// roundedExp returns exp(a) correctly rounded to a double.
func roundedExp(a float64) float64 {
	e, _ := bigExp(new(big.Float).SetPrec(zigPrec).SetFloat64(a)).Float64()
	return e
}

// roundedLog returns log(a), a > 0, correctly rounded to a double.
func roundedLog(a float64) float64 {
	l, _ := bigLog(new(big.Float).SetPrec(zigPrec).SetFloat64(a)).Float64()
	return l
}

// bigExp returns e^a to about zigPrec bits, for |a| below a few hundred:
// the argument is halved until it is below 2^-10, the Taylor series is
// summed, and the result squared back.
func bigExp(a *big.Float) *big.Float {
	y := new(big.Float).SetPrec(zigPrec + 64).Set(a)
	halvings := 0
	for y.MantExp(nil) > -10 && y.Sign() != 0 {
		y.SetMantExp(y, -1)
		halvings++
	}
	sum := big.NewFloat(1).SetPrec(zigPrec + 64)
	term := big.NewFloat(1).SetPrec(zigPrec + 64)
	eps := new(big.Float).SetMantExp(big.NewFloat(1), -(zigPrec + 64))
	for n := int64(1); ; n++ {
		term.Mul(term, y)
		term.Quo(term, new(big.Float).SetInt64(n))
		sum.Add(sum, term)
		if new(big.Float).Abs(term).Cmp(eps) < 0 {
			break
		}
	}
	for range halvings {
		sum.Mul(sum, sum)
	}
	return new(big.Float).SetPrec(zigPrec).Set(sum)
}

// bigLog returns log(a), a > 0, to about zigPrec bits by Newton's method on
// exp, starting from the float64 logarithm: z += 2(a - e^z)/(a + e^z), which
// triples the number of correct bits per step.
func bigLog(a *big.Float) *big.Float {
	af, _ := a.Float64()
	z := new(big.Float).SetPrec(zigPrec).SetFloat64(math.Log(af))
	for range 3 { // 50 -> 150 -> 450 bits
		e := bigExp(z)
		num := new(big.Float).SetPrec(zigPrec).Sub(a, e)
		den := new(big.Float).SetPrec(zigPrec).Add(a, e)
		num.Quo(num, den)
		z.Add(z, num.Add(num, num))
	}
	return z
}
