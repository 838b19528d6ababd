package report

import (
	"encoding/binary"

	"github.com/splitdata/splitdata/internal/columnar"
)

// A column of few short strings (a label, a country code, an airport)
// has its metro hash computed once per value, which costs a call and
// most of a 40-byte hash for 3 bytes. hashCache remembers the hashes of
// a column's short values (at most 16 bytes) in a small direct-mapped
// table keyed by the value's bytes themselves, so a value seen before is
// found with a few loads and compares. A key holds every byte of its
// value (shortKey), so a hit is always the value's own hash: the cache
// changes how fast hashes are found, never which. A column whose chunk
// mostly misses (distinct values, or longer ones) stops using the cache
// for a while (hashCacheRest chunks), then tries it again.

const (
	hashCacheBits = 8
	// hashCacheRest is how many chunks a column skips the cache for
	// after one that mostly missed.
	hashCacheRest = 32
	// shortValue is the longest value the cache holds.
	shortValue = 16
)

// hashCache holds the hashes of one column's recent short values.
type hashCache struct {
	ents [1 << hashCacheBits]cacheEntry
	rest int // chunks left before the cache is tried again
}

// cacheEntry is one value's key (shortKey) and metro hash; n is the
// value's length plus one, 0 in an empty entry.
type cacheEntry struct {
	lo, hi, n, hash uint64
}

// shortKey returns two words that, with its length, tell a value of at
// most shortValue bytes from every other: of 8 to 16 bytes, its first and
// last 8 (overlapping); of 4 to 7, its first and last 4; of 1 to 3, its
// first, middle and last byte. Each covers every byte of the value.
func shortKey(v []byte) (lo, hi uint64) {
	switch n := len(v); {
	case n >= 8:
		return binary.LittleEndian.Uint64(v), binary.LittleEndian.Uint64(v[n-8:])
	case n >= 4:
		return uint64(binary.LittleEndian.Uint32(v)) | uint64(binary.LittleEndian.Uint32(v[n-4:]))<<32, 0
	case n > 0:
		return uint64(v[0]) | uint64(v[n>>1])<<8 | uint64(v[n-1])<<16, 0
	}
	return 0, 0
}

// cacheSlot is the entry of the table a key goes to.
func cacheSlot(lo, hi, n uint64) uint64 {
	return ((lo ^ hi*mixMul1) + n) * rowMul >> (64 - hashCacheBits)
}

// chunkHashesCached is chunkHashes for a ByteArray chunk, through the
// column's cache hc.
func chunkHashesCached(vh []uint64, ch *columnar.Chunk, hc *hashCache) []uint64 {
	vh = growU64(vh, ch.N)
	if hc.rest > 0 {
		hc.rest--
		return chunkHashes(vh, ch)
	}
	misses := 0
	for k := range ch.N {
		vh[k] = 0
		if ch.Null(k) {
			continue
		}
		v := ch.Value(k)
		if len(v) > shortValue {
			vh[k] = bytesHash(v)
			misses++
			continue
		}
		lo, hi := shortKey(v)
		n := uint64(len(v)) + 1
		e := &hc.ents[cacheSlot(lo, hi, n)]
		if e.n == n && e.lo == lo && e.hi == hi {
			vh[k] = e.hash
			continue
		}
		h := bytesHash(v)
		*e = cacheEntry{lo: lo, hi: hi, n: n, hash: h}
		vh[k] = h
		misses++
	}
	if 4*misses > ch.N {
		hc.rest = hashCacheRest
	}
	return vh
}
