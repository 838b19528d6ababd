package pipeline_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// TestPropertyRandomSmallDatasets runs split, sample and kfold on many
// small random datasets (random sizes, chunking, seeds and options) and
// checks each against the specification computed independently by sorting
// every row by (key, i): exact counts, every row in the split the spec says
// (or in none), no row twice, nothing lost.
func TestPropertyRandomSmallDatasets(t *testing.T) {
	cases := 40
	if testing.Short() {
		cases = 10
	}
	r := rand.New(rand.NewPCG(20261123, 2)) // fixed: the cases are a fixed sample
	for c := range cases {
		n := int64(r.IntN(300))
		files := 1 + r.IntN(3)
		rg := int64(1 + r.IntN(80))
		seed := r.Int64N(1 << 40)
		var splits []splitter.Split
		var flag string
		var sizes []int64
		var run func(in, out string) (*pipeline.Manifest, error)
		switch kind := r.IntN(4); {
		case kind == 0 || n == 0: // ratios, largest remainder beyond two splits
			k := 2 + r.IntN(3)
			parts := make([]string, k)
			for j := range parts {
				parts[j] = fmt.Sprintf("s%d=%d", j, 1+r.IntN(9))
			}
			flag = normalize(t, parts)
			splits, _ = splitter.ParseRatios(flag)
			sizes, _ = splitter.Sizes(splits, n)
			run = func(in, out string) (*pipeline.Manifest, error) {
				return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: prng.MustSeed(seed), Splits: splits, JobOptions: pipeline.JobOptions{Workers: 1 + r.IntN(3)}})
			}
		case kind == 1: // counts, some rows in no split
			a := r.Int64N(n + 1)
			b := r.Int64N(n - a + 1)
			flag = fmt.Sprintf("sample of %d and %d", a, b)
			sizes = []int64{a, b}
			run = func(in, out string) (*pipeline.Manifest, error) {
				sp := []splitter.Split{{Name: "a", Rows: max(a, 1)}, {Name: "b", Rows: max(b, 1)}}
				if a == 0 || b == 0 {
					// a zero count is not a split list; use sample for one side
					k := max(a, b)
					sizes = []int64{k}
					if k == 0 {
						sizes = []int64{n}
						return pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{in}, Out: out, Seed: prng.MustSeed(seed), Fraction: 1})
					}
					return pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{in}, Out: out, Seed: prng.MustSeed(seed), Rows: k})
				}
				return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: prng.MustSeed(seed), Splits: sp})
			}
		default: // kfold
			k := 2 + r.IntN(5)
			if int64(k) > n {
				k = int(max(n, 2))
			}
			flag = fmt.Sprintf("kfold %d", k)
			for j := range k {
				size := n / int64(k)
				if int64(j) < n%int64(k) {
					size++
				}
				sizes = append(sizes, size)
			}
			run = func(in, out string) (*pipeline.Manifest, error) {
				return pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: prng.MustSeed(seed), K: k})
			}
			if int64(k) > n {
				continue // fewer rows than folds: a usage error, tested elsewhere
			}
		}
		t.Run(fmt.Sprintf("%d/n=%d/%s", c, n, flag), func(t *testing.T) {
			in := genInput(t, n, files, rg)
			out := filepath.Join(t.TempDir(), "out")
			m, err := run(in, out)
			if err != nil {
				t.Fatal(err)
			}
			want := expectedMembership(t, seed, n, sizes)
			seen := make([]int, n)
			for i := range seen {
				seen[i] = -1
			}
			for s, info := range m.Splits {
				if info.Rows != sizes[s] {
					t.Fatalf("split %d: %d rows, want %d", s, info.Rows, sizes[s])
				}
				for _, id := range readIDs(t, out, info) {
					if seen[id] != -1 {
						t.Fatalf("row %d in splits %d and %d", id, seen[id], s)
					}
					seen[id] = s
				}
			}
			for id, s := range seen {
				if s == -1 {
					s = len(sizes)
				}
				if s != want[id] {
					t.Fatalf("row %d in split %d, spec says %d", id, s, want[id])
				}
			}
		})
	}
}

// normalize turns integer weights into ratios that sum to 1 exactly enough.
func normalize(t *testing.T, parts []string) string {
	t.Helper()
	var total int
	weights := make([]int, len(parts))
	for j, p := range parts {
		fmt.Sscanf(p[strings.Index(p, "=")+1:], "%d", &weights[j])
		total += weights[j]
	}
	out := make([]string, len(parts))
	for j := range parts {
		out[j] = fmt.Sprintf("s%d=%.17g", j, float64(weights[j])/float64(total))
	}
	return strings.Join(out, ",")
}
