//go:build race

package pipeline_test

// raceEnabled is true under the race detector, whose shadow memory makes
// a process's peak RSS several times what it holds: memory bounds are
// measured without it.
const raceEnabled = true
