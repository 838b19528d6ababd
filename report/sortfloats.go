package report

import (
	"math"
	"math/bits"
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
// merged in linear time. Other input is bucket sorted (bucketSort).
func sortFloats(vs, scratch []float64) []float64 {
	sorted, scratch := sortView(vs, scratch, span{})
	if len(sorted) > 0 && &sorted[0] != &vs[0] {
		copy(vs, sorted)
	}
	return scratch
}

// sortView sorts the values of vs, which holds no NaN and no -0, as
// sortFloats does, but leaves them where the sort ends, in vs or in
// scratch (grown from scratch, returned for the next call): sorted is
// that place. A compaction reads every other sorted value once, so the
// copy back to vs would be wasted. r, if known, is the smallest and the
// largest value of vs.
func sortView(vs, scratch []float64, r span) (sorted, next []float64) {
	if len(vs) < 64 {
		slices.Sort(vs)
		return vs, scratch
	}
	runs, n := ascendingRuns(vs)
	return sortRuns(vs, scratch, runs, n, r)
}

// sortRuns is sortView once the ascending runs of vs are known
// (ascendingRuns): a sketch's compaction looks for them first.
func sortRuns(vs, scratch []float64, runs [maxRuns + 1]int, n int, r span) (sorted, next []float64) {
	if n == 1 {
		return vs, scratch // sorted already
	}
	if cap(scratch) < len(vs) {
		scratch = make([]float64, len(vs))
	}
	scratch = scratch[:len(vs)]
	if n <= maxRuns {
		return mergeRuns(vs, scratch, runs[:n+1]), scratch
	}
	if bucketSort(vs, scratch, r) {
		return scratch, scratch
	}
	return vs, scratch
}

// ascendingRuns returns the bounds of the ascending runs of vs (run k
// is vs[runs[k]:runs[k+1]]) and their number, or maxRuns+1 if there are
// more than maxRuns.
func ascendingRuns(vs []float64) ([maxRuns + 1]int, int) {
	var runs [maxRuns + 1]int
	n := 0
	for i := 1; i < len(vs) && n < maxRuns; i++ {
		if vs[i] < vs[i-1] {
			n++
			runs[n] = i
		}
	}
	if n == maxRuns {
		return runs, maxRuns + 1
	}
	n++
	runs[n] = len(vs)
	return runs, n
}

// halveSorted puts the values of vs of sorted ranks off, off+2, off+4,
// ... (off 0 or 1) into dst, len(vs)/2 of them, as a sketch's compaction
// takes them once vs is sorted; len(vs) is even, and vs holds no NaN and
// no -0. vs is left in no particular order. It returns scratch, grown,
// for the next call. Two ascending runs (a sketch level above the first,
// filled by two compactions of the level below) are merged straight
// into dst (mergeHalf), with no copy of the merged level; the result is
// the one of sortFloats and a strided copy, since values that compare
// equal have the same bits. r, if known, is the smallest and the largest
// value of vs, which the bucket sort then need not look for.
func halveSorted(vs, scratch, dst []float64, off int, r span) []float64 {
	var sorted []float64
	if len(vs) >= 64 {
		runs, n := ascendingRuns(vs)
		if n == 2 {
			mergeHalf(dst, vs[:runs[1]], vs[runs[1]:], off)
			return scratch
		}
		sorted, scratch = sortRuns(vs, scratch, runs, n, r)
	} else {
		sorted, scratch = sortView(vs, scratch, r)
	}
	for i, j := off, 0; i < len(sorted); i, j = i+2, j+1 {
		dst[j] = sorted[i]
	}
	return scratch
}

// mergeHalf merges ascending runs a and b, neither empty, and puts the
// merged values of ranks off, off+2, ... into dst (at index rank/2). It
// merges from both ends at once: the front takes the smaller value (a's
// on a tie), the back the larger (b's on a tie), so that the two take
// the values of a stable merge from its two ends and never the same
// one, and their chains of dependent loads and comparisons, whose
// latency bounds a merge, run side by side. What is left between them
// once one run's share runs out is merged one end at a time. The keep
// test on a rank's parity alternates, so it is predicted. The values are
// compared as floats (no NaN, no -0: the order of their floatKeys), which
// the compiler turns into a conditional move as it does for integers,
// without the six instructions of two floatKeys a step.
func mergeHalf(dst, a, b []float64, off int) {
	i, j := 0, 0                 // front: next of a, of b
	ia, jb := len(a)-1, len(b)-1 // back: last of a, of b
	lo, hi := 0, len(a)+len(b)-1 // the ranks the front and the back take next
	for lo < hi && i <= ia && j <= jb {
		// The front takes rank lo.
		x, y := math.Float64bits(a[i]), math.Float64bits(b[j])
		v, di := x, 1
		if b[j] < a[i] {
			v, di = y, 0
		}
		if lo&1 == off {
			dst[lo>>1] = math.Float64frombits(v)
		}
		i += di
		j += 1 - di
		lo++
		// The back takes rank hi. If the front just took the last
		// value of a run's share, that value is not larger than what is
		// left (nor, being b's, equal), so the back does not take it.
		x, y = math.Float64bits(a[ia]), math.Float64bits(b[jb])
		w, da := y, 0
		if a[ia] > b[jb] {
			w, da = x, 1
		}
		if hi&1 == off {
			dst[hi>>1] = math.Float64frombits(w)
		}
		ia -= da
		jb -= 1 - da
		hi--
	}
	// Ranks lo to hi are a[i:ia+1] and b[j:jb+1], one of them empty or
	// both holding one value between them.
	for ; lo <= hi; lo++ {
		var v float64
		if j > jb || (i <= ia && a[i] <= b[j]) {
			v, i = a[i], i+1
		} else {
			v, j = b[j], j+1
		}
		if lo&1 == off {
			dst[lo>>1] = v
		}
	}
}

// span is the smallest and the largest of some values, if ok.
type span struct {
	lo, hi float64
	ok     bool
}

// maxBucketBits bounds the buckets of bucketSort: 2^11, as many as a
// sketch level of the default capacity holds values.
const maxBucketBits = 11

// smallBucket is the most values of a bucket sorted by insertion; larger
// ones are radix sorted.
const smallBucket = 24

// bucketSort sorts vs through scratch, of the same length, and reports
// whether the sorted values ended in scratch rather than in vs. The range
// between the smallest and the largest value is cut into up to 2^11
// buckets of equal width, a bucket per value or so (bucketScatter), and
// what is left is to order each bucket: the large ones were radix
// sorted, and all the others are sorted at once by a pass of bubblePass,
// which orders every bucket of two, then one insertion sort over the
// whole, which moves a value only within its bucket (values spread over
// their range: nearly all). On a level of random numbers
// that is half of radixSort's passes over the values, which made the
// sort most of a sketch's cost. r, if known, is the smallest and the
// largest value (a sketch's first level keeps them as it is filled),
// else they are found first.
func bucketSort(vs, scratch []float64, r span) bool {
	var ends [1<<maxBucketBits + 1]uint32
	if bucketScatter(vs, scratch, r, &ends) == 0 {
		return false
	}
	bubblePass(scratch)
	insertionSort(scratch)
	return true
}

// bubblePass swaps each value of vs past the smaller ones that follow
// it, as one pass of a bubble sort: a value at most one place too far
// right, all a bucket of two can hold, ends in its place. It compares
// the values' floatKeys and picks their bits with no branch, where an
// insertion sort's test of each value is mispredicted once for each
// bucket of two values or more out of order.
func bubblePass(vs []float64) {
	if len(vs) < 2 {
		return
	}
	c := math.Float64bits(vs[0])
	kc := c ^ (uint64(int64(c)>>63) | 1<<63)
	for i := 1; i < len(vs); i++ {
		y := math.Float64bits(vs[i])
		ky := y ^ (uint64(int64(y)>>63) | 1<<63)
		out, nc, nk := c, y, ky
		if ky < kc {
			out, nc, nk = y, c, kc
		}
		vs[i-1] = math.Float64frombits(out)
		c, kc = nc, nk
	}
	vs[len(vs)-1] = math.Float64frombits(c)
}

// bucketScatter moves the values of vs into scratch, of the same length,
// bucket by bucket in ascending order, and returns the number of buckets
// nb; ends[d] is then where bucket d ends in scratch, and the buckets of
// more than smallBucket values are sorted. A value's bucket never
// decreases as the value grows (subtraction, multiplication by a positive
// number and truncation are monotone), so sorting each bucket sorts the
// whole. One pass computes each value's bucket and counts them, another
// moves each value to its bucket's place. Values with an infinity, or a
// range too wide or too narrow for the arithmetic, are radix sorted in
// place, as are values all equal: then it returns 0, vs sorted. r, if
// known, is the smallest and the largest value of vs.
func bucketScatter(vs, scratch []float64, r span, ends *[1<<maxBucketBits + 1]uint32) int {
	lo, hi := r.lo, r.hi
	if !r.ok {
		lo, hi = vs[0], vs[0]
		for _, v := range vs[1:] {
			if v < lo {
				lo = v
			}
			if v > hi {
				hi = v
			}
		}
	}
	if lo == hi {
		return 0 // one value
	}
	nb := 1 << min(bits.Len(uint(len(vs)))-1, maxBucketBits)
	scale := float64(nb) / (hi - lo)
	if math.IsInf(scale, 0) || math.IsNaN(scale) || scale == 0 {
		radixSort(vs, scratch)
		return 0
	}
	// Each value's bucket is computed once, if there are no more values
	// than a sketch level of the default capacity holds.
	counts := ends
	var idx [bucketChunk]uint16
	if len(vs) <= bucketChunk {
		for i, v := range vs {
			d := min(int((v-lo)*scale), nb-1)
			idx[i] = uint16(d)
			counts[d]++
		}
	} else {
		for _, v := range vs {
			counts[min(int((v-lo)*scale), nb-1)]++
		}
	}
	// The largest count says whether any bucket is to be radix sorted:
	// a test per bucket in this loop would cost more than the loop.
	var pos, most uint32
	for i, n := range counts[:nb+1] {
		counts[i] = pos
		pos += n
		most = max(most, n)
	}
	// counts[i] is where bucket i starts; the scatter moves it to where
	// bucket i+1 starts.
	if len(vs) <= bucketChunk {
		for i, v := range vs {
			d := idx[i]
			scratch[counts[d]] = v
			counts[d]++
		}
	} else {
		for _, v := range vs {
			d := min(int((v-lo)*scale), nb-1)
			scratch[counts[d]] = v
			counts[d]++
		}
	}
	if most > smallBucket {
		start := uint32(0)
		for _, end := range counts[:nb] {
			if end-start > smallBucket {
				// vs is free: the bucket's range of it is the radix
				// sort's scratch.
				radixSort(scratch[start:end], vs[start:end])
			}
			start = end
		}
	}
	return nb
}

// bucketChunk is the most values whose buckets bucketSort keeps: a
// sketch level of the default capacity.
const bucketChunk = 1 << maxBucketBits

// insertionSort sorts values each near its place: a few values, or
// buckets of a few values in order.
func insertionSort(vs []float64) {
	for i := 1; i < len(vs); i++ {
		v := vs[i]
		if v >= vs[i-1] {
			continue
		}
		j := i
		for ; j > 0 && vs[j-1] > v; j-- {
			vs[j] = vs[j-1]
		}
		vs[j] = v
	}
}

// mergeRuns merges the ascending runs of vs that bounds delimits, pair
// by pair, through scratch, and returns where the merged values ended:
// vs or scratch.
func mergeRuns(vs, scratch []float64, bounds []int) []float64 {
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
			o := mergeTwo(dst[lo:hi], src[lo:mid], src[mid:hi])
			i, j := lo+o.i, mid+o.j
			at := lo + o.i + o.j
			at += copy(dst[at:], src[i:mid])
			copy(dst[at:], src[j:hi])
			next = append(next, hi)
		}
		bounds = next
		src, dst = dst, src
	}
	return src
}

// merged says how far mergeTwo went in each run.
type merged struct{ i, j int }

// mergeTwo merges ascending runs a and b into dst until one of them is
// used up, taking a's value on ties, and says how far it went. It has no
// branch on the comparison, mispredicted half the time on random values:
// the values are compared by their floatKey and picked as bits.
func mergeTwo(dst, a, b []float64) merged {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		x, y := math.Float64bits(a[i]), math.Float64bits(b[j])
		kx, ky := floatKey(a[i]), floatKey(b[j])
		v, di := x, 1
		if ky < kx {
			v, di = y, 0
		}
		dst[i+j] = math.Float64frombits(v)
		i += di
		j += 1 - di
	}
	return merged{i, j}
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
