// Package pipeline wires sources, keys, assignment and sinks into the
// splitdata jobs. It owns the goroutines, the memory bounds, the ordering of
// outputs and the atomic commit of an output directory.
package pipeline
