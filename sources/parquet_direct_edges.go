package sources

import (
	"context"
	"math/bits"
	"runtime/debug"
	"sync"
	"weak"
)

// Pages at the edges of units. The engine cuts a large row group into
// units of rows on its costliest column's page starts; every other
// column's pages straddle the cuts, and a column of few pages (the short
// string columns of benchmarks/peers.sh's wide shape: three pages of
// 51,392 rows in a row group of 122,880 cut into several units) has each
// page read by several units. Each unit read its edge pages whole and
// decompressed them again: on wide, 871 MB read and decompressed for a
// 541 MB file (586 MB now; one: 306 MB for 233, now 253). Direct decoding now keeps the
// decompressed bytes of a page that straddles its unit's rows here, for
// the other units reading it. The first unit to want such a page claims
// it and decompresses it; one wanting it meanwhile waits for it (a page's
// decompression, at most), and one wanting it later finds it. The bytes
// are those decompression gives, so no batch changes; entries are
// dropped oldest first beyond edgeLimit, and a page above
// maxEdgePageBytes is not kept: the memory is bounded by these, whatever
// the input. A closed input's pages go as newer pages come.

// Edge page bounds: the most bytes kept in all (less under a soft memory
// limit: edgeLimit), and the largest page kept.
const (
	maxEdgeBytes     = 16 << 20
	maxEdgePageBytes = 2 << 20
)

// edgeKey names a page: its input (weakly: a page kept does not keep a
// closed input's footer alive), row group, column and offset.
type edgeKey struct {
	p     weak.Pointer[Parquet]
	rg, c int
	off   int64
}

// edgePage is a page's decompressed bytes, once done is closed; nil when
// the unit that claimed it did not decompress it. refs counts the units
// decoding from data, whose memory is reused for a later page only once
// the page is dropped and refs is zero.
type edgePage struct {
	done    chan struct{}
	data    []byte
	refs    int
	dropped bool
}

// edgeCache holds the edge pages. Its methods may be called from several
// goroutines at once.
type edgeCache struct {
	mu    sync.Mutex
	pages map[edgeKey]*edgePage
	order []edgeKey // pages done, oldest first
	bytes int
	free  [][]byte // memory of dropped pages, for new ones
	freed int      // its bytes, at most edgeLimit(maxEdgeFreeBytes)
	hits  int64    // pages found, for tests
}

// maxEdgeFreeBytes bounds the memory of dropped pages kept for new ones:
// fresh memory for every page kept cost more page faults than the
// decompression it saved.
const maxEdgeFreeBytes = 16 << 20

// edgeLimit returns most, or a sixteenth of the Go runtime's soft memory
// limit when that is less. The pipeline sets that limit to the heap
// budget of --memory, so the edge pages kept, and the memory kept for
// them, shrink with the budget instead of being a fixed cost that a
// small --memory would not cover (default budget: 13 MiB each).
func edgeLimit(most int) int {
	if limit := debug.SetMemoryLimit(-1); limit/16 < int64(most) {
		return int(max(limit/16, 0))
	}
	return most
}

// edges is the edge pages of every input read.
var edges = edgeCache{pages: make(map[edgeKey]*edgePage)}

// claim returns page k with its decompressed bytes, waiting for them
// while another unit decompresses it (the caller must release it), or
// claims it when no unit has (the caller must then put or drop it). It
// returns neither when a claim was dropped or the page is no longer kept.
func (e *edgeCache) claim(ctx context.Context, k edgeKey) (pg *edgePage, claimed bool, err error) {
	e.mu.Lock()
	pg, ok := e.pages[k]
	if !ok {
		e.pages[k] = &edgePage{done: make(chan struct{})}
		e.mu.Unlock()
		return nil, true, nil
	}
	e.mu.Unlock()
	select {
	case <-pg.done:
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if pg.data == nil || pg.dropped {
		return nil, false, nil
	}
	pg.refs++
	e.hits++
	return pg, false, nil
}

// release ends the caller's use of pg's bytes.
func (e *edgeCache) release(pg *edgePage) {
	e.mu.Lock()
	defer e.mu.Unlock()
	pg.refs--
	if pg.refs == 0 && pg.dropped {
		e.recycle(pg)
	}
}

// recycle keeps the memory of pg, dropped and unused, for a new page.
func (e *edgeCache) recycle(pg *edgePage) {
	if e.freed+cap(pg.data) <= edgeLimit(maxEdgeFreeBytes) {
		e.free = append(e.free, pg.data[:0])
		e.freed += cap(pg.data)
	}
	pg.data = nil
}

// alloc returns memory for n bytes, kept from a dropped page if one has
// room.
func (e *edgeCache) alloc(n int) []byte {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, b := range e.free {
		if cap(b) >= n {
			last := len(e.free) - 1
			e.free[i], e.free[last] = e.free[last], nil
			e.free = e.free[:last]
			e.freed -= cap(b)
			return b
		}
	}
	// A power of two, at least 64 KiB: pages of about this size fit
	// in it when it is reused.
	return make([]byte, 0, max(1<<bits.Len(uint(n-1)), 64<<10))
}

// put keeps a copy of the decompressed bytes of page k, which the caller
// claimed, made of parts end to end (a page v2's levels and values), and
// drops the oldest pages beyond edgeLimit(maxEdgeBytes).
func (e *edgeCache) put(k edgeKey, parts ...[]byte) {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	if n > maxEdgePageBytes {
		e.drop(k)
		return
	}
	data := e.alloc(n) // not nil: nil marks a dropped claim
	for _, p := range parts {
		data = append(data, p...)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	pg := e.pages[k]
	pg.data = data
	close(pg.done)
	e.order = append(e.order, k)
	e.bytes += n
	for most := edgeLimit(maxEdgeBytes); e.bytes > most && len(e.order) > 0; {
		old := e.pages[e.order[0]]
		delete(e.pages, e.order[0])
		e.order = e.order[1:]
		e.bytes -= len(old.data)
		old.dropped = true
		if old.refs == 0 {
			e.recycle(old)
		}
	}
	if len(e.order) == 0 {
		e.order = nil // let the array go
	}
}

// drop gives up the claim on page k: units waiting for it decompress it
// themselves, as later ones do.
func (e *edgeCache) drop(k edgeKey) {
	e.mu.Lock()
	defer e.mu.Unlock()
	pg := e.pages[k]
	delete(e.pages, k)
	pg.dropped = true
	close(pg.done)
}
