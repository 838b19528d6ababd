// Numpyrng draws the numbers NumPy draws for the same seed; each comment is
// the Python line that prints the same output.
package main

import (
	"fmt"
	"log"

	"github.com/splitdata/splitdata/prng"
)

func main() {
	// bg = numpy.random.PCG64(42); print(hex(bg.random_raw()))
	bg, err := prng.NewPCG64(42)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%#x\n", bg.Uint64())
	// rng = numpy.random.default_rng(42); print(rng.random(), rng.integers(0, 10))
	rng, err := prng.DefaultRNG(42)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rng.Random(), rng.Integers(0, 10))
	// A text seed is hashed, as by --seed: print(hex(PCG64(<SHA-256 of text>).random_raw()))
	bg, err = prng.NewPCG64("my-experiment")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%#x\n", bg.Uint64())
}
