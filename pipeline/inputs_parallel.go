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

// inputWorkers is how many goroutines work on the inputs at once.
func inputWorkers(n int) int {
	return max(min(n, runtime.GOMAXPROCS(0)), 1)
}

// eachInput calls fn(i) for every i in [0, n) on up to workers goroutines,
// in increasing order of i as the goroutines take them. It returns the
// error of the smallest i whose call failed. Once a call has failed the
// goroutines soon stop taking more, but every i below a failed one has
// been taken before it and is called: the error is the one a serial loop
// would return.
func eachInput(n, workers int, fn func(i int) error) error {
	if n <= 0 {
		return nil
	}
	workers = max(min(workers, n), 1)
	if workers == 1 {
		for i := range n {
			if err := fn(i); err != nil {
				return err
			}
		}
		return nil
	}
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if errs[i] = fn(i); errs[i] != nil {
					failed.Store(true)
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
