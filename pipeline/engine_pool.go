package pipeline

import (
	"sync"

	"github.com/splitdata/splitdata/internal/columnar"
)

// batchPool keeps the batches of units whose rows are all copied out or
// encoded, for the next units the readers decode: fresh memory for every
// unit costs the runtime page faults and zeroing, since under the soft
// memory limit it returns freed pages to the system. Released batches
// come in bursts (an encoded row group ends the uses of the units it read
// in place) and readers want one each at their own pace, so the pool holds
// batches by bytes, not one per worker: at most limit bytes of them
// (columnar.Batch.Size), or when no budget is known as many batches as
// there are workers. A batch that would take the pool past its bound is
// left to the collector. Its methods may be called by several goroutines
// at once; a nil pool keeps nothing.
type batchPool = freeList[*columnar.Batch]

// newBatchPool returns a pool holding at most limit bytes of batches, or
// when limit is 0 at most count batches.
func newBatchPool(limit int64, count int) *batchPool {
	if limit > 0 {
		return newFreeList(0, limit, batchSize)
	}
	return newFreeList(max(count, 1), 0, batchSize)
}

// batchSize is b's Size, 0 for none.
func batchSize(b *columnar.Batch) int64 {
	if b == nil {
		return 0
	}
	return b.Size()
}

// freeList keeps values nothing uses any more (batches, buffers) for
// reuse: at most keep of them and most bytes of them (size), each bound
// unless 0; a value that would take it past a bound, or of size 0 (none:
// a nil batch or buffer), is left to the collector, and none is kept once
// drop is called. Its methods may be called by several goroutines at
// once; a nil list keeps nothing.
type freeList[T any] struct {
	mu    sync.Mutex
	free  []T
	bytes int64 // the size of the values in free
	keep  int
	most  int64
	done  bool
	size  func(T) int64
}

// newFreeList returns a list keeping at most keep values (0: no bound)
// of at most most bytes in all (0: no bound) as size measures them.
func newFreeList[T any](keep int, most int64, size func(T) int64) *freeList[T] {
	return &freeList[T]{keep: keep, most: most, size: size}
}

// get returns the last value kept, or the zero value when none is.
func (l *freeList[T]) get() T {
	var v T
	if l == nil {
		return v
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.free)
	if n == 0 {
		return v
	}
	v = l.free[n-1]
	l.free[n-1] = *new(T)
	l.free = l.free[:n-1]
	l.bytes -= l.size(v)
	return v
}

// put keeps v, which nothing uses any more, unless that would take the
// list past a bound.
func (l *freeList[T]) put(v T) {
	if l == nil {
		return
	}
	size := l.size(v)
	if size <= 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.done || l.keep > 0 && len(l.free) >= l.keep || l.most > 0 && l.bytes+size > l.most {
		return
	}
	l.free = append(l.free, v)
	l.bytes += size
}

// drop lets go of the values kept and keeps none from now on.
func (l *freeList[T]) drop() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.free, l.bytes, l.done = nil, 0, true
	l.mu.Unlock()
}

// held returns the bytes of the values l keeps.
func (l *freeList[T]) held() int64 {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bytes
}
