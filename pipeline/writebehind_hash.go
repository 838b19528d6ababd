package pipeline

import (
	"hash"
	"io"
	"sync"
)

// Hashing an output file behind its writer. The writer of the output
// files, one goroutine for all the files of a job, hashes each byte it
// writes (the manifest records each file's SHA-256). Taken beside the
// write (the copy into the page cache) but waited for, the hash of each
// row group held up the writer by the time it took past the copy, some
// 20 ms a run of the mixed shape, and with it the row groups waiting to be
// written and the share of the job window they hold. So the bytes of a
// chunk that stay unmodified until the chunk is released (see
// stableChunk) are hashed on a goroutine of the file's own, in order with
// every other byte of the file, and the chunk is released (its memory, and
// its share of the job window) only once they are hashed: no byte is held
// longer than the window counts it. Any other write (the buffer of small
// writes, a streamed row group's pages) is not kept past its return: a
// small one is copied to be hashed in its turn, a large one waits for the
// hashes before it and is hashed beside its write, as before.

// hashedWriterBuffer is the size of a hashedWriter's buffer of small
// writes, as the bufio.Writer it replaces had.
const hashedWriterBuffer = 1 << 20

// hashQueueItems is how many writes and releases a file's hash goroutine
// may have waiting; the writer waits when it has that many.
const hashQueueItems = 16

// hashCopyBytes is the largest write (or buffer of small writes) that is
// copied to be hashed in its turn rather than wait for the hashes before
// it. At most hashQueueItems copies wait for a file.
const hashCopyBytes = 64 << 10

// hashItem is what a file's hash goroutine is given: bytes to hash, then
// a release to run once they and all before them are hashed.
type hashItem struct {
	p       []byte
	release func()
}

// hashedWriter writes to w, buffering small writes as a bufio.Writer of
// hashedWriterBuffer bytes does, and hashes the same bytes in the same
// order with h (see the top of this file). Writes passed with stable set
// must stay unmodified until released (see release). For a single
// goroutine, the writer; its hash goroutine, when it has one, ends with
// seal or finish.
type hashedWriter struct {
	w      io.Writer
	h      hash.Hash
	buf    []byte
	stable bool // the bytes written stay unmodified until release

	q       chan hashItem // nil until the first item
	pending sync.WaitGroup
	done    chan struct{}
}

func newHashedWriter(w io.Writer, h hash.Hash) *hashedWriter {
	return &hashedWriter{w: w, h: h}
}

// Write writes p and hashes it in turn, as a bufio.Writer of
// hashedWriterBuffer bytes would write it: into the buffer, which is
// written whenever it is full, or at once when the buffer is empty and p
// larger than it. The same writes of the file as the bufio.Writer this
// replaced made.
func (t *hashedWriter) Write(p []byte) (int, error) {
	if t.buf == nil {
		t.buf = make([]byte, 0, hashedWriterBuffer)
	}
	n := 0
	for len(p) > cap(t.buf)-len(t.buf) {
		if len(t.buf) == 0 {
			k, err := t.write(p, t.stable)
			return n + k, err
		}
		k := cap(t.buf) - len(t.buf)
		t.buf = append(t.buf, p[:k]...)
		n += k
		p = p[k:]
		if err := t.Flush(); err != nil {
			return n, err
		}
	}
	t.buf = append(t.buf, p...)
	return n + len(p), nil
}

// Flush writes and hashes the buffer.
func (t *hashedWriter) Flush() error {
	if len(t.buf) == 0 {
		return nil
	}
	_, err := t.write(t.buf, false)
	t.buf = t.buf[:0]
	return err
}

// write writes p to w and hashes it in turn: on the hash goroutine when p
// is stable or small, else beside the write once the hashes before it
// are done.
func (t *hashedWriter) write(p []byte, stable bool) (int, error) {
	switch {
	case stable:
		t.enqueue(hashItem{p: p})
	case t.q == nil:
		return hashBeside{w: t.w, h: t.h}.Write(p)
	case len(p) <= hashCopyBytes:
		t.enqueue(hashItem{p: append([]byte(nil), p...)})
	default:
		t.pending.Wait()
		return hashBeside{w: t.w, h: t.h}.Write(p)
	}
	return t.w.Write(p)
}

// release runs f once every byte written so far is hashed, but those
// still buffered, which are copies: at once when none waits to be.
func (t *hashedWriter) release(f func()) {
	if t.q == nil {
		f()
		return
	}
	t.enqueue(hashItem{release: f})
}

// enqueue hands it to the hash goroutine, started with the first item.
func (t *hashedWriter) enqueue(it hashItem) {
	if t.q == nil {
		t.q = make(chan hashItem, hashQueueItems)
		t.done = make(chan struct{})
		go t.hashing(t.q, t.done)
	}
	t.pending.Add(1)
	t.q <- it
}

// hashing hashes and releases the items of q in order until q is closed
// (seal), then closes done.
func (t *hashedWriter) hashing(q <-chan hashItem, done chan<- struct{}) {
	defer close(done)
	for it := range q {
		if it.p != nil {
			t.h.Write(it.p)
		}
		if it.release != nil {
			it.release()
		}
		t.pending.Done()
	}
}

// seal lets the buffer go, which must have been flushed, and has the hash
// goroutine end once it has hashed every byte written and run every
// release: a finished file whose sum is taken later keeps no buffer and
// no goroutine. Nothing may be written after.
func (t *hashedWriter) seal() {
	t.buf = nil
	if t.q != nil {
		close(t.q)
		t.q = nil
	}
}

// finish seals t (see seal) and waits until every byte written is hashed
// and every release has run. Bytes still buffered are not written, nor
// hashed.
func (t *hashedWriter) finish() {
	t.seal()
	if t.done != nil {
		<-t.done
	}
}

// sum flushes the buffer, waits for the hash of every byte written and
// returns the sum.
func (t *hashedWriter) sum() ([]byte, error) {
	err := t.Flush()
	t.finish()
	if err != nil {
		return nil, err
	}
	return t.h.Sum(nil), nil
}
