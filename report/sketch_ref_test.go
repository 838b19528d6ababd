package report_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/report"
)

// refSketch is the sketch's algorithm written plainly: each full level
// sorted by slices.Sort and every other value moved up.
type refSketch struct {
	c      int
	levels [][]float64
	flip   []bool
}

func (r *refSketch) compact() {
	for h := 0; h < len(r.levels); h++ {
		if len(r.levels[h]) < r.c {
			continue
		}
		if h+1 == len(r.levels) {
			r.levels, r.flip = append(r.levels, nil), append(r.flip, false)
		}
		l := r.levels[h]
		slices.Sort(l)
		off := 0
		if r.flip[h] {
			off = 1
		}
		r.flip[h] = !r.flip[h]
		end := len(l) &^ 1
		for i := off; i < end; i += 2 {
			r.levels[h+1] = append(r.levels[h+1], l[i])
		}
		r.levels[h] = slices.Clone(l[end:])
	}
}

func (r *refSketch) add(v float64) {
	if len(r.levels) == 0 {
		r.levels, r.flip = [][]float64{nil}, []bool{false}
	}
	r.levels[0] = append(r.levels[0], v+0)
	r.compact()
}

func (r *refSketch) merge(o *refSketch) {
	for h, l := range o.levels {
		for len(r.levels) <= h {
			r.levels, r.flip = append(r.levels, nil), append(r.flip, false)
		}
		r.levels[h] = append(r.levels[h], l...)
	}
	r.compact()
}

// TestSketchMatchesReference checks that the sketch's levels, however
// its compactions sort, merge or copy (bucket sort, runs merged from
// both ends, runs known from how a level was filled), are those of the
// plain algorithm (refSketch), value for value and in order, for sketches
// filled a chunk at a time and merged as a report's scan merges its
// units' sketches, on data whose levels are one run, two runs or more.
func TestSketchMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	gens := map[string]func(i int) float64{
		"uniform":   func(int) float64 { return rng.Float64() },
		"ascending": func(i int) float64 { return float64(i) },
		"falling":   func(i int) float64 { return -float64(i) },
		"few":       func(int) float64 { return float64(rng.IntN(3)) },
		"zeros":     func(i int) float64 { return []float64{0, math.Copysign(0, -1)}[i%2] },
		"sawtooth":  func(i int) float64 { return float64(i % 5000) },
		"drifting":  func(i int) float64 { return float64(i)/100 + rng.NormFloat64() },
	}
	for name, gen := range gens {
		for _, c := range []int{16, 64, report.DefaultSketchCapacity} {
			for _, units := range []int{1, 3, 17} {
				const n = 150_001
				whole, ref := report.NewSketch(c), &refSketch{c: c}
				unit := report.NewSketch(c)
				for u := range units {
					unit.Reset()
					refUnit := &refSketch{c: c}
					for i := u * n / units; i < (u+1)*n/units; {
						k := min(1+rng.IntN(5000), (u+1)*n/units-i)
						vs := make([]float64, k)
						for j := range vs {
							vs[j] = gen(i + j)
							refUnit.add(vs[j])
						}
						report.AddFinite(unit, vs)
						i += k
					}
					whole.Merge(unit)
					ref.merge(refUnit)
				}
				got, _, _, _ := report.SketchState(whole)
				if !slices.EqualFunc(got, ref.levels, slices.Equal) {
					t.Errorf("%s, capacity %d, %d units: levels differ from the plain algorithm's", name, c, units)
				}
			}
		}
	}
}
