package report

import "slices"

// maxSetSlots bounds the hash set of sharedIn (512 KiB): a larger bucket
// is sorted instead.
const maxSetSlots = 1 << 16

// filterMin is the smallest bucket sharedIn first filters through its
// bitmaps: a smaller one's hash set is small enough to stay in the
// nearest cache.
const filterMin = 512

// filterMaxBits bounds the bitmaps of sharedIn's filter (16 KiB each,
// both in the nearest cache).
const filterMaxBits = 1 << 17

// filterShift is where the bits of a hash that index sharedIn's bitmaps
// start: below the bucket's bits (all equal in a bucket), above the hash
// set's slot bits, so that the hashes the filter keeps do not crowd
// into a few slots of the set.
const filterShift = 20

// sharedFinder holds the buffers of one goroutine's sharedIn calls,
// grown as needed and reused. The zero value is ready to use.
type sharedFinder struct {
	set, shared, kept []uint64
	// seen and twice are bitmaps: the bits hashes of a bucket index,
	// and those indexed by two hashes or more.
	seen, twice []uint64
}

// sharedIn moves the distinct hashes that bucket holds twice or more to
// its start, ascending, and returns their number.
//
// A bucket of filterMin hashes or more is first filtered: each hash sets
// a bit of a bitmap of at least 16 bits a hash (16 KiB at most), and
// only the hashes whose bit another hash set too (a hash held twice
// always does; a sixteenth or so of the others) go on to the hash set.
// Both bitmaps stay in the nearest cache, where the set of every hash of
// a bucket of a 10M-row log (128 KiB) did not: 22 → 14.5 µs of CPU for
// such a bucket.
func (f *sharedFinder) sharedIn(bucket []uint64) int {
	if 2*len(bucket) > maxSetSlots {
		slices.Sort(bucket)
		k := 0
		for i := 0; i < len(bucket); {
			j := i + 1
			for j < len(bucket) && bucket[j] == bucket[i] {
				j++
			}
			if j-i > 1 {
				bucket[k] = bucket[i]
				k++
			}
			i = j
		}
		return k
	}
	hs := bucket
	if len(bucket) >= filterMin {
		hs = f.filter(bucket)
	}
	shared := f.setShared(hs)
	return copy(bucket, shared)
}

// filter returns the hashes of bucket whose bit of the filter's bitmap
// another hash of bucket sets too (in f.kept), in bucket's order.
func (f *sharedFinder) filter(bucket []uint64) []uint64 {
	bits := 1 << 10
	for bits < 16*len(bucket) && bits < filterMaxBits {
		bits *= 2
	}
	words := bits / 64
	if cap(f.seen) < words {
		f.seen, f.twice = make([]uint64, filterMaxBits/64), make([]uint64, filterMaxBits/64)
	}
	seen, twice := f.seen[:words], f.twice[:words]
	clear(seen)
	clear(twice)
	mask := uint64(bits - 1)
	for _, h := range bucket {
		i := h >> filterShift & mask
		w, b := i>>6, uint64(1)<<(i&63)
		twice[w] |= seen[w] & b
		seen[w] |= b
	}
	// Without a branch, which the hashes kept (a few in a hundred)
	// would mispredict: every hash is written, and the next slot taken
	// only if it is kept.
	kept := slices.Grow(f.kept[:0], len(bucket))[:len(bucket)]
	n := 0
	for _, h := range bucket {
		i := h >> filterShift & mask
		kept[n] = h
		n += int(twice[i>>6] >> (i & 63) & 1)
	}
	f.kept = kept
	return kept[:n]
}

// setShared returns the distinct hashes that hs holds twice or more,
// ascending (in f.shared, valid until the next call). The hashes go
// through a set (open addressing, linear probing, at most half full, 0
// for an empty slot, so zeros are counted apart): a tenth of the cost of
// sorting them. hs holds at most maxSetSlots/2 hashes.
func (f *sharedFinder) setShared(hs []uint64) []uint64 {
	size := 64
	for size < 2*len(hs) {
		size *= 2
	}
	if cap(f.set) < size {
		f.set = make([]uint64, size, maxSetSlots)
	}
	t := f.set[:size]
	clear(t)
	mask := uint64(size - 1)
	shared := f.shared[:0]
	zeros := 0
	for _, h := range hs {
		if h == 0 {
			zeros++
			continue
		}
		// The top bits number the bucket: the low ones are the slot.
		i := h & mask
		for t[i] != 0 && t[i] != h {
			i = (i + 1) & mask
		}
		if t[i] == h {
			shared = append(shared, h)
		} else {
			t[i] = h
		}
	}
	if zeros > 1 {
		shared = append(shared, 0)
	}
	f.shared = shared
	if len(shared) == 0 {
		return shared
	}
	slices.Sort(shared)
	return slices.Compact(shared)
}
