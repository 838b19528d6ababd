package splitter_test

import (
	"context"
	"fmt"
	"log"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// The outputs below agree with testdata/splitv1.py, the NumPy reference:
//
//	python3 splitv1.py 42 10 --ratios train=0.8,test=0.2 [--approx]

// Sizes gives the same test size as scikit-learn's train_test_split for
// two splits, and largest-remainder sizes for more.
func ExampleSizes() {
	two, err := splitter.ParseRatios("train=0.75,test=0.25")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(splitter.Sizes(two, 100003))

	three, err := splitter.ParseRatios("train=0.8,valid=0.1,test=0.1")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(splitter.Sizes(three, 1005))

	counts, err := splitter.ParseTestSize("2000")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(splitter.Sizes(counts, 10000))
	// Output:
	// [75002 25001] <nil>
	// [804 101 100] <nil>
	// [8000 2000] <nil>
}

// An approximate split sends each row to a split by its key alone, so
// rows can be assigned in any chunks without a counting pass.
func ExampleNewApproxAssigner() {
	seed, err := splitter.ParseSeed("42")
	if err != nil {
		log.Fatal(err)
	}
	gen, err := prng.NewPCG64(seed)
	if err != nil {
		log.Fatal(err)
	}
	a, err := splitter.NewApproxAssigner([]float64{0.8, 0.2})
	if err != nil {
		log.Fatal(err)
	}
	keys := make([]uint64, 10) // the keys of rows 0 to 9
	gen.Fill(keys)
	ids := make([]uint8, len(keys))
	a.Assign(keys, 0, ids)
	fmt.Println(ids)
	// Output:
	// [0 0 1 0 0 1 0 0 0 0]
}

// ExactBoundaries finds, from the key stream alone, the row at each rank
// where a split ends; the Assigner built from them gives every split its
// exact size.
func ExampleExactBoundaries() {
	seed, err := splitter.ParseSeed("42")
	if err != nil {
		log.Fatal(err)
	}
	gen, err := prng.NewPCG64(seed)
	if err != nil {
		log.Fatal(err)
	}
	const n = 10
	bounds, err := splitter.ExactBoundaries(context.Background(), gen, n, []int64{8, 2}, 2)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("test starts at row %d (key %d)\n", bounds[0].Index, bounds[0].Key)

	a := splitter.NewExactAssigner(bounds, 2)
	keys := make([]uint64, n)
	gen.Fill(keys)
	ids := make([]uint8, n)
	a.Assign(keys[:4], 0, ids[:4]) // in any chunks, with their first row
	a.Assign(keys[4:], 4, ids[4:])
	fmt.Println(ids)
	// Output:
	// test starts at row 2 (key 15838336090824644132)
	// [0 0 1 0 0 1 0 0 0 0]
}
