package pipeline_test

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// TestPropertyStratifyAndGroup runs stratified and grouped splits on many
// small random datasets (random sizes, class layouts with nulls, chunking,
// seeds, ratios) and checks: every row exactly once (disjoint, complete);
// stratified: each row where the spec puts it, every (class, split) cell
// the floor or ceiling of its quota, split totals exact; grouped (by groups
// or by rows): no group in two splits.
func TestPropertyStratifyAndGroup(t *testing.T) {
	cases := 30
	if testing.Short() {
		cases = 8
	}
	r := rand.New(rand.NewPCG(20261123, 7)) // fixed: the cases are a fixed sample
	for c := range cases {
		n := 1 + r.IntN(250)
		nclass := 1 + r.IntN(6)
		nullEvery := 2 + r.IntN(6)
		classOf := func(i int) *string {
			if (i*7+c)%nullEvery == 0 {
				return nil
			}
			s := "c" + strconv.Itoa((i*i+c)%nclass)
			return &s
		}
		classes := make([]*string, n)
		for i := range classes {
			classes[i] = classOf(i)
		}
		k := 2 + r.IntN(3)
		parts := make([]string, k)
		for j := range parts {
			parts[j] = fmt.Sprintf("s%d=%d", j, 1+r.IntN(9))
		}
		splits, err := splitter.ParseRatios(normalize(t, parts))
		if err != nil {
			t.Fatal(err)
		}
		seed := r.Int64N(1 << 40)
		in := writeStratInput(t, n, 1+r.IntN(n), 1+r.IntN(60), classOf)
		name := fmt.Sprintf("case %d (n=%d, %d classes, %s, seed %d)", c, n, nclass, parts, seed)
		workers := pipeline.JobOptions{Workers: 1 + r.IntN(3)}

		// Stratified.
		out := filepath.Join(t.TempDir(), "strat")
		m, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: prng.MustSeed(seed), Splits: splits, Stratify: "class", JobOptions: workers})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, sizes := stratExpected(t, seed, classes, func(counts []int64) ([][]int64, error) { return splitter.StratifiedSizes(counts, splits) })
		seen := make([]int, n)
		for s, info := range m.Splits {
			for _, id := range readIDs(t, out, info) {
				seen[id]++
				if want[id] != s {
					t.Fatalf("%s: row %d in split %d, the spec says %d", name, id, s, want[id])
				}
			}
		}
		for i, k := range seen {
			if k != 1 {
				t.Fatalf("%s: row %d written %d times", name, i, k)
			}
		}
		totals, _ := splitter.Sizes(splits, int64(n))
		counts := make([]int64, len(sizes)) // rows per class
		for _, id := range classIDs(classes) {
			counts[id]++
		}
		for s := range splits {
			var col int64
			for c := range sizes {
				q := float64(counts[c]) * float64(totals[s]) / float64(n)
				if x := float64(sizes[c][s]); x < q-1 || x > q+1 {
					t.Fatalf("%s: class %d split %d holds %v rows, quota %.3f", name, c, s, x, q)
				}
				col += sizes[c][s]
			}
			if col != totals[s] || m.Splits[s].Rows != totals[s] {
				t.Fatalf("%s: split %d holds %d rows (table %d), want %d", name, s, m.Splits[s].Rows, col, totals[s])
			}
		}

		// Grouped, by groups and by rows: no leakage, nothing lost.
		for _, ratioBy := range []string{pipeline.RatioByGroups, pipeline.RatioByRows} {
			out := filepath.Join(t.TempDir(), "group-"+ratioBy)
			m, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: prng.MustSeed(seed), Splits: splits, Group: "class", RatioBy: ratioBy, JobOptions: workers})
			if err != nil {
				t.Fatalf("%s, group by %s: %v", name, ratioBy, err)
			}
			where := map[string]int{}
			total := 0
			for s, info := range m.Splits {
				for _, id := range readIDs(t, out, info) {
					total++
					g := "null"
					if classes[id] != nil {
						g = *classes[id]
					}
					if prev, ok := where[g]; ok && prev != s {
						t.Fatalf("%s, group by %s: group %s in splits %d and %d", name, ratioBy, g, prev, s)
					}
					where[g] = s
				}
			}
			if total != n {
				t.Fatalf("%s, group by %s: %d rows written, want %d", name, ratioBy, total, n)
			}
		}
	}
}

// classIDs numbers every row's class: the rank of its canonical bytes
// among the distinct ones (null first).
func classIDs(classes []*string) []int {
	canon := func(c *string) string {
		if c == nil {
			return "\x00"
		}
		return "\x01" + *c
	}
	var names []string
	for _, c := range classes {
		names = append(names, canon(c))
	}
	slices.Sort(names)
	names = slices.Compact(names)
	ids := make([]int, len(classes))
	for i, c := range classes {
		ids[i], _ = slices.BinarySearch(names, canon(c))
	}
	return ids
}
