package report

import (
	"slices"
	"sync"
)

// prefixBits is the length of the hash prefixes a sparse HyperLogLog++
// entry keeps (see counter).
const prefixBits = 25

// prefixSetSize is the slots of a prefixSet: a power of two, more than
// twice pendCap, so that the set is at most half full.
const prefixSetSize = 1 << 16

var _ [prefixSetSize - 2*pendCap]struct{} // the set must be at most half full

// prefixSet is a set of hash prefixes: open addressing with linear
// probing, a slot holding prefix + 1 (0: empty). The prefixes are bits
// of metro hashes, so their low bits index the set as they are.
type prefixSet [prefixSetSize]uint32

var prefixSets = sync.Pool{New: func() any { return new(prefixSet) }}

// manyPrefixes reports whether hashes have more than sparseLimit distinct
// 25-bit prefixes. It counts them in a hash set, stopping past
// sparseLimit: sorting the prefixes to count them was most of a flush.
func manyPrefixes(hashes []uint64) bool {
	if len(hashes) <= sparseLimit {
		return false
	}
	if len(hashes) > prefixSetSize/2 {
		// More than a counter keeps (never): sorted and counted.
		prefixes := make([]uint32, len(hashes))
		for i, h := range hashes {
			prefixes[i] = uint32(h >> (64 - prefixBits))
		}
		slices.Sort(prefixes)
		return len(slices.Compact(prefixes)) > sparseLimit
	}
	set := prefixSets.Get().(*prefixSet)
	defer prefixSets.Put(set)
	clear(set[:])
	const mask = prefixSetSize - 1
	n := 0
	for _, h := range hashes {
		p := uint32(h>>(64-prefixBits)) + 1
		i := p & mask
		for set[i] != 0 && set[i] != p {
			i = (i + 1) & mask
		}
		if set[i] == 0 {
			set[i] = p
			if n++; n > sparseLimit {
				return true
			}
		}
	}
	return false
}
