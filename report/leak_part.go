package report

import (
	"fmt"
	"io"
	"os"
	"slices"
)

// logPart is one part of a hashLog: the hashes whose top logPartBits
// bits are its number, in the order they were added, the first ones in
// a file once more than hold would be in memory.
type logPart struct {
	mem     []uint64 // the last hashes, in memory
	hold    int      // the most hashes kept in memory
	expect  int      // the hashes the part expects in memory, to size mem at once
	file    *os.File // the first spilled hashes, or nil
	spilled int64
	counts  []int64 // hashes per bucket of the part (the log's)
	// marks has a bit per hash of the part, in order: set for those
	// another hash of the part equals (see findShared).
	marks []uint64
}

// partBucket is the number of h's bucket among those of its part.
func partBucket(h uint64) int { return int(h>>(64-logBucketBits)) & (partBuckets - 1) }

// n is the number of hashes in the part.
func (p *logPart) n() int64 { return p.spilled + int64(len(p.mem)) }

// add appends hs to the part, spilling the hashes in memory to its
// file (created in dir) when they would be more than hold.
func (p *logPart) add(dir string, hs []uint64) error {
	for len(hs) > 0 {
		if len(p.mem) == p.hold {
			if err := p.spill(dir); err != nil {
				return err
			}
		}
		k := min(len(hs), p.hold-len(p.mem))
		if len(p.mem)+k > cap(p.mem) {
			p.mem = slices.Grow(p.mem, min(max(len(p.mem)+k, 2*cap(p.mem), p.expect), p.hold)-len(p.mem))
		}
		p.mem = append(p.mem, hs[:k]...)
		hs = hs[k:]
	}
	return nil
}

// spill appends the hashes in memory to the part's file.
func (p *logPart) spill(dir string) error {
	if p.file == nil {
		f, err := tempFile(dir)
		if err != nil {
			return err
		}
		p.file = f
	}
	if _, err := p.file.Write(u64Bytes(p.mem)); err != nil {
		return fmt.Errorf("leak check: write temporary file: %w", err)
	}
	p.spilled += int64(len(p.mem))
	p.mem = p.mem[:0]
	return nil
}

// each calls fn with the part's hashes in order, a block at a time, with
// the place in the part of the block's first, reading the file's
// through block.
func (p *logPart) each(block []uint64, fn func(at int64, hs []uint64)) error {
	for at := int64(0); at < p.spilled; {
		b := block[:min(int64(len(block)), p.spilled-at)]
		if _, err := io.ReadFull(io.NewSectionReader(p.file, 8*at, 8*int64(len(b))), u64Bytes(b)); err != nil {
			return fmt.Errorf("leak check: read temporary file: %w", err)
		}
		fn(at, b)
		at += int64(len(b))
	}
	fn(p.spilled, p.mem)
	return nil
}

// partSearch holds the buffers of one goroutine of hashLog.candidates,
// reused from part to part.
type partSearch struct {
	hashes []uint64 // a range of buckets' hashes, in their buckets' places
	block  []uint64 // the buffer files are read through
	want   int64    // the slots hashes should have for every part (see largestRange)
	f      sharedFinder
	starts [partBuckets + 1]int64
	dups   [partBuckets]int // per bucket: how many distinct shared hashes it starts with
}

// findShared sets the marks of the part's hashes that another of its
// hashes equals, and reports whether there are any. Ranges of the
// part's buckets of up to most hashes each (a bucket larger than that
// alone) are put in their buckets' places in s.hashes, as the part is
// read, each bucket searched for the hashes it holds twice (sharedIn),
// and those looked up as the part is read again (only if there are any).
func (p *logPart) findShared(s *partSearch, most int64) (bool, error) {
	if p.n() == 0 {
		return false, nil
	}
	if p.spilled > 0 && s.block == nil {
		s.block = make([]uint64, readBlock/8)
	}
	some := false
	for lo := 0; lo < partBuckets; {
		hi, size := p.bucketRange(lo, most)
		var at int64
		for b := lo; b < hi; b++ {
			s.starts[b] = at
			at += p.counts[b]
		}
		s.starts[hi] = at
		// One slot more, which the hashes of other buckets go to.
		if int64(cap(s.hashes)) < size+1 {
			s.hashes = make([]uint64, max(size+1, s.want))
		}
		hashes := s.hashes[:size+1]
		if err := p.scatter(s, hashes, lo, hi); err != nil {
			return false, err
		}
		total := 0
		for b := lo; b < hi; b++ {
			k := s.f.sharedIn(hashes[s.starts[b]:s.starts[b+1]])
			s.dups[b] = k
			total += k
		}
		if total > 0 {
			some = true
			if p.marks == nil {
				p.marks = make([]uint64, (p.n()+63)/64)
			}
			err := p.each(s.block, func(at int64, hs []uint64) {
				for i, h := range hs {
					b := partBucket(h)
					if b < lo || b >= hi || s.dups[b] == 0 {
						continue
					}
					shared := hashes[s.starts[b] : s.starts[b]+int64(s.dups[b])]
					if _, ok := slices.BinarySearch(shared, h); ok {
						k := at + int64(i)
						p.marks[k/64] |= 1 << (k % 64)
					}
				}
			})
			if err != nil {
				return false, err
			}
		}
		lo = hi
	}
	return some, nil
}

// bucketRange returns the end of the range of the part's buckets from
// lo on that findShared places at once, up to most hashes (or one
// bucket), and the hashes of the range.
func (p *logPart) bucketRange(lo int, most int64) (hi int, size int64) {
	hi = lo
	for hi < partBuckets && (hi == lo || size+p.counts[hi] <= most) {
		size += p.counts[hi]
		hi++
	}
	return hi, size
}

// largestRange returns the hashes of the part's largest range of
// buckets placed at once (see bucketRange).
func (p *logPart) largestRange(most int64) int64 {
	var largest int64
	for lo := 0; lo < partBuckets; {
		hi, size := p.bucketRange(lo, most)
		largest = max(largest, size)
		lo = hi
	}
	return largest
}

// scatter puts the part's hashes of buckets [lo, hi) at their buckets'
// places in hashes (bucket b's from s.starts[b] on, in the part's
// order); the hashes of other buckets go to its last slot.
func (p *logPart) scatter(s *partSearch, hashes []uint64, lo, hi int) error {
	n := hi - lo
	var next [partBuckets + 1]int64
	copy(next[:], s.starts[lo:hi])
	next[n] = int64(len(hashes) - 1)
	if lo == 0 && hi == partBuckets {
		// Every bucket: no test.
		return p.each(s.block, func(_ int64, hs []uint64) {
			for _, h := range hs {
				b := partBucket(h)
				q := next[b]
				hashes[q] = h
				next[b] = q + 1
			}
		})
	}
	return p.each(s.block, func(_ int64, hs []uint64) {
		for _, h := range hs {
			// Without a branch, which the hashes of other ranges would
			// mispredict: a hash of another range goes to the spare
			// slot, and next[n] stays.
			d := partBucket(h) - lo
			i, step := n, int64(0)
			if uint(d) < uint(n) {
				i, step = d, 1
			}
			q := next[i]
			hashes[q] = h
			next[i] = q + step
		}
	})
}
