//go:build race

package splitter_test

// raceEnabled is true under the race detector, which slows the key stream
// down tenfold: the largest inputs are then left out, as under -short. The
// concurrency they would check is the same as in the smaller ones.
const raceEnabled = true
