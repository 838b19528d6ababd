package splitter_test

import (
	"fmt"
	"log"
	"math/big"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// TestBootstrapProperties checks, for a range of n and k, that a bootstrap
// sample has k sorted indices below n, is a pure function of the
// generator, and leaves the generator alone. The drawn values themselves
// are checked against NumPy by TestBootstrapVectors.
func TestBootstrapProperties(t *testing.T) {
	tests := []struct{ n, k int64 }{{1, 0}, {1, 7}, {2, 100}, {1000, 10}, {1 << 33, 64}, {10, 10000}}
	for _, tc := range tests {
		gen := newGen(t, 42)
		before := *gen
		got := splitter.Bootstrap(gen, tc.n, tc.k)
		if *gen != before {
			t.Fatalf("Bootstrap(%d, %d) advanced the generator", tc.n, tc.k)
		}
		if int64(len(got)) != tc.k || !slices.IsSorted(got) {
			t.Fatalf("Bootstrap(%d, %d): %d values, sorted %v", tc.n, tc.k, len(got), slices.IsSorted(got))
		}
		if tc.k > 0 && (got[0] < 0 || got[len(got)-1] >= tc.n) {
			t.Fatalf("Bootstrap(%d, %d): values from %d to %d", tc.n, tc.k, got[0], got[len(got)-1])
		}
		if again := splitter.Bootstrap(gen, tc.n, tc.k); !slices.Equal(again, got) {
			t.Fatalf("Bootstrap(%d, %d) differs on a second call", tc.n, tc.k)
		}
	}
}

// TestBootstrapPanics checks the documented panics.
func TestBootstrapPanics(t *testing.T) {
	gen := newGen(t, 1)
	for _, tc := range []struct{ n, k int64 }{{0, 1}, {-5, 3}, {10, -1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Bootstrap(%d, %d) did not panic", tc.n, tc.k)
				}
			}()
			splitter.Bootstrap(gen, tc.n, tc.k)
		}()
	}
	if got := splitter.Bootstrap(gen, 0, 0); len(got) != 0 {
		t.Errorf("Bootstrap(0, 0) = %v, want no draws", got)
	}
}

// ExampleBootstrap draws a bootstrap sample of 8 rows out of 5, as
// numpy.sort(numpy.random.Generator(numpy.random.PCG64(42)).integers(0, 5, 8))
// does.
func ExampleBootstrap() {
	gen, err := prng.NewPCG64(big.NewInt(42))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(splitter.Bootstrap(gen, 5, 8))
	// Output:
	// [0 0 2 2 3 3 3 4]
}
