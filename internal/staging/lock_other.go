//go:build !unix

package staging

import "os"

// tryLock is a no-op where flock is not available: concurrent runs on one
// output are not detected there (the final rename still keeps each output
// whole).
func tryLock(*os.File) (bool, error) { return true, nil }

// locksWork reports that [tryLock] cannot tell a live holder here: nothing
// may be removed on the strength of a lock taken.
const locksWork = false
