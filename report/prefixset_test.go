package report_test

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/report"
)

// withPrefix makes a hash of 25-bit prefix p, its other bits from r.
func withPrefix(p uint32, r *rand.Rand) uint64 {
	return uint64(p)<<(64-25) | r.Uint64()>>25
}

// distinctPrefixes counts the distinct 25-bit prefixes of hashes by sorting.
func distinctPrefixes(hashes []uint64) int {
	ps := make([]uint32, len(hashes))
	for i, h := range hashes {
		ps[i] = uint32(h >> (64 - 25))
	}
	slices.Sort(ps)
	return len(slices.Compact(ps))
}

func TestManyPrefixes(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	// distinct makes n hashes of d distinct prefixes, each prefix from
	// prefix(i), repeated in turn.
	distinct := func(n, d int, prefix func(i int) uint32) []uint64 {
		hs := make([]uint64, n)
		for i := range hs {
			hs[i] = withPrefix(prefix(i%d), r)
		}
		r.Shuffle(n, func(i, j int) { hs[i], hs[j] = hs[j], hs[i] })
		return hs
	}
	spread := func(i int) uint32 { return uint32(i) * 2039 }
	// Prefixes equal in their low 16 bits: every one probes past the others.
	crowded := func(i int) uint32 { return uint32(i) << 16 & (1<<25 - 1) }
	random := make([]uint64, report.PendCap)
	for i := range random {
		random[i] = r.Uint64()
	}
	tests := []struct {
		name   string
		hashes []uint64
		want   bool
	}{
		{"none", nil, false},
		{"few", distinct(100, 100, spread), false},
		{"limit distinct, repeated", distinct(report.PendCap, report.SparseLimit, spread), false},
		{"one past the limit", distinct(report.PendCap, report.SparseLimit+1, spread), true},
		{"limit distinct, prefix 0 among them", distinct(report.SparseLimit+1, report.SparseLimit, func(i int) uint32 { return uint32(i) }), false},
		{"one past the limit, prefix 0 among them", distinct(report.SparseLimit+1, report.SparseLimit+1, func(i int) uint32 { return uint32(i) }), true},
		{"all equal", distinct(report.PendCap, 1, spread), false},
		{"low bits equal, few", distinct(report.PendCap, 1<<9, crowded), false},
		{"random", random, distinctPrefixes(random) > report.SparseLimit},
		{"more than a counter keeps", distinct(3*report.PendCap, report.SparseLimit+1, spread), true},
		{"more than a counter keeps, at the limit", distinct(3*report.PendCap, report.SparseLimit, spread), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if want := distinctPrefixes(tt.hashes) > report.SparseLimit; want != tt.want {
				t.Fatalf("case built wrong: %d distinct prefixes", distinctPrefixes(tt.hashes))
			}
			if got := report.ManyPrefixes(tt.hashes); got != tt.want {
				t.Errorf("manyPrefixes = %v, want %v (%d distinct)", got, tt.want, distinctPrefixes(tt.hashes))
			}
		})
	}
}
