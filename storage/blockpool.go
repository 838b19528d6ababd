package storage

import (
	"slices"
	"sync"
)

// The blocks the Objects of a Store hold (see Object): a pool of at most
// ReadAhead bytes, and which block makes room for a new one.

// blockPool holds the blocks of a Store's Objects: at most capacity in
// all, with the buffers of blocks let go kept for the next ones, so that
// reads allocate nothing once the pool is full.
type blockPool struct {
	mu       sync.Mutex
	capacity int
	size     int64    // bytes of a block
	blocks   []*block // every block held, of any object
	free     [][]byte // buffers of blocks let go, len(free) + len(blocks) <= capacity
	unread   int      // blocks fetched ahead and not read yet, at most capacity/2
	tick     uint64
	peak     int // most blocks held at once, for tests
}

func newBlockPool(opts Options) *blockPool {
	return &blockPool{capacity: int(max(1, opts.ReadAhead/opts.BlockSize)), size: opts.BlockSize}
}

// ahead is how many blocks a sequential stream fetches ahead of its reads.
func (p *blockPool) ahead(parallel int) int {
	return max(1, min(parallel, p.capacity/4))
}

// evictLocked makes room for one block. When the pool holds its
// capacity it lets go of one of the blocks fetched that no reader holds:
// the read block longest unread among the passed ones (a read reached
// its last byte: a stream moved on); for a read (forRead), when there is none,
// the read block longest unread, else the block fetched ahead longest
// ago. A fetch ahead thus never takes the block a stream is reading. It
// reports whether there is room.
func (p *blockPool) evictLocked(forRead bool) bool {
	if len(p.blocks) < p.capacity {
		return true
	}
	var victim *block
	rank := func(b *block) int { // lower goes first
		switch {
		case !b.read:
			return 2
		case b.passed:
			return 0
		}
		return 1
	}
	vr := 0
	for _, b := range p.blocks {
		if b.busy > 0 {
			continue
		}
		r := rank(b)
		if r > 0 && !forRead {
			continue
		}
		select {
		case <-b.done:
		default:
			continue // still being fetched
		}
		if victim == nil || r < vr || (r == vr && b.used < victim.used) {
			victim, vr = b, r
		}
	}
	if victim == nil {
		return false
	}
	p.dropLocked(victim)
	return true
}

// dropLocked removes b from the pool and from its object, keeping its
// buffer for another block when b is fetched and no reader holds it.
func (p *blockPool) dropLocked(b *block) {
	if i := slices.Index(p.blocks, b); i >= 0 {
		p.blocks = slices.Delete(p.blocks, i, i+1)
		if !b.read {
			p.unread--
		}
	}
	if b.o.blocks != nil && b.o.blocks[b.idx] == b {
		delete(b.o.blocks, b.idx)
	}
	select {
	case <-b.done:
		if b.busy == 0 && b.data != nil && int64(cap(b.data)) == p.size && len(p.free)+len(p.blocks) < p.capacity {
			p.free = append(p.free, b.data[:0])
		}
	default:
	}
}
