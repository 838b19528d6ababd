package extsort

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// TestSort checks the radix sort against a comparison sort on keys
// that are random, share their top bits (a spilled partition), span a
// power of two (a partition across one), repeat
// (bootstrap draws, compat positions), are all equal, ascending, or
// mostly small with a few outliers, for sizes on both sides of the
// switch, with entries in index order and not.
func TestSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var sorter Sorter // reused from case to case, larger and smaller
	for _, n := range []int{0, 1, 5, 4095, 4096, 70_000, 10_000} {
		for _, kind := range []string{"random", "top bits shared", "range across a power of two", "repeated", "shuffled index", "outliers", "ascending", "all equal"} {
			es := make([]Entry, n)
			for i := range es {
				key := r.Uint64()
				switch kind {
				case "top bits shared":
					key = 0xABCD<<48 | key>>16
				case "range across a power of two":
					key = 1<<60 - 1<<40 + key>>23
				case "repeated":
					key = uint64(r.IntN(50)) << 40
				case "outliers":
					key = uint64(r.IntN(1000))
					if i%1000 == 0 {
						key = math.MaxUint64 - uint64(i)
					}
				case "ascending":
					key = uint64(i) << 3
				case "all equal":
					key = 7
				}
				es[i] = Entry{Key: key, Index: int64(i) * 3, At: i}
			}
			if kind == "shuffled index" {
				r.Shuffle(n, func(i, j int) { es[i], es[j] = es[j], es[i] })
			}
			want := slices.Clone(es)
			slices.SortFunc(want, func(a, b Entry) int {
				return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Index, b.Index))
			})
			again := slices.Clone(es)
			Sort(es)
			if !slices.Equal(es, want) {
				t.Fatalf("n=%d %s: radix order differs from (key, index) order", n, kind)
			}
			sorter.Sort(again)
			if !slices.Equal(again, want) {
				t.Fatalf("n=%d %s: a reused Sorter's order differs from (key, index) order", n, kind)
			}
		}
	}
}

func TestPartitionIsMonotoneAndCovers(t *testing.T) {
	for _, p := range []int{1, 2, 3, 7, 256} {
		prev := 0
		for _, key := range []uint64{0, 1, 1 << 32, 1 << 62, math.MaxUint64 / 3, 1 << 63, math.MaxUint64 - 1, math.MaxUint64} { // ascending
			got := Partition(key, p)
			if got < 0 || got >= p {
				t.Fatalf("Partition(%d, %d) = %d, out of range", key, p, got)
			}
			if key > 0 && got < prev {
				t.Fatalf("partitionOf not monotone at %d for p=%d", key, p)
			}
			prev = got
		}
		if Partition(math.MaxUint64, p) != p-1 {
			t.Errorf("the largest key is not in the last of %d partitions", p)
		}
	}
}

// BenchmarkSort sorts a spilled partition's entries: keys uniform over
// one of 64 key ranges, in index order, as Files.Load returns them.
func BenchmarkSort(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(3, 4))
			src := make([]Entry, n)
			for i := range src {
				src[i] = Entry{Key: 5<<58 | r.Uint64()>>6, Index: int64(64 * i), At: i}
			}
			es := make([]Entry, n)
			b.ReportAllocs()
			b.SetBytes(int64(24 * n))
			for b.Loop() {
				copy(es, src)
				Sort(es)
			}
		})
	}
}
