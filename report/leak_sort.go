package report

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sync"
)

// The in-memory order of leak records: buckets on (kind, first hash
// byte), each radix-sorted on the next bytes, so that equal hashes stand
// next to each other.

// recordBuckets is the number of buckets of sortRecords: kind and the
// hash's first byte.
const recordBuckets = 2 * 256

func recordBucket(r *record) int { return int(r.kind&1)<<8 | int(r.hash[0]) }

// radixMin is the smallest bucket sortRecords radix-sorts: below, the
// counting passes cost more than a comparison sort.
const radixMin = 256

// sortRecords sorts recs as compareRecords orders them, the buckets on
// up to workers goroutines (the order does not depend on workers).
func sortRecords(recs []record, workers int) {
	starts, ends := bucketRecords(recs)
	sortBuckets(recs, &starts, &ends, workers)
}

// bucketRecords orders recs by bucket, in place, and returns where each
// bucket starts and ends. The hashes are uniform, so a counting sort in
// place on (kind, the hash's first byte) (an American flag sort) cuts
// the records into buckets of a 256th. Records read back from a
// partition file are put in their bucket as they are read instead: the
// swaps of this sort reach all over the records.
func bucketRecords(recs []record) (starts, ends [recordBuckets]int) {
	var counts [recordBuckets]int
	for i := range recs {
		counts[recordBucket(&recs[i])]++
	}
	starts, ends = bucketBounds(&counts)
	next := starts
	for b := range recordBuckets {
		for next[b] < ends[b] {
			d := recordBucket(&recs[next[b]])
			if d == b {
				next[b]++
				continue
			}
			recs[next[b]], recs[next[d]] = recs[next[d]], recs[next[b]]
			next[d]++
		}
	}
	return starts, ends
}

// bucketBounds returns where buckets of counts records each start and
// end, one after the other.
func bucketBounds(counts *[recordBuckets]int) (starts, ends [recordBuckets]int) {
	at := 0
	for b, n := range counts {
		starts[b] = at
		at += n
		ends[b] = at
	}
	return starts, ends
}

// sortBuckets sorts each bucket of recs (starts, ends) as compareRecords
// orders them, on up to workers goroutines. Each is radix-sorted on the
// hash's next bytes, least significant first (stable counting passes
// through a scratch buffer; see radixSortBucket). A bucket holding more
// than a 64th of the records (equal hashes: many duplicates) is sorted by
// comparison instead, so the scratch buffers stay within a 64th of the
// records per worker.
func sortBuckets(recs []record, starts, ends *[recordBuckets]int, workers int) {
	maxScratch := max(len(recs)/64, 4*radixMin)
	sortSome := func(w int) {
		var scratch []record
		for b := w; b < recordBuckets; b += workers {
			bucket := recs[starts[b]:ends[b]]
			if len(bucket) < radixMin || len(bucket) > maxScratch {
				slices.SortFunc(bucket, compareInBucket)
				continue
			}
			if cap(scratch) < len(bucket) {
				scratch = make([]record, len(bucket), max(len(bucket), min(2*len(bucket), maxScratch)))
			}
			radixSortBucket(bucket, scratch[:len(bucket)])
		}
	}
	if workers <= 1 || len(recs) < 4*radixMin {
		workers = 1
		sortSome(0)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { sortSome(w) })
	}
	wg.Wait()
}

// radixBytes is how many of a hash's first bytes sortRecords orders by
// counting: more passes moved 32-byte records to order the few that
// share 4 bytes, which a comparison orders for less.
const radixBytes = 4

// radixSortBucket sorts the records of one bucket (equal kind and first
// hash byte) as compareInBucket orders them, scratch being as long.
func radixSortBucket(recs, scratch []record) {
	src, dst := recs, scratch
	for k := radixBytes - 1; k >= 1; k-- {
		var count [256]int
		for i := range src {
			count[src[i].hash[k]]++
		}
		if count[src[0].hash[k]] == len(src) {
			continue // one value of this byte: the pass would not move anything
		}
		at := 0
		for v := range count {
			c := count[v]
			count[v] = at
			at += c
		}
		for i := range src {
			v := src[i].hash[k]
			dst[count[v]] = src[i]
			count[v]++
		}
		src, dst = dst, src
	}
	if &src[0] != &recs[0] {
		copy(recs, src)
	}
	// Records equal on the first radixBytes bytes of their hash
	// (duplicates, or a partial match) are ordered by the rest of
	// compareInBucket.
	for i := 0; i < len(recs); {
		j := i + 1
		for j < len(recs) && [radixBytes]byte(recs[j].hash[:radixBytes]) == [radixBytes]byte(recs[i].hash[:radixBytes]) {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(recs[i:j], compareInBucket)
		}
		i = j
	}
}

// compareInBucket is compareRecords for records of one kind.
func compareInBucket(a, b record) int {
	if x, y := binary.BigEndian.Uint64(a.hash[:8]), binary.BigEndian.Uint64(b.hash[:8]); x != y {
		return cmp.Compare(x, y)
	}
	if x, y := binary.BigEndian.Uint64(a.hash[8:]), binary.BigEndian.Uint64(b.hash[8:]); x != y {
		return cmp.Compare(x, y)
	}
	if a.split != b.split {
		return cmp.Compare(a.split, b.split)
	}
	if a.file != b.file {
		return cmp.Compare(a.file, b.file)
	}
	return cmp.Compare(a.row, b.row)
}
