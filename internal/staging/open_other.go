//go:build !unix

package staging

// Where the system has no such flags, callers rely on their checks before
// opening.
const (
	OpenNoFollow = 0
	OpenNonblock = 0
)

// RemoveWhileOpen reports that an open file may not lose its name here.
const RemoveWhileOpen = false
