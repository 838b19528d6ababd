package splitter

import (
	"fmt"
	"slices"

	"github.com/splitdata/splitdata/prng"
)

// Bootstrap returns the sorted global row indices of a bootstrap sample
// (sample --replace, algorithm version 1, docs/algorithm.md): k draws with
// replacement from the n rows, drawn by numpy.random.Generator over a copy
// of gen (gen is not advanced) and sorted, exactly as
//
//	numpy.sort(numpy.random.Generator(numpy.random.PCG64(seed)).integers(0, n, k))
//
// with gen = PCG64(seed). A row drawn several times appears that many
// times. Memory is O(k): 8 bytes a draw, whatever n. Bootstrap panics if k
// is negative, or if k > 0 and n < 1 (NumPy raises ValueError), or if gen
// is nil.
func Bootstrap(gen *prng.PCG64, n, k int64) []int64 {
	if gen == nil {
		panic("splitter: Bootstrap: nil generator")
	}
	if k < 0 || k > 0 && n < 1 {
		panic(fmt.Sprintf("splitter: Bootstrap: %d draws from %d rows", k, n))
	}
	g := *gen
	r := prng.NewGenerator(&g)
	out := make([]int64, k)
	// integers(0, n, k) fills its array with the draws integers(0, n)
	// makes one by one: the 32-bit buffer of bounded draws lives in the
	// bit generator, not in the call.
	for i := range out {
		out[i] = r.Integers(0, n)
	}
	slices.Sort(out)
	return out
}
