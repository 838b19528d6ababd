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
type batchPool struct {
	mu    sync.Mutex
	free  []*columnar.Batch
	bytes int64 // Size of the batches in free
	limit int64 // bytes; 0: count batches
	count int   // batches, when limit is 0
}

// newBatchPool returns a pool holding at most limit bytes of batches, or
// when limit is 0 at most count batches.
func newBatchPool(limit int64, count int) *batchPool {
	return &batchPool{limit: limit, count: max(count, 1)}
}

// get returns a batch to decode into, the last one kept, or nil.
func (p *batchPool) get() *columnar.Batch {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	n := len(p.free)
	if n == 0 {
		return nil
	}
	b := p.free[n-1]
	p.free[n-1] = nil
	p.free = p.free[:n-1]
	p.bytes -= b.Size()
	return b
}

// put keeps b, a batch nothing reads any more, unless that would take the
// pool past its bound.
func (p *batchPool) put(b *columnar.Batch) {
	if p == nil || b == nil {
		return
	}
	size := b.Size()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.limit > 0 && p.bytes+size > p.limit || p.limit == 0 && len(p.free) >= p.count {
		return
	}
	p.free = append(p.free, b)
	p.bytes += size
}

// held returns the bytes of the batches p keeps.
func (p *batchPool) held() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bytes
}
