package prng_test

import (
	"fmt"
	"log"

	"github.com/splitdata/splitdata/prng"
)

// The quick start: NumPy's generators, seeded as NumPy seeds them. Each
// comment is the Python line that prints the same output.
func Example() {
	// numpy.random.PCG64(42).random_raw()
	bg, err := prng.NewPCG64(42) // also: a *big.Int, a prng.Seed, or text (hashed)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%#x\n", bg.Uint64())

	// rng = numpy.random.default_rng(42); rng.random()
	rng, err := prng.DefaultRNG(42)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rng.Random())
	// Output:
	// 0xc621fbcd16d92688
	// 0.7739560485559633
}
