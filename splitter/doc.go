// Package splitter holds the pure assignment logic of splitdata: parsing and
// sizing of split lists, the row keys derived from the master seed, the rank
// thresholds of exact splits and the per-row assignment.
//
// Nothing here does I/O or starts goroutines; every function is a pure
// function of its arguments, which is what makes splits reproducible.
package splitter
