package pipeline

import (
	"fmt"
	"hash"
	"io"
	"sync"
)

// Closing a finished local output file syncs it (see syncedFile), and the
// sync waits for the disk. Done by the in-order writer, one file after the
// other, the syncs of the files that end together (each split's last file,
// at the end of every job) were a serial wait at the end of the run, and
// each one in the middle of a job with --rows-per-file held up the files
// after it. So finished local files are synced and closed on goroutines of
// their own, at most closeBehindFiles at once, and the writer waits for all
// of them before it returns: every output file is synced before the job
// commits, as before.

// closeBehindFiles is how many finished local files may be syncing at once.
const closeBehindFiles = 4

// fileClosers closes finished output files behind the writer. Used by one
// goroutine, the writer.
type fileClosers struct {
	slots chan struct{}
	wg    sync.WaitGroup
	n     int // files handed over

	mu    sync.Mutex
	first int   // the first file, in the order handed over, that failed to close
	err   error // its error
}

func newFileClosers() *fileClosers {
	return &fileClosers{slots: make(chan struct{}, closeBehindFiles), first: -1}
}

// syncer is a local output file, whose Close syncs it.
type syncer interface {
	Sync() error
}

// close closes f, the finished output file rel: a local file on a
// goroutine of its own, any other (an object being uploaded, whose Close
// completes it) at once. It returns the error of f's Close when it closed
// f at once, else the error of an earlier file that failed to close, if
// any is known yet (the job is lost: no point writing on).
func (c *fileClosers) close(rel string, f io.Closer) error {
	if _, ok := f.(syncer); !ok {
		if err := f.Close(); err != nil {
			return fmt.Errorf("write %s: %w", rel, err)
		}
		return nil
	}
	i := c.n
	c.n++
	c.slots <- struct{}{}
	c.wg.Go(func() {
		err := f.Close()
		<-c.slots
		if err != nil {
			c.mu.Lock()
			if c.first < 0 || i < c.first {
				c.first, c.err = i, fmt.Errorf("write %s: %w", rel, err)
			}
			c.mu.Unlock()
		}
	})
	return c.failed()
}

// failed returns the error of the first file, in the order they were
// handed over, known to have failed to close. Once all have closed, that
// is the first that failed; a file after it fails only if handed over
// after it, so the writer, which stops on an error it learns, always
// reports that first file's.
func (c *fileClosers) failed() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// wait waits for every file handed over to close and returns the error
// of the first, in the order they were handed over, that failed.
func (c *fileClosers) wait() error {
	c.wg.Wait()
	return c.failed()
}

// hashBeside writes to w and hashes the same bytes with h, as
// io.MultiWriter(w, h) does, but a large write's hash is taken on a
// goroutine of its own while w copies the bytes: the writer of the output
// files, one goroutine, hashes every byte it writes, and at the end of a
// job its last row groups were copied and then hashed one after the other
// while the other cores had nothing left to do. The hash takes the same
// bytes in the same order, so its sum is the same. A hashedWriter uses it
// for the writes it cannot hash behind the writer (writebehind_hash.go).
type hashBeside struct {
	w io.Writer
	h hash.Hash
}

// hashBesideBytes is the smallest write whose hash is taken beside it:
// below, starting a goroutine costs more than the overlap saves.
const hashBesideBytes = 128 << 10

// Write writes p to w and to the hash, and returns w's count and error.
func (t hashBeside) Write(p []byte) (int, error) {
	if len(p) < hashBesideBytes {
		n, err := t.w.Write(p)
		t.h.Write(p[:n])
		return n, err
	}
	done := make(chan struct{})
	go func() {
		t.h.Write(p)
		close(done)
	}()
	n, err := t.w.Write(p)
	<-done
	return n, err
}
