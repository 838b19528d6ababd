package splitter_test

import (
	"context"
	"fmt"
	"log"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// The quick start: the split of each of 10 rows of a 10-row table, as
// splitdata split --seed 42 --ratios train=0.8,test=0.2 assigns them. The
// keys are numpy.random.PCG64(42).random_raw(10).
func Example() {
	splits, err := splitter.ParseRatios("train=0.8,test=0.2")
	if err != nil {
		log.Fatal(err)
	}
	gen, err := prng.NewPCG64(42)
	if err != nil {
		log.Fatal(err)
	}
	const n = 10
	a, _, err := splitter.NewAssigner(context.Background(), gen, splits, n, false, 1)
	if err != nil {
		log.Fatal(err)
	}
	keys := make([]uint64, n)
	gen.Fill(keys) // NewAssigner did not advance gen
	ids := make([]uint8, n)
	a.Assign(keys, 0, ids)
	for i, id := range ids {
		fmt.Print(i, ":", splits[id].Name, " ")
	}
	fmt.Println()
	// Output: 0:train 1:train 2:test 3:train 4:train 5:test 6:train 7:train 8:train 9:train
}
