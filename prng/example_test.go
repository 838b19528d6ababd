package prng_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"

	"github.com/splitdata/splitdata/prng"
)

// The outputs below are NumPy's: each example names the Python lines that
// print the same numbers.

func ExampleNewPCG64() {
	// Python: bg = numpy.random.PCG64(42); [hex(v) for v in bg.random_raw(2)]
	p, err := prng.NewPCG64(big.NewInt(42))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%#x %#x\n", p.Uint64(), p.Uint64())
	// Output: 0xc621fbcd16d92688 0x705a5661a791ffc1
}

func ExamplePCG64_Advance() {
	// Python: bg = numpy.random.PCG64(42); bg.advance(1000); hex(bg.random_raw())
	p, err := prng.NewPCG64(big.NewInt(42))
	if err != nil {
		panic(err)
	}
	p.Advance(1000) // as if Uint64 had been called 1000 times
	fmt.Printf("%#x\n", p.Uint64())
	// Output: 0xfe35e24e0cd297a
}

func ExamplePCG64_Jumped() {
	// Python: hex(numpy.random.PCG64(42).jumped(1).random_raw())
	p, err := prng.NewPCG64(big.NewInt(42))
	if err != nil {
		panic(err)
	}
	fmt.Printf("%#x\n", p.Jumped(1).Uint64())
	// Output: 0xc193c65d22914c57
}

func ExampleGenerator_Permutation() {
	// Python: numpy.random.default_rng(42).permutation(10)
	g, err := prng.DefaultRNG(big.NewInt(42))
	if err != nil {
		panic(err)
	}
	fmt.Println(g.Permutation(10))
	// Output: [5 6 0 7 3 2 4 9 1 8]
}

// A state exported from Go is NumPy's bit_generator.state dict as JSON:
//
//	bg = numpy.random.PCG64(); bg.state = json.loads(text)
//
// continues exactly where the Go generator stopped.
func ExamplePCG64_MarshalJSON() {
	// Python: bg = numpy.random.PCG64(42); bg.random_raw()
	//         json.dumps(bg.state, separators=(",", ":"))
	p, err := prng.NewPCG64(big.NewInt(42))
	if err != nil {
		panic(err)
	}
	p.Uint64()
	text, err := json.Marshal(p)
	if err != nil {
		panic(err)
	}
	fmt.Println(string(text))
	// Output: {"bit_generator":"PCG64","state":{"state":95376830783351682500486580248632280039,"inc":332724090758049132448979897138935081983},"has_uint32":0,"uinteger":0}
}

// A state saved by NumPy with json.dumps(bg.state) restores in Go.
func ExamplePCG64_UnmarshalJSON() {
	// Python: bg = numpy.random.PCG64(7); print(json.dumps(bg.state))
	//         [hex(v) for v in bg.random_raw(2)]
	text := `{"bit_generator": "PCG64", "state": {"state": 208745520555909116978795849195383758904, "inc": 261136684632268670825940853076396136793}, "has_uint32": 0, "uinteger": 0}`
	var p prng.PCG64
	if err := json.Unmarshal([]byte(text), &p); err != nil {
		panic(err)
	}
	fmt.Printf("%#x %#x\n", p.Uint64(), p.Uint64())
	// Output: 0xa00641a9f1e54a8b 0xe5afcdbcaf266a95
}

// A PCG64 is a math/rand/v2 Source; rand.Rand's own methods (IntN, Float64,
// ...) use Go's algorithms, not NumPy's, but they read NumPy's raw stream.
func ExamplePCG64_randSource() {
	// Python: hex(numpy.random.PCG64(42).random_raw())
	p, err := prng.NewPCG64(big.NewInt(42))
	if err != nil {
		panic(err)
	}
	r := rand.New(p)
	fmt.Printf("%#x\n", r.Uint64())
	// Output: 0xc621fbcd16d92688
}
