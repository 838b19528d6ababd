package splitter

import (
	"fmt"
)

// StratifiedAssigner maps rows of a stratified exact split to split ids: 0
// to nsplits-1 for the splits in listed order, nsplits for a row in no
// split. A row of class c goes to the first split whose upper boundary in
// class c lies after it in canonical order.
//
// A StratifiedAssigner is immutable and safe for concurrent use. Build one
// with [NewStratifiedAssigner].
type StratifiedAssigner struct {
	first []int      // class c's boundaries are words[first[c]:first[c+1]]
	words []rowWords // upper boundaries, as Assigner compares them
}

// NewStratifiedAssigner returns the assigner of a stratified split into
// nsplits splits with the per-class upper boundaries b from
// [StratifiedBoundaries]: b[c] is class c's list, of nsplits-1 boundaries
// (the class's last split runs to its end) or nsplits (the rows of the
// class from b[c][nsplits-1] on are in no split). It copies b. It panics if
// [CheckBoundaries] fails for a class: lists from StratifiedBoundaries
// always pass.
func NewStratifiedAssigner(b [][]Boundary, nsplits int) *StratifiedAssigner {
	a := &StratifiedAssigner{first: make([]int, len(b)+1)}
	for c, list := range b {
		if err := CheckBoundaries(list, nsplits); err != nil {
			panic(fmt.Sprintf("splitter: NewStratifiedAssigner: class %d: %v", c, err))
		}
		for _, bd := range list {
			a.words = append(a.words, wordsOf(bd))
		}
		a.first[c+1] = len(a.words)
	}
	return a
}

// Assign sets out[k] to the split id of row start+k, whose class is
// classes[k] and key keys[k], for every k < len(keys). start must be the
// global index of the row of keys[0]. Assign does not allocate and does not
// keep its arguments. It panics if len(classes) or len(out) is less than
// len(keys), or on a class without boundaries.
func (a *StratifiedAssigner) Assign(classes []uint32, keys []uint64, start int64, out []uint8) {
	out = out[:len(keys)]
	classes = classes[:len(keys)]
	for k, key := range keys {
		c := classes[k]
		out[k] = uint8(search(a.words[a.first[c]:a.first[c+1]], key, uint64(start+int64(k))^signBit))
	}
}
