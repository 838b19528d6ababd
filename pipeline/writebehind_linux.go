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
// again, and a file holds at most three chunks of cache. The disk gets the
// same writes as before, earlier; Close still syncs the whole file.
//
// The wait for a chunk's writeback (a few milliseconds a chunk, longer on
// a busy disk) and the drop run on a goroutine of their own, one per file
// at a time: done by the writer itself, they held up the one goroutine
// that writes every output file, and with it the row groups waiting to be
// written, whose share of the job window kept the dispatcher, the encoders
// and the readers waiting too (mixed: 5 ms or more every 8 MiB written,
// in a traced run the other goroutines all waiting for the window). The
// writer waits for a chunk's drop only when the next chunk is due, and
// Close waits for it before the file is synced.

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
	dropped int64 // bytes whose wait and drop were started (see dropping)
	off     bool  // the file system refused sync_file_range: plain writes

	// dropping, when not nil, gives the result of the wait for the
	// writeback of the bytes before dropped, which are then dropped from
	// the cache, on a goroutine of its own.
	dropping chan error
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
// then waits for the bytes of the call before that to be written back
// and drops them from the cache, on a goroutine of its own, once the same
// for the call before has ended. An error of the writeback is the file's:
// sync_file_range reports it once, and Close's sync would no longer.
func (w *writeBehindFile) behind() error {
	fd := int(w.Fd())
	if err := unix.SyncFileRange(fd, w.started, w.written-w.started, unix.SYNC_FILE_RANGE_WRITE); err != nil {
		if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ESPIPE) {
			w.off = true
			return nil
		}
		return err
	}
	if err := w.awaitDrop(); err != nil {
		return err
	}
	if w.started > w.dropped {
		off, n := w.dropped, w.started-w.dropped
		done := make(chan error, 1)
		go func() {
			err := unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WAIT_BEFORE|unix.SYNC_FILE_RANGE_WRITE|unix.SYNC_FILE_RANGE_WAIT_AFTER)
			if err == nil {
				// A hint: pages it leaves stay cached, as they would without it.
				_ = unix.Fadvise(fd, off, n, unix.FADV_DONTNEED)
			}
			done <- err
		}()
		w.dropping = done
		w.dropped = w.started
	}
	w.started = w.written
	return nil
}

// awaitDrop waits for the wait and drop under way, if any, and returns its
// error.
func (w *writeBehindFile) awaitDrop() error {
	if w.dropping == nil {
		return nil
	}
	err := <-w.dropping
	w.dropping = nil
	return err
}

// Close waits for the drop under way, then syncs and closes the file (the
// file's descriptor stays open until the goroutine using it is done). An
// error of the writeback is returned before the sync's.
func (w *writeBehindFile) Close() error {
	err := w.awaitDrop()
	if err != nil {
		err = fmt.Errorf("writing back %s: %w", w.Name(), err)
	}
	if cerr := w.syncedFile.Close(); err == nil {
		err = cerr
	}
	return err
}
