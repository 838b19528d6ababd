//go:build !linux

package pipeline

import "os"

// newOutputFile returns the writer of the output file f, which its Close
// syncs and closes. Outside Linux it writes through the
// page cache as it is (see writebehind_linux.go).
func newOutputFile(f *os.File) syncedFile {
	return syncedFile{f}
}
