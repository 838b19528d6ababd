// Package extsort orders rows by (key, global row index) in memory or
// through temporary files: the canonical order of a shuffle. Rows too many
// for memory are spilled by key range (Partition), each range to a file of
// encoded rows (AppendRow, or the caller's own encoding) and a file of
// (key, index) pairs (Files); the ranges are then read back one at a time,
// in key order, and each is sorted (Sort). It knows nothing of splits or
// output formats.
package extsort

import (
	"cmp"
	"math/bits"
	"slices"
)

// Entry is a held row's place in canonical order: its key, its global row
// index and where the caller holds it.
type Entry struct {
	Key   uint64
	Index int64
	At    int
}

// Sort sorts es by (key, index). Large inputs go through a least
// significant digit radix sort on the keys, 8 bits a pass, skipping the
// digits all keys share (a spilled partition's top bits), after a sort by
// index: the radix passes are stable, so equal keys stay in index order.
// Small inputs use a comparison sort.
func Sort(es []Entry) {
	byIndex := func(a, b Entry) int { return cmp.Compare(a.Index, b.Index) }
	if len(es) < 1<<12 {
		slices.SortFunc(es, func(a, b Entry) int {
			return cmp.Or(cmp.Compare(a.Key, b.Key), cmp.Compare(a.Index, b.Index))
		})
		return
	}
	if !slices.IsSortedFunc(es, byIndex) { // held rows usually arrive in index order
		slices.SortStableFunc(es, byIndex)
	}
	tmp := make([]Entry, len(es))
	src, dst := es, tmp
	for shift := uint(0); shift < 64; shift += 8 {
		var count [256]int
		for _, e := range src {
			count[byte(e.Key>>shift)]++
		}
		if count[byte(src[0].Key>>shift)] == len(src) {
			continue // every key has this digit
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for _, e := range src {
			d := byte(e.Key >> shift)
			dst[count[d]] = e
			count[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &es[0] {
		copy(es, src)
	}
}

// Partition returns the key range of key among p: floor(key*p / 2^64),
// which is monotone in key, so that ranges read in order and each sorted
// give the canonical order.
func Partition(key uint64, p int) int {
	hi, _ := bits.Mul64(key, uint64(p))
	return int(hi)
}
