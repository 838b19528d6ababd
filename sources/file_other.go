//go:build !unix

package sources

import "os"

// openNonblock is 0 where the system has no such flag: there a named pipe
// is refused by the check before opening.
const openNonblock = 0

// clearNonblock has nothing to undo without openNonblock.
func clearNonblock(*os.File) error { return nil }
