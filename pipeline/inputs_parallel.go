package pipeline

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Work on each input that does not depend on the others (opening its
// footer, hashing its ends) runs on several goroutines: with hundreds of
// small files, done one file after another, it is a serial phase before
// the engine starts and after it ends. The results stay in input order and
// the error is the one of the first input that failed, as a loop over the
// inputs would report it.

// inputWorkers is how many goroutines work on n inputs at once: at most
// workers, the job's --workers (0: GOMAXPROCS), so that a job told to use
// one goroutine opens and hashes its inputs on one too.
func inputWorkers(n, workers int) int {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	return max(min(n, workers), 1)
}

// inputQueue hands the indexes [0, n) out in increasing order to the
// goroutines that work on them and keeps each call's error. Once a call
// has failed (or stop was called) no more indexes are handed out, but
// every index below a failed one was handed out before it, so its call
// is made: err is then the error a serial loop would return.
type inputQueue struct {
	n       int
	next    atomic.Int64 // the next index to hand out
	stopped atomic.Bool
	errs    []error
}

func newInputQueue(n int) *inputQueue {
	return &inputQueue{n: max(n, 0), errs: make([]error, max(n, 0))}
}

// work calls fn(i) for the indexes it takes until none is left or the
// queue stopped.
func (q *inputQueue) work(fn func(i int) error) {
	for !q.stopped.Load() {
		i := int(q.next.Add(1) - 1)
		if i >= q.n {
			return
		}
		if q.errs[i] = fn(i); q.errs[i] != nil {
			q.stopped.Store(true)
			return
		}
	}
}

// stop hands out no more indexes.
func (q *inputQueue) stop() { q.stopped.Store(true) }

// err returns the error of the smallest index whose call failed. The
// goroutines calling work must be done.
func (q *inputQueue) err() error {
	for _, err := range q.errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// eachInput calls fn(i) for every i in [0, n) on up to workers goroutines
// (an inputQueue) and returns the error of the smallest i whose call
// failed, as a serial loop would.
func eachInput(n, workers int, fn func(i int) error) error {
	q := newInputQueue(n)
	var wg sync.WaitGroup
	for range max(min(workers, n), 1) - 1 {
		wg.Go(func() { q.work(fn) })
	}
	q.work(fn)
	wg.Wait()
	return q.err()
}
