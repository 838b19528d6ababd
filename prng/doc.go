// Package prng provides the random number generators behind every decision
// splitdata makes: NumPy-compatible SeedSequence seeding, the PCG64 bit
// generator with O(log n) jump-ahead, and the distributions of
// numpy.random.Generator, all bit-exact with NumPy.
//
// Quick start (the package Example runs it):
//
//	bg, err := prng.NewPCG64(42)     // numpy.random.PCG64(42)
//	x := bg.Uint64()                  // bg.random_raw()
//	rng, err := prng.DefaultRNG(42)  // numpy.random.default_rng(42)
//	f := rng.Random()                 // rng.random()
//
// A seed is a [Seed]: the text a user gave (a decimal integer is itself,
// other text is hashed with SHA-256, as --seed does), made from text, any
// integer or a *big.Int by [SeedOf]. [NewPCG64] and [DefaultRNG] take any
// of these ([SeedValue]); the legacy generators take the seeds of the
// libraries they reproduce (a uint32 for RandomState, any Python int for
// PyRandom).
//
// For the compatibility modes it also reproduces the legacy generators
// other Python code seeds: [MT19937] with NumPy's RandomState seeding and
// distributions ([RandomState]), CPython's random module ([PyRandom]) and
// PyTorch's CPU generator ([TorchGenerator]); docs/prng.md maps each call to
// its Python line.
//
// Generators are small values owned by one goroutine; copy one to hand it to
// another goroutine. The package does no I/O and imports only the standard
// library.
package prng
