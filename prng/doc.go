// Package prng provides the random number generators behind every decision
// splitdata makes: NumPy-compatible SeedSequence seeding, the PCG64 bit
// generator with O(log n) jump-ahead, and the distributions of
// numpy.random.Generator, all bit-exact with NumPy.
//
// Generators are small values owned by one goroutine; copy one to hand it to
// another goroutine. The package does no I/O and imports only the standard
// library.
package prng
