//go:build linux

package pipeline

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Write-behind of output files. An output file's pages stay in the page
// cache after they are written, and each new page of it is memory the
// kernel takes from its free lists: on a virtual machine whose host takes
// back the guest's free memory (free page reporting, as on this project's
// benchmark machines), the first touch of such a page costs a fault in the
// host, about 2 µs a page. The split of benchmarks/peers.sh's mixed shape
// writes about 235 MB, and copying them into fresh page cache took 0.4 to
// 0.5 CPU-s of system time, as much as all its page faults. So the writer
// starts the writeback of each writeBehindChunk bytes as soon as they are
// written, waits for the chunk before it and drops its pages from the
// cache (posix_fadvise DONTNEED): the next writes take those warm pages
// again, and a file holds at most two chunks of cache. The disk gets the
// same writes as before, earlier; Close still syncs the whole file.

// writeBehindChunk is the bytes of a file written back and dropped at a
// time.
const writeBehindChunk = 8 << 20

// writeBehindFile is an output file (see syncedFile) that writes its
// pages back as it goes and drops them from the page cache (see the top
// of this file). Single goroutine, as an os.File being written.
type writeBehindFile struct {
	syncedFile
	written int64 // bytes written
	started int64 // bytes whose writeback was started
	dropped int64 // bytes written back and dropped from the cache
	off     bool  // the file system refused sync_file_range: plain writes
}

// newOutputFile returns the writer of the output file f, which its Close
// syncs and closes.
func newOutputFile(f *os.File) *writeBehindFile {
	return &writeBehindFile{syncedFile: syncedFile{f}}
}

// Write writes p, then writes back and drops what is a chunk behind.
func (w *writeBehindFile) Write(p []byte) (int, error) {
	n, err := w.File.Write(p)
	w.written += int64(n)
	if err != nil || w.off || w.written-w.started < writeBehindChunk {
		return n, err
	}
	if err := w.behind(); err != nil {
		return n, fmt.Errorf("writing back %s: %w", w.Name(), err)
	}
	return n, nil
}

// behind starts the writeback of the bytes written since the last call,
// then waits for those of the call before and drops them from the cache.
// An error of the writeback is the file's: sync_file_range reports it
// once, and Close's sync would no longer.
func (w *writeBehindFile) behind() error {
	fd := int(w.Fd())
	if err := unix.SyncFileRange(fd, w.started, w.written-w.started, unix.SYNC_FILE_RANGE_WRITE); err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ESPIPE) {
			w.off = true
			return nil
		}
		return err
	}
	if w.started > w.dropped {
		if err := unix.SyncFileRange(fd, w.dropped, w.started-w.dropped, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER); err != nil {
			return err
		}
		// A hint: pages it leaves stay cached, as they would without it.
		_ = unix.Fadvise(fd, w.dropped, w.started-w.dropped, unix.FADV_DONTNEED)
		w.dropped = w.started
	}
	w.started = w.written
	return nil
}
