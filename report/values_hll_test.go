package report

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/axiomhq/hyperloglog"
)

// TestDenseMatchesHyperLogLog checks that a counter's own registers
// (denseInsert), handed to the hyperloglog package (denseSketch), are
// byte for byte the package's dense sketch given the same hashes, and
// estimate the same, for hashes of every rank (down to those whose
// bits below the index are all zero) and for registers merged with a
// sparse sketch of the package either way round.
func TestDenseMatchesHyperLogLog(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name string
		n    int
		hash func() uint64
	}{
		{"none", 0, rng.Uint64},
		{"few", 100, rng.Uint64},
		{"many", 200_000, rng.Uint64},
		{"every rank", 20_000, func() uint64 {
			// A random index, and the rest a single bit or none.
			h := rng.Uint64() &^ (1<<(64-hllPrecision) - 1)
			if k := rng.IntN(64 - hllPrecision + 1); k < 64-hllPrecision {
				h |= 1 << k
			}
			return h
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c counter
			d := c.newDense()
			ref := hyperloglog.NewNoSparse()
			for range tc.n {
				h := tc.hash()
				denseInsert(d, h)
				ref.InsertHash(h)
			}
			got, _ := denseSketch(d).MarshalBinary()
			want, _ := ref.MarshalBinary()
			if !bytes.Equal(got, want) {
				t.Fatalf("registers differ from the package's dense sketch")
			}
			if g, w := denseSketch(d).Estimate(), ref.Estimate(); g != w {
				t.Errorf("estimate %d, want %d", g, w)
			}
			// Merged with a sparse sketch: into it, and it into them.
			sparse := hyperloglog.New14()
			for range 300 {
				sparse.InsertHash(rng.Uint64())
			}
			into := &counter{hll: sparse.Clone()}
			into.mergeDense(d)
			wantInto := sparse.Clone()
			_ = wantInto.Merge(ref)
			g1, _ := into.distinctSketch().MarshalBinary()
			w1, _ := wantInto.MarshalBinary()
			if !bytes.Equal(g1, w1) {
				t.Errorf("dense merged into sparse: registers differ")
			}
			other := &counter{}
			other.dense = other.newDense()
			copy(other.dense, d)
			_ = other.distinctSketch().Merge(sparse)
			wantOther := ref.Clone()
			_ = wantOther.Merge(sparse)
			g2, _ := other.hll.MarshalBinary()
			w2, _ := wantOther.MarshalBinary()
			if !bytes.Equal(g2, w2) {
				t.Errorf("sparse merged into dense: registers differ")
			}
		})
	}
}
