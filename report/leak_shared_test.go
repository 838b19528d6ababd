package report_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/report"
)

// TestSharedIn checks the shared hashes found in one bucket of a hash
// log (its hashes' top 11 bits equal) against a count of them, for
// buckets below and above the size that is filtered first and above
// the one that is sorted, with pairs, triples, zeros, hashes that meet
// in the filter's bitmap but differ, and a bucket of one hash; one
// finder for all, so that its buffers are reused at every size.
func TestSharedIn(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const top = uint64(0x5a5) << 53
	random := func() uint64 { return top | r.Uint64()>>11 }
	find := report.NewSharedFinderForTest()
	for _, tc := range []struct {
		name string
		n    int
		// plant returns the bucket's i-th hash given the ones before.
		plant func(i int, hs []uint64) uint64
	}{
		{"empty", 0, nil},
		{"small, distinct", 100, nil},
		{"small, pairs", 300, func(i int, hs []uint64) uint64 {
			if i%10 == 9 {
				return hs[i-5]
			}
			return random()
		}},
		{"filtered, distinct", 5000, nil},
		{"filtered, pairs and triples", 5000, func(i int, hs []uint64) uint64 {
			switch {
			case i%97 == 96:
				return hs[r.IntN(i)]
			case i%301 == 300:
				return hs[i-300]
			}
			return random()
		}},
		{"filtered, same filter bits", 4000, func(i int, hs []uint64) uint64 {
			// Bits 20 to 39 equal: every hash kept by the filter,
			// few equal.
			h := top | uint64(0xabcde)<<20 | r.Uint64()&(1<<20-1)
			if i%50 == 49 {
				return hs[i-1]
			}
			return h
		}},
		{"filtered, zeros", 2000, func(i int, hs []uint64) uint64 {
			if i%400 == 0 {
				return 0
			}
			return random()
		}},
		{"filtered, one zero", 2000, func(i int, hs []uint64) uint64 {
			if i == 1000 {
				return 0
			}
			return random()
		}},
		{"filtered, one hash", 3000, func(int, []uint64) uint64 { return top | 77 }},
		{"filtered, at the largest", 1 << 15, func(i int, hs []uint64) uint64 {
			if i%1000 == 999 {
				return hs[i/2]
			}
			return random()
		}},
		{"sorted", 1<<15 + 1, func(i int, hs []uint64) uint64 {
			if i%1000 == 999 {
				return hs[i/3]
			}
			return random()
		}},
		{"small again", 700, func(i int, hs []uint64) uint64 {
			if i == 699 {
				return hs[0]
			}
			return random()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := make([]uint64, tc.n)
			for i := range hs {
				if tc.plant != nil {
					hs[i] = tc.plant(i, hs[:i])
				} else {
					hs[i] = random()
				}
			}
			count := map[uint64]int{}
			for _, h := range hs {
				count[h]++
			}
			var want []uint64
			for h, k := range count {
				if k > 1 {
					want = append(want, h)
				}
			}
			slices.Sort(want)
			got := find(slices.Clone(hs))
			if !slices.Equal(got, want) {
				t.Errorf("%d shared hashes, want %d: %x, want %x", len(got), len(want), head(got), head(want))
			}
		})
	}
}

// head returns the first hashes of hs, for a message.
func head(hs []uint64) []uint64 { return hs[:min(len(hs), 5)] }

// BenchmarkSharedIn finds the shared hashes of one bucket of a hash
// log's distinct hashes: 1,000 a bucket at 2M rows, 5,000 at 10M, 20,000
// at 40M.
func BenchmarkSharedIn(b *testing.B) {
	for _, n := range []int{1000, 5000, 20000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			r := rand.New(rand.NewPCG(5, 6))
			const buckets = 64 // more than the caches hold together
			hs := make([][]uint64, buckets)
			for k := range hs {
				hs[k] = make([]uint64, n)
				for i := range hs[k] {
					hs[k][i] = uint64(k)<<53 | r.Uint64()>>11
				}
			}
			work := make([]uint64, n)
			find := report.NewSharedFinderForTest()
			b.ReportAllocs()
			b.SetBytes(8 * int64(n))
			k := 0
			for b.Loop() {
				copy(work, hs[k%buckets])
				if got := find(work); len(got) != 0 {
					b.Fatal(len(got))
				}
				k++
			}
		})
	}
}
