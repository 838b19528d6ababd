package pipeline

import (
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// Arena chunk sizes: at most arenaValues values and arenaBytes bytes, so
// that a unit of 100k rows needs a few dozen allocations; at least
// minArenaValues and minArenaBytes, below which the allocations' cost
// shows. Between the two, a unit's arenas take chunks of a share of the
// unit's estimate (newRowArenas), so that the last, partly used chunk of
// each split wastes little of the unit window the unit is charged to.
const (
	arenaValues    = 64 << 10 // values per chunk (24 bytes each on 64-bit)
	arenaBytes     = 1 << 20  // bytes per chunk
	minArenaValues = 1 << 10
	minArenaBytes  = 32 << 10
	// arenaShares is how many chunks of each kind a unit's estimate is cut
	// into, over all its splits' arenas: each split wastes at most one of
	// each, so a unit's arenas hold at most an arenaShares'th of the
	// estimate beyond the rows' content (twice that for the two kinds,
	// at most; see arenaSlack).
	arenaShares = 32
)

// rowArena deep-copies borrowed rows into a few large allocations, so that
// the rows of a unit can outlive the decoder's page buffers without one
// allocation per row or per string. Chunks are never reallocated, so rows
// handed out stay valid. Single goroutine.
type rowArena struct {
	vals      []parquet.Value
	bytes     []byte
	used      int64 // bytes of the rows cloned: values and the bytes they hold
	alloc     int64 // bytes of the chunks allocated
	chunkVals int   // values per chunk (0: arenaValues)
	chunkLen  int   // bytes per chunk (0: arenaBytes)
}

// valueBytes is the size of a parquet.Value.
const valueBytes = int64(unsafe.Sizeof(parquet.Value{}))

// newRowArenas returns the arenas of the n splits of a unit estimated at
// est bytes decoded (0: unknown, chunks of the largest size), with chunks
// of an arenaShares'th of est shared among them: with 1 MiB chunks a
// unit of 4.7 MiB (the wide shape of benchmarks/peers.sh under --memory
// 128MiB, two splits) allocated 8 MB, more than its weight in the unit
// window, which the arenas then outgrew (about 30 MB against 14 MiB).
func newRowArenas(n int, est int64) []rowArena {
	arenas := make([]rowArena, n)
	if est <= 0 || n <= 0 {
		return arenas
	}
	share := est / int64(arenaShares*n)
	vals := int(min(max(share/valueBytes, minArenaValues), arenaValues))
	size := int(min(max(share, minArenaBytes), arenaBytes))
	for s := range arenas {
		arenas[s].chunkVals, arenas[s].chunkLen = vals, size
	}
	return arenas
}

// arenaSlack is the most the arenas of a unit estimated at est bytes,
// routed to n splits, allocate beyond the rows' content (newRowArenas):
// one partly used chunk of each kind per split.
func arenaSlack(n int, est int64) int64 {
	if n <= 0 {
		return 0
	}
	if est <= 0 {
		return int64(n) * (arenaValues*valueBytes + arenaBytes)
	}
	share := est / int64(arenaShares*n)
	vals := min(max(share/valueBytes, minArenaValues), arenaValues)
	size := min(max(share, minArenaBytes), arenaBytes)
	return int64(n) * (vals*valueBytes + size)
}

// content returns the bytes of the rows cloned so far, without the slack
// of partly used chunks.
func (a *rowArena) content() int64 { return a.used }

// allocated returns the bytes of the chunks a has allocated.
func (a *rowArena) allocated() int64 { return a.alloc }

// clone returns a copy of row that shares no memory with it.
func (a *rowArena) clone(row parquet.Row) parquet.Row {
	if cap(a.vals)-len(a.vals) < len(row) {
		chunk := a.chunkVals
		if chunk <= 0 {
			chunk = arenaValues
		}
		a.vals = make([]parquet.Value, 0, max(chunk, len(row)))
		a.alloc += int64(cap(a.vals)) * valueBytes
	}
	start := len(a.vals)
	a.used += int64(len(row)) * valueBytes
	for _, v := range row {
		switch k := v.Kind(); {
		case v.IsNull():
		case k == parquet.ByteArray:
			v = parquet.ByteArrayValue(a.copyBytes(v.ByteArray())).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
		case k == parquet.FixedLenByteArray:
			v = parquet.FixedLenByteArrayValue(a.copyBytes(v.ByteArray())).Level(v.RepetitionLevel(), v.DefinitionLevel(), v.Column())
		}
		a.vals = append(a.vals, v)
	}
	return a.vals[start:len(a.vals):len(a.vals)]
}

func (a *rowArena) copyBytes(b []byte) []byte {
	a.used += int64(len(b))
	chunk := a.chunkLen
	if chunk <= 0 {
		chunk = arenaBytes
	}
	if len(b) > chunk/4 {
		a.alloc += int64(len(b))
		return append([]byte(nil), b...)
	}
	if cap(a.bytes)-len(a.bytes) < len(b) {
		a.bytes = make([]byte, 0, chunk)
		a.alloc += int64(chunk)
	}
	start := len(a.bytes)
	a.bytes = append(a.bytes, b...)
	return a.bytes[start:len(a.bytes):len(a.bytes)]
}
