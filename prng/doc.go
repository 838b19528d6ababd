// Package prng provides the random number generators behind every decision
// splitdata makes: NumPy-compatible SeedSequence seeding, the PCG64 bit
// generator with O(log n) jump-ahead, and the distributions of
// numpy.random.Generator, all bit-exact with NumPy.
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
