//go:build !unix

package pipeline

// Where the system has no such flags, verify relies on its checks before
// opening.
const (
	openNoFollow = 0
	openNonblock = 0
)

// removeWhileOpen reports that an open file may not lose its name here.
const removeWhileOpen = false
