package pipeline

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortEntries checks the radix sort against a comparison sort on keys
// that are random, share their top bits (a spilled partition), repeat
// (bootstrap draws, compat positions), for sizes on both sides of the
// switch, with entries in index order and not.
func TestSortEntries(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 5, 4095, 4096, 10_000, 70_000} {
		for _, kind := range []string{"random", "top bits shared", "repeated", "shuffled index"} {
			es := make([]orderEntry, n)
			for i := range es {
				key := r.Uint64()
				switch kind {
				case "top bits shared":
					key = 0xABCD<<48 | key>>16
				case "repeated":
					key = uint64(r.IntN(50)) << 40
				}
				es[i] = orderEntry{key: key, index: int64(i) * 3, at: i}
			}
			if kind == "shuffled index" {
				r.Shuffle(n, func(i, j int) { es[i], es[j] = es[j], es[i] })
			}
			want := slices.Clone(es)
			slices.SortFunc(want, func(a, b orderEntry) int {
				return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.index, b.index))
			})
			sortEntries(es)
			if !slices.Equal(es, want) {
				t.Fatalf("n=%d %s: radix order differs from (key, index) order", n, kind)
			}
		}
	}
}
