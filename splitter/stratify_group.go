package splitter

import (
	"fmt"
	"math/bits"
)

// Stratified groups (docs/algorithm.md section 17): whole groups go to
// splits one at a time, largest first, each to the split whose class
// shares it moves least away from the targets. This file holds the part
// that does no I/O: the order of the groups and the greedy rule. The
// pipeline streams the groups to it in that order, from files, so that
// the number of groups never has to fit in memory.

// MaxStratifiedGroupClasses is the most classes a stratified grouped split
// accepts: the greedy rule keeps a row count per split and class, and the
// manifest records them.
const MaxStratifiedGroupClasses = 4096

// MaxGroupLevel is the highest [GroupLevel], that of a group of 2^63-1 rows.
const MaxGroupLevel = 255

// GroupLevel is the level of a group of size rows (size >= 1): four times
// the bit length b of size plus the two bits of size below its top bit,
// 4 to 255. Groups are placed by descending level, and by ascending group
// key inside a level: sizes within a level differ by less than a quarter,
// so this is "largest first" up to a quarter, and it needs no sort, since
// a stream of groups in key order is cut into one stream per level. In
// Python: (b << 2) + ((size << 2) >> (b - 1)) - 4.
func GroupLevel(size int64) int {
	b := bits.Len64(uint64(size))
	var top uint64 // the top three bits of size, 4 to 7
	if b >= 3 {
		top = uint64(size) >> (b - 3)
	} else {
		top = uint64(size) << (3 - b)
	}
	return b<<2 + int(top) - 4
}

// StratifiedGroups places whole groups into splits so that the class
// shares of every split stay close to its targets (the greedy rule of
// docs/algorithm.md section 17). Its state is one row count per split and
// class, whatever the number of groups. It is not safe for concurrent use.
type StratifiedGroups struct {
	n       int64     // rows
	classes []int64   // rows per class
	sizes   []int64   // target rows per split (the rest included)
	share   []float64 // sizes[j] / n
	x       [][]int64 // rows placed per split and class
	rows    []int64   // rows placed per split
	groups  []int64   // groups placed per split
}

// NewStratifiedGroups returns the greedy placer for classes (rows per
// class, summing to n) and sizes (target rows per split, summing to n; a
// rest of unassigned rows is one more split). n must be below 2^53, so that
// every count is exact in float64; at most [MaxStratifiedGroupClasses]
// classes and 256 splits. Errors wrap [ErrUsage].
func NewStratifiedGroups(classes, sizes []int64) (*StratifiedGroups, error) {
	var n, total int64
	for _, c := range classes {
		if c < 0 {
			return nil, fmt.Errorf("%w: negative class count %d", ErrUsage, c)
		}
		n += c
	}
	for _, s := range sizes {
		if s < 0 {
			return nil, fmt.Errorf("%w: negative split size %d", ErrUsage, s)
		}
		total += s
	}
	switch {
	case len(classes) > MaxStratifiedGroupClasses:
		return nil, fmt.Errorf("%w: --stratify with --group: %d classes, at most %d", ErrUsage, len(classes), MaxStratifiedGroupClasses)
	case len(sizes) == 0 || len(sizes) > 256:
		return nil, fmt.Errorf("%w: %d splits, want 1 to 256", ErrUsage, len(sizes))
	case n != total:
		return nil, fmt.Errorf("%w: classes hold %d rows, splits %d", ErrUsage, n, total)
	case n >= 1<<53:
		return nil, fmt.Errorf("%w: --stratify with --group: %d rows, at most 2^53-1", ErrUsage, n)
	}
	s := &StratifiedGroups{n: n, classes: classes, sizes: sizes, share: make([]float64, len(sizes)),
		x: make([][]int64, len(sizes)), rows: make([]int64, len(sizes)), groups: make([]int64, len(sizes))}
	for j := range sizes {
		if n > 0 {
			s.share[j] = float64(sizes[j]) / float64(n)
		}
		s.x[j] = make([]int64, len(classes))
	}
	return s, nil
}

// Place puts one group into a split and returns the split. The group's rows
// are counts[t] rows of class classes[t], classes ascending and counts
// positive. The split is the one minimising the increase of
//
//	sum over classes c of (x(j,c)/n(c) - S(j)/n)^2
//
// (x(j,c) the rows of class c in split j, S(j) its target size), ties to
// the earlier split; the increase is computed in float64 exactly as the
// Python of section 17 computes it, term by term in ascending class order.
func (s *StratifiedGroups) Place(classes []uint32, counts []int64) int {
	best, bestCost := 0, 0.0
	for j := range s.sizes {
		cost := s.cost(j, classes, counts)
		if j == 0 || cost < bestCost {
			best, bestCost = j, cost
		}
	}
	for t, c := range classes {
		s.x[best][c] += counts[t]
		s.rows[best] += counts[t]
	}
	s.groups[best]++
	return best
}

// cost is the increase of split j's squared share deviations if the group
// joined it. The explicit float64 conversions keep the compiler from fusing
// a multiply and an add (Go may, Python never does), so every platform
// computes the same bits.
func (s *StratifiedGroups) cost(j int, classes []uint32, counts []int64) float64 {
	var sum float64
	for t, c := range classes {
		nc := float64(s.classes[c])
		a := float64(counts[t]) / nc
		b := float64(float64(s.x[j][c])/nc) - s.share[j]
		d := float64(2*b) + a
		sum += float64(a * d)
	}
	return sum
}

// Counts returns the rows placed per split and class, x[j][c]; the caller
// must not modify it.
func (s *StratifiedGroups) Counts() [][]int64 { return s.x }

// Rows returns the rows placed per split; the caller must not modify it.
func (s *StratifiedGroups) Rows() []int64 { return s.rows }

// Groups returns the groups placed per split; the caller must not modify
// it.
func (s *StratifiedGroups) Groups() []int64 { return s.groups }

// StratifiedGroupSizes returns the target rows of each split of a
// stratified grouped split over n rows: the exact sizes of the split list
// (section 5; k-fold passes KFold's fold sizes as counts), plus a last
// target, the rest, when counts leave rows in no split. Errors wrap
// [ErrUsage].
func StratifiedGroupSizes(splits []Split, n int64) ([]int64, error) {
	sizes, err := Sizes(splits, n)
	if err != nil {
		return nil, err
	}
	var sum int64
	for _, s := range sizes {
		sum += s
	}
	if sum < n {
		sizes = append(sizes, n-sum)
	}
	return sizes, nil
}
