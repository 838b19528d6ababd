package splitter_test

import (
	"fmt"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// Sink keeps benchmark results alive so the work is not optimised away.
var Sink uint8

// BenchmarkAssign measures Assign over batches of 4096 keys, for exact and
// approximate splits of two and three splits, and reports ns/key. SetBytes
// counts the 8 bytes of each key.
func BenchmarkAssign(b *testing.B) {
	const batch = 4096
	const n = 1 << 20
	gen := newGen(b, 42)
	keys := make([]uint64, n)
	g := *gen
	g.Fill(keys)
	cases := []struct {
		name   string
		ratios []float64
	}{
		{"2splits", []float64{0.8, 0.2}},
		{"3splits", []float64{0.8, 0.1, 0.1}},
	}
	for _, tc := range cases {
		approx, err := splitter.NewApproxAssigner(tc.ratios)
		if err != nil {
			b.Fatal(err)
		}
		splits := make([]splitter.Split, len(tc.ratios))
		for j, r := range tc.ratios {
			splits[j] = splitter.Split{Name: fmt.Sprint("s", j), Ratio: r}
		}
		sizes, err := splitter.Sizes(splits, n)
		if err != nil {
			b.Fatal(err)
		}
		bounds, err := splitter.ExactBoundaries(b.Context(), gen, n, sizes, 1)
		if err != nil {
			b.Fatal(err)
		}
		exact := splitter.NewExactAssigner(bounds, len(sizes))
		for _, m := range []struct {
			name string
			a    *splitter.Assigner
		}{{"exact", exact}, {"approx", approx}} {
			b.Run(m.name+"/"+tc.name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(8 * batch)
				out := make([]uint8, batch)
				var start int64
				for b.Loop() {
					m.a.Assign(keys[start:start+batch], start, out)
					start = (start + batch) % n
				}
				Sink = out[0]
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/batch, "ns/key")
			})
		}
	}
}

// BenchmarkExactBoundaries measures the radix select over 10^7 rows,
// 80/10/10, with one and two workers, with the window pass (the default)
// and without. SetBytes counts 8 bytes a key.
func BenchmarkExactBoundaries(b *testing.B) {
	const n = 10_000_000
	gen := newGen(b, 42)
	sizes := []int64{8_000_000, 1_000_000, 1_000_000}
	noWindow := splitter.DefaultSelectTuning
	noWindow.Window = 0
	for _, tune := range []struct {
		name string
		tune splitter.SelectTuning
	}{{"window", splitter.DefaultSelectTuning}, {"nowindow", noWindow}} {
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("n=1e7/%s/workers=%d", tune.name, w), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(8 * n)
				for b.Loop() {
					bounds, err := splitter.ExactBoundariesTuned(b.Context(), gen, n, sizes, w, tune.tune)
					if err != nil {
						b.Fatal(err)
					}
					Sink = uint8(bounds[0].Key)
				}
			})
		}
	}
}

// BenchmarkStratifiedBoundaries measures StratifiedBoundaries over 10^7
// rows with 2 and 1000 classes (class i%m for row i, as a pipeline holding
// the classes in memory would stream them in 64Ki-row batches) and three
// splits, on 2 workers, with no memory budget and a small one. SetBytes
// counts 8 bytes a row; compare with BenchmarkExactBoundaries.
func BenchmarkStratifiedBoundaries(b *testing.B) {
	const n = 10_000_000
	gen := newGen(b, 42)
	splits, err := splitter.ParseRatios("train=0.8,valid=0.1,test=0.1")
	if err != nil {
		b.Fatal(err)
	}
	for _, m := range []int{2, 1000} {
		classes := make([]uint32, n)
		counts := make([]int64, m)
		for i := range classes {
			classes[i] = uint32(i % m)
			counts[i%m]++
		}
		sizes, err := splitter.StratifiedSizes(counts, splits)
		if err != nil {
			b.Fatal(err)
		}
		// No budget (the largest tuning), and one that halves it 4 times.
		for _, memory := range []int64{0, 4 << 20} {
			name := fmt.Sprintf("classes=%d", m)
			if memory > 0 {
				name += fmt.Sprintf(",memory=%dMiB", memory>>20)
			}
			b.Run(name, func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(8 * n)
				for b.Loop() {
					if _, err := splitter.StratifiedBoundaries(b.Context(), gen, classBatches(classes, []int{1 << 16}), n, sizes, 2, memory); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
