package report_test

import (
	"math"
	"testing"

	"github.com/splitdata/splitdata/report"
)

// TestIsFinite checks the scan's branch-free test of a float against
// math.IsNaN and math.IsInf, on the values at the edges of the exponent.
func TestIsFinite(t *testing.T) {
	for _, f := range []float64{
		0, math.Copysign(0, -1), 1, -1, math.SmallestNonzeroFloat64, -math.SmallestNonzeroFloat64,
		math.MaxFloat64, -math.MaxFloat64, math.Inf(1), math.Inf(-1), math.NaN(),
		-math.NaN(), math.Float64frombits(0x7ff0000000000001), math.Float64frombits(0xfff8000000000000),
		math.Float64frombits(0x7fefffffffffffff), math.Float64frombits(0x0010000000000000),
	} {
		want := 0
		if !math.IsNaN(f) && !math.IsInf(f, 0) {
			want = 1
		}
		if got := report.IsFinite(f); got != want {
			t.Errorf("IsFinite(%v, bits %#x) = %d, want %d", f, math.Float64bits(f), got, want)
		}
	}
}

// TestIsBelow checks the scan's branch-free null test on every pair of
// definition levels.
func TestIsBelow(t *testing.T) {
	for def := range 256 {
		for _, maxDef := range []int{0, 1, 2, 7, 254, 255} {
			want := 0
			if def < maxDef {
				want = 1
			}
			if got := report.IsBelow(byte(def), byte(maxDef)); got != want {
				t.Errorf("IsBelow(%d, %d) = %d, want %d", def, maxDef, got, want)
			}
		}
	}
}
