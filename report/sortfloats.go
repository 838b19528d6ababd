package report

import (
	"math"
	"slices"
)

// maxRuns is the most ascending runs sortFloats merges rather than sorts.
const maxRuns = 8

// sortFloats sorts vs, which holds no NaN and no -0, ascending, and
// returns the scratch buffer it used (grown from scratch) for the next
// call. With neither NaN nor -0, two values that compare equal have the
// same bits, so the result is the one slices.Sort gives, whatever the
// algorithm.
//
// A sketch level above the first is the concatenation of compactions
// of the level below, each sorted: a few ascending runs, which are
// merged in linear time. Other input is radix sorted (least significant
// digit first, 8 bits a pass over the values' order-preserving bits,
// skipping the passes whose digit every value shares), a little faster
// than pdqsort on a level of random values.
func sortFloats(vs, scratch []float64) []float64 {
	if len(vs) < 64 {
		slices.Sort(vs)
		return scratch
	}
	if cap(scratch) < len(vs) {
		scratch = make([]float64, len(vs))
	}
	scratch = scratch[:len(vs)]
	var runs [maxRuns + 1]int // run k is vs[runs[k]:runs[k+1]]
	n := 0
	for i := 1; i < len(vs) && n < maxRuns; i++ {
		if vs[i] < vs[i-1] {
			n++
			runs[n] = i
		}
	}
	if n < maxRuns {
		n++
		runs[n] = len(vs)
		mergeRuns(vs, scratch, runs[:n+1])
		return scratch
	}
	radixSort(vs, scratch)
	return scratch
}

// mergeRuns merges the ascending runs of vs that bounds delimits, pair
// by pair, through scratch.
func mergeRuns(vs, scratch []float64, bounds []int) {
	src, dst := vs, scratch
	for len(bounds) > 2 {
		next := bounds[:1]
		for k := 0; k+1 < len(bounds); k += 2 {
			lo := bounds[k]
			if k+2 >= len(bounds) {
				copy(dst[lo:], src[lo:bounds[k+1]])
				next = append(next, bounds[k+1])
				continue
			}
			mid, hi := bounds[k+1], bounds[k+2]
			i, j, o := lo, mid, lo
			for i < mid && j < hi {
				if src[j] < src[i] {
					dst[o] = src[j]
					j++
				} else {
					dst[o] = src[i]
					i++
				}
				o++
			}
			o += copy(dst[o:], src[i:mid])
			copy(dst[o:], src[j:hi])
			next = append(next, hi)
		}
		bounds = next
		src, dst = dst, src
	}
	if &src[0] != &vs[0] {
		copy(vs, src)
	}
}

// radixSort sorts vs through scratch, of the same length.
func radixSort(vs, scratch []float64) {
	src, dst := vs, scratch
	// 32-bit counts: the tables take 8 KiB, half of what ints took.
	var counts [8][256]uint32
	for _, v := range src {
		k := floatKey(v)
		for d := range 8 {
			counts[d][byte(k>>(8*d))]++
		}
	}
	for d := range 8 {
		c := &counts[d]
		if int(c[byte(floatKey(src[0])>>(8*d))]) == len(src) {
			continue // every value has this digit
		}
		var at uint32
		for i, n := range c {
			c[i] = at
			at += n
		}
		for _, v := range src {
			b := byte(floatKey(v) >> (8 * d))
			dst[c[b]] = v
			c[b]++
		}
		src, dst = dst, src
	}
	if &src[0] != &vs[0] {
		copy(vs, src)
	}
}

// floatKey maps a float64 to a uint64 of the same order: negative
// numbers have every bit flipped, others only the sign bit. It has no
// branch: on values of both signs, a branch on the sign is mispredicted
// half the time, and made the radix sort three times slower.
func floatKey(v float64) uint64 {
	b := math.Float64bits(v)
	return b ^ (uint64(int64(b)>>63) | 1<<63)
}
