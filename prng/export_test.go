package prng

// RawState exposes the 128-bit state and increment of p to tests as
// (state hi, state lo, inc hi, inc lo).
func RawState(p *PCG64) [4]uint64 { return [4]uint64{p.hi, p.lo, p.incHi, p.incLo} }

// Buffered exposes NumPy's has_uint32 and uinteger to tests.
func Buffered(p *PCG64) (bool, uint32) { return p.hasUint32, p.uinteger }

// ZigTables exposes the computed ziggurat tables (k, w, f) of
// "standard_normal" or "standard_exponential" to tests.
func ZigTables(dist string) (k []uint64, w, f []float64) {
	t := normalTables()
	if dist == "standard_exponential" {
		t = exponentialTables()
	}
	return t.k[:], t.w[:], t.f[:]
}

// LessThanExp and RoundedExp expose the wedge comparison and the correctly
// rounded exp behind it to tests.
var (
	LessThanExp = lessThanExp
	RoundedExp  = roundedExp
)
