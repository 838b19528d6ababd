package report_test

import (
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/axiomhq/hyperloglog"
	metro "github.com/dgryski/go-metro"

	"github.com/splitdata/splitdata/report"
)

// TestSketchRankError checks every quantile and CDF point of the sketch
// against the exact ranks, within the bound RankError documents, for
// orders that are hard for compactors (sorted, reversed, repeated) and
// for sketches merged from parts.
func TestSketchRankError(t *testing.T) {
	const n = 200_000
	rng := rand.New(rand.NewPCG(1, 2))
	gens := map[string]func(i int) float64{
		"uniform":  func(int) float64 { return rng.Float64() },
		"sorted":   func(i int) float64 { return float64(i) },
		"reversed": func(i int) float64 { return float64(n - i) },
		"few":      func(i int) float64 { return float64(i % 7) },
		"normal":   func(int) float64 { return rng.NormFloat64() * 1e6 },
	}
	for name, gen := range gens {
		for _, parts := range []int{1, 5} {
			vals := make([]float64, n)
			sk := report.NewSketch(256)
			var pieces []*report.Sketch
			for p := 0; p < parts; p++ {
				pieces = append(pieces, report.NewSketch(256))
			}
			for i := range vals {
				vals[i] = gen(i)
				pieces[i*parts/n].Add(vals[i])
			}
			for _, p := range pieces {
				sk.Merge(p)
			}
			slices.Sort(vals)
			eps := sk.RankError()
			if eps <= 0 || eps > 0.2 {
				t.Fatalf("%s/%d: rank error %v", name, parts, eps)
			}
			qs := []float64{0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99}
			got := sk.Quantiles(qs)
			for i, q := range qs {
				lo := vals[max(0, int(math.Floor((q-eps)*n)))]
				hi := vals[min(n-1, int(math.Ceil((q+eps)*n)))]
				if got[i] < lo || got[i] > hi {
					t.Errorf("%s/%d: q%.2f = %v, want in [%v, %v] (eps %v)", name, parts, q, got[i], lo, hi, eps)
				}
			}
			if sk.Min() != vals[0] || sk.Max() != vals[n-1] || sk.Count() != n {
				t.Errorf("%s/%d: min/max/count %v %v %v", name, parts, sk.Min(), sk.Max(), sk.Count())
			}
			xs := []float64{vals[n/10], vals[n/2], vals[9*n/10]}
			cdf := sk.CDF(xs)
			for i, x := range xs {
				exact := float64(countLE(vals, x)) / n
				if math.Abs(cdf[i]-exact) > eps {
					t.Errorf("%s/%d: CDF(%v) = %v, exact %v (eps %v)", name, parts, x, cdf[i], exact, eps)
				}
			}
		}
	}
}

func countLE(sorted []float64, x float64) int {
	i, _ := slices.BinarySearch(sorted, math.Nextafter(x, math.Inf(1)))
	return i
}

func TestCounter(t *testing.T) {
	c := report.NewCounterForTest()
	for i := range 10 {
		for range i + 1 {
			c.Add(string(rune('a' + i)))
		}
	}
	if n, slack := c.Count("j"); n != 10 || slack != 0 {
		t.Errorf("j: %d (slack %d), want 10 exact", n, slack)
	}
	if d, exact := c.Distinct(); d != 10 || !exact {
		t.Errorf("distinct %d exact %v", d, exact)
	}
	// Beyond MaxExactValues: a frequent value stays, low by at most slack.
	big := report.NewCounterForTest()
	other := report.NewCounterForTest()
	for i := range 50_000 {
		big.Add("hot")
		big.Add(string(rune(0x1000 + i)))
		other.Add("hot")
	}
	big.Merge(other)
	n, slack := big.Count("hot")
	if slack == 0 || n > 100_000 || n < 100_000-slack {
		t.Errorf("hot: %d slack %d, want within slack of 100000", n, slack)
	}
	if d, exact := big.Distinct(); exact || math.Abs(float64(d)-50_001)/50_001 > 0.03 {
		t.Errorf("distinct %d exact %v, want about 50001", d, exact)
	}
}

// TestLeakFinderSpill checks that runs of equal hashes are found whole
// whether the records stay in memory or are spread over partition files.
func TestLeakFinderSpill(t *testing.T) {
	for _, budget := range []int64{1 << 30, 1 << 20} {
		const n = 100_000
		l, err := report.NewLeakFinderForTest(n, budget, budget, t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		// 200 hashes, each in 500 records over 2 splits; hash 7 once more.
		for i := range n {
			if err := l.Add(report.LeakRecord(byte(i%200), uint16(i%2), uint64(i))); err != nil {
				t.Fatal(err)
			}
		}
		runs, err := l.Runs()
		if err != nil {
			t.Fatal(err)
		}
		if budget == 1<<20 && l.Parts() < 2 {
			t.Errorf("budget %d: %d partitions, want a spill", budget, l.Parts())
		}
		if len(runs) != 200 {
			t.Errorf("budget %d: %d runs, want 200", budget, len(runs))
		}
		for _, r := range runs {
			if r != 500 {
				t.Errorf("budget %d: run of %d, want 500", budget, r)
				break
			}
		}
		l.Close()
	}
	if _, err := report.NewLeakFinderForTest(1<<40, 1<<20, 1<<20, t.TempDir()); err == nil {
		t.Error("2^40 records in 1 MiB: no error")
	}
}

// TestSortFloats checks the sketch's sort against slices.Sort on values
// that exercise every byte of the radix sort's key (both signs,
// infinities, subnormals, repeats, runs sharing their high bytes), the
// bucket sort's small and large buckets, and on ascending runs, which it
// merges. For an even count, the values a compaction keeps from each
// offset (halveSorted, which merges two runs straight into them) must be
// every other value of that order.
func TestSortFloats(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	values := map[string]func() float64{
		"uniform":  func() float64 { return rng.Float64() },
		"signed":   func() float64 { return rng.NormFloat64() * 1e9 },
		"integers": func() float64 { return float64(rng.IntN(1000) - 500) },
		"extremes": func() float64 {
			return []float64{math.Inf(1), math.Inf(-1), 0, math.SmallestNonzeroFloat64, -math.MaxFloat64, 1}[rng.IntN(6)]
		},
		"one value": func() float64 { return 42 },
		// Most values in a few of the bucket sort's ranges: its large
		// buckets are radix sorted.
		"clustered": func() float64 {
			if rng.IntN(100) == 0 {
				return rng.NormFloat64() * 1e12
			}
			return 1000 + float64(rng.IntN(50))/64
		},
		"exponential": func() float64 { return rng.ExpFloat64() },
	}
	for name, gen := range values {
		for _, runs := range []int{0, 1, 2, 3, 7, 8, 9} { // 0: unsorted
			for _, n := range []int{0, 1, 63, 64, 2048, 5000} {
				vs := make([]float64, n)
				for i := range vs {
					vs[i] = gen()
				}
				for k := range runs {
					slices.Sort(vs[k*n/runs : (k+1)*n/runs])
				}
				want := slices.Clone(vs)
				slices.Sort(want)
				for off := range 2 {
					if n%2 != 0 {
						break
					}
					var kept []float64
					for i := off; i < n; i += 2 {
						kept = append(kept, want[i])
					}
					if got := report.HalveSorted(slices.Clone(vs), off); !slices.Equal(got, kept) {
						t.Errorf("%s, %d runs, %d values, offset %d: kept values differ from every other sorted value", name, runs, n, off)
					}
					if got := report.HalveSortedKnown(slices.Clone(vs), off); !slices.Equal(got, kept) {
						t.Errorf("%s, %d runs, %d values, offset %d, extremes given: kept values differ from every other sorted value", name, runs, n, off)
					}
				}
				report.SortFloats(vs)
				if !slices.Equal(vs, want) {
					t.Errorf("%s, %d runs, %d values: order differs from slices.Sort", name, runs, n)
				}
			}
		}
	}
}

// TestHalveSortedRuns checks the values a compaction keeps of two
// ascending runs, which halveSorted merges from both ends at once, on
// runs of unequal lengths (a merged sketch's levels), with ties between
// and within them, and runs that do not overlap.
func TestHalveSortedRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	gens := []struct {
		name string
		gen  func(run, i int) float64
	}{
		{"ties", func(int, int) float64 { return float64(rng.IntN(7)) }},
		{"uniform", func(int, int) float64 { return rng.Float64() }},
		{"apart", func(run, _ int) float64 { return float64(run) + rng.Float64()/2 }},
		{"apart, second first", func(run, _ int) float64 { return float64(1-run) + rng.Float64()/2 }},
	}
	for _, g := range gens {
		for _, n := range []int{64, 66, 2048} {
			for _, first := range []int{1, 2, 31, n / 2, n - 3, n - 1} {
				vs := make([]float64, n)
				for i := range vs {
					run := 0
					if i >= first {
						run = 1
					}
					vs[i] = g.gen(run, i)
				}
				slices.Sort(vs[:first])
				slices.Sort(vs[first:])
				want := slices.Sorted(slices.Values(vs))
				for off := range 2 {
					var kept []float64
					for i := off; i < n; i += 2 {
						kept = append(kept, want[i])
					}
					if got := report.HalveSorted(slices.Clone(vs), off); !slices.Equal(got, kept) {
						t.Errorf("%s, %d values, runs of %d and %d, offset %d: kept values differ", g.name, n, first, n-first, off)
					}
				}
			}
		}
	}
}

// TestCounterMatchesMisraGries checks the counter against a plain
// Misra-Gries summary of MaxExactValues counters on streams where a
// decrement empties every counter (values seen once), empties some, or
// none.
func TestCounterMatchesMisraGries(t *testing.T) {
	for _, tc := range []struct {
		name string
		next func(i int) string
	}{
		{"distinct", func(i int) string { return fmt.Sprint("v", i) }},
		{"hot and distinct", func(i int) string {
			if i%3 == 0 {
				return fmt.Sprint("hot", i%7)
			}
			return fmt.Sprint("v", i)
		}},
		{"repeats", func(i int) string { return fmt.Sprint("r", (i*7919)%1500) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := report.NewCounterForTest()
			ref := map[string]int64{}
			var slack int64
			seen := map[string]bool{}
			for i := range 20_000 {
				v := tc.next(i)
				seen[v] = true
				c.Add(v)
				if _, ok := ref[v]; ok || len(ref) < report.MaxExactValues {
					ref[v]++
					continue
				}
				slack++
				for k := range ref {
					if ref[k]--; ref[k] == 0 {
						delete(ref, k)
					}
				}
			}
			got := c.View()
			if _, s := c.Count(""); s != slack {
				t.Errorf("slack %d, want %d", s, slack)
			}
			for v := range seen {
				if got[v] != ref[v] {
					t.Fatalf("%q: count %d, want %d", v, got[v], ref[v])
				}
			}
		})
	}
}

// TestCounterDistinctMatchesSketch checks that a counter, which makes its
// HyperLogLog only once its counts stop being exact, estimates what a
// sketch given every value (by the counter's hash) estimates, whether the
// values were added to one counter or to several merged, short or cut.
func TestCounterDistinctMatchesSketch(t *testing.T) {
	long := strings.Repeat("x", 200)
	for _, tc := range []struct {
		name  string
		n     int
		parts int // counters merged in order
		next  func(i int) string
		exact bool
	}{
		{"few", 5000, 1, func(i int) string { return fmt.Sprint("c", i%500) }, true},
		{"few merged", 5000, 7, func(i int) string { return fmt.Sprint("c", i%500) }, true},
		{"many", 30_000, 1, func(i int) string { return fmt.Sprint("v", i) }, false},
		{"many merged", 30_000, 9, func(i int) string { return fmt.Sprint("v", i%20_000) }, false},
		{"merged past the cap", 9000, 9, func(i int) string { return fmt.Sprint("p", i%1000, "-", i/1000) }, false},
		// Past pendCap hashes kept: dense from the start, or sparse when
		// they repeat.
		{"past the sparse limit", 60_000, 1, func(i int) string { return fmt.Sprint("v", i) }, false},
		{"past the sparse limit merged", 90_000, 3, func(i int) string { return fmt.Sprint("v", i) }, false},
		{"repeats past the buffer", 60_000, 2, func(i int) string { return fmt.Sprint("r", (i*7919)%5000) }, false},
		{"sparse limit reached by merging", 40_000, 8, func(i int) string { return fmt.Sprint("v", i) }, false},
		{"small merged into full", 6000, 3, func(i int) string {
			if i < 2000 {
				return fmt.Sprint("v", i)
			}
			return fmt.Sprint("c", i%100)
		}, false},
		{"one cut", 3000, 3, func(i int) string {
			if i == 2500 {
				return long
			}
			return fmt.Sprint("c", i%300)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref := hyperloglog.New14()
			var cs []*report.Counter
			per := tc.n / tc.parts
			for p := range tc.parts {
				c := report.NewCounterForTest()
				for i := p * per; i < (p+1)*per; i++ {
					v := tc.next(i)
					c.Add(v)
					ref.InsertHash(metro.Hash64([]byte(v), 1337))
				}
				cs = append(cs, c)
			}
			for _, c := range cs[1:] {
				cs[0].Merge(c)
			}
			got, exact := cs[0].Distinct()
			if exact != tc.exact {
				t.Fatalf("exact %v, want %v", exact, tc.exact)
			}
			if want := ref.Estimate(); !exact && got != want {
				t.Errorf("distinct %d, want the sketch's %d", got, want)
			}
		})
	}
}

// TestReuseAfterReset checks that a sketch and a counter emptied for
// reuse, after holding other values, end as fresh ones given the same
// values do: a scan reuses the accumulators of merged units.
func TestReuseAfterReset(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	fill := func(s *report.Sketch, c *report.Counter, n int) {
		for range n {
			x := rng.NormFloat64()
			s.Add(x)
			c.Add(fmt.Sprint(int(x * 300)))
		}
	}
	qs := []float64{0.05, 0.25, 0.5, 0.75, 0.95}
	used, usedC := report.NewSketch(64), report.NewCounterForTest()
	fill(used, usedC, 200_000) // many levels, counts past the cap
	used.Reset()
	usedC.Reset()
	fresh, freshC := report.NewSketch(64), report.NewCounterForTest()
	state := rng.Uint64()
	rng = rand.New(rand.NewPCG(state, 1))
	fill(used, usedC, 5000)
	rng = rand.New(rand.NewPCG(state, 1))
	fill(fresh, freshC, 5000)
	if g, w := used.Quantiles(qs), fresh.Quantiles(qs); !slices.Equal(g, w) ||
		used.Levels() != fresh.Levels() || used.RankError() != fresh.RankError() || used.Count() != fresh.Count() {
		t.Errorf("reused sketch: quantiles %v, %d levels; fresh: %v, %d levels", g, used.Levels(), w, fresh.Levels())
	}
	gd, ge := usedC.Distinct()
	wd, we := freshC.Distinct()
	if gd != wd || ge != we || !maps.Equal(usedC.View(), freshC.View()) {
		t.Errorf("reused counter: %d distinct (exact %v); fresh: %d (exact %v)", gd, ge, wd, we)
	}
}

// TestSketchFillsAgree checks that a sketch filled a value at a time
// (Add), a chunk at a time (addFinite, whose first level keeps its
// extremes for the bucket sort), and merged from parts filled either
// way, end in the same state: same levels, count and extremes, so the
// same figures.
func TestSketchFillsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	gens := map[string]func(i int) float64{
		"uniform":   func(int) float64 { return rng.Float64() },
		"signed":    func(int) float64 { return rng.NormFloat64() * 1e12 },
		"ascending": func(i int) float64 { return float64(i) },
		"falling":   func(i int) float64 { return -float64(i) / 3 },
		"few":       func(int) float64 { return float64(rng.IntN(3)) },
		"clustered": func(int) float64 {
			if rng.IntN(50) == 0 {
				return rng.NormFloat64() * 1e300
			}
			return 7 + float64(rng.IntN(9))/1024
		},
	}
	for name, gen := range gens {
		for _, n := range []int{0, 1, 2047, 2048, 2049, 100_003} {
			vs := make([]float64, n)
			for i := range vs {
				vs[i] = gen(i)
			}
			one := report.NewSketch(report.DefaultSketchCapacity)
			for _, v := range vs {
				one.Add(v)
			}
			bulk := report.NewSketch(report.DefaultSketchCapacity)
			for rest := vs; len(rest) > 0; {
				k := min(len(rest), 1+rng.IntN(3000))
				report.AddFinite(bulk, rest[:k])
				rest = rest[k:]
			}
			wl, wn, wmin, wmax := report.SketchState(one)
			gl, gn, gmin, gmax := report.SketchState(bulk)
			if !slices.EqualFunc(wl, gl, slices.Equal) || wn != gn || wmin != gmin || wmax != gmax {
				t.Errorf("%s, %d values: Add and addFinite give different sketches", name, n)
			}
			// Merged from parts: a's first level holds an odd count.
			merged := make([]*report.Sketch, 2)
			for j := range merged {
				merged[j] = report.NewSketch(report.DefaultSketchCapacity)
				for _, part := range [][]float64{vs[:n/3], vs[n/3:]} {
					p := report.NewSketch(report.DefaultSketchCapacity)
					if j == 0 {
						for _, v := range part {
							p.Add(v)
						}
					} else {
						report.AddFinite(p, part)
					}
					merged[j].Merge(p)
				}
			}
			wl, wn, wmin, wmax = report.SketchState(merged[0])
			gl, gn, gmin, gmax = report.SketchState(merged[1])
			if !slices.EqualFunc(wl, gl, slices.Equal) || wn != gn || wmin != gmin || wmax != gmax {
				t.Errorf("%s, %d values: merges of parts filled by Add and by addFinite differ", name, n)
			}
			if n > 0 && (wmin != slices.Min(vs) || wmax != slices.Max(vs)) {
				t.Errorf("%s, %d values: extremes %v, %v, want %v, %v", name, n, wmin, wmax, slices.Min(vs), slices.Max(vs))
			}
		}
	}
}
