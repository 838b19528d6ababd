package splitter

// ThresholdAssigner maps keys to split ids by exclusive upper thresholds:
// a key goes to the first split whose upper threshold exceeds it, and to
// split len(upper) if none does. It serves the row-balanced grouped split
// ([RowBalancedThresholds]) with group keys in place of row keys.
//
// A ThresholdAssigner is immutable and safe for concurrent use. Build one
// with [NewThresholdAssigner].
type ThresholdAssigner struct {
	upper []uint64
}

// NewThresholdAssigner returns the ThresholdAssigner of the non-decreasing
// thresholds upper, at most [MaxSplits] of them, such as
// [RowBalancedThresholds] returns. Key k then gets the id of the number of
// thresholds at or below it. Where the list is shorter than the number of
// splits, the split after the last threshold takes every key above it and
// the later splits are empty; with counts that leave rows unassigned the
// list has one threshold per split and the id len(upper) means in no split.
// It copies upper and panics if it is not non-decreasing or too long.
func NewThresholdAssigner(upper []uint64) *ThresholdAssigner {
	if err := checkThresholds(upper); err != nil {
		panic("splitter: NewThresholdAssigner: " + err.Error())
	}
	return &ThresholdAssigner{upper: append([]uint64(nil), upper...)}
}

// Assign sets out[k] to the split id of keys[k] for every k < len(keys).
// start, the global index of the row of keys[0], is not used: the id
// depends on the key alone. It has the shape of [Assigner.Assign] so that
// either can serve a pass. Assign does not allocate and does not keep its
// arguments. It panics if len(out) < len(keys).
func (a *ThresholdAssigner) Assign(keys []uint64, start int64, out []uint8) {
	out = out[:len(keys)]
	u := a.upper
	for k, key := range keys {
		lo, hi := 0, len(u)
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if u[m] <= key {
				lo = m + 1
			} else {
				hi = m
			}
		}
		out[k] = uint8(lo)
	}
}
