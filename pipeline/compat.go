package pipeline

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"github.com/splitdata/splitdata/splitter"
)

// Compatibility modes (docs/compat.md). A mode's splits and row order come
// from the permutation its Python library draws, computed up front in
// memory (splitter.CompatSplit and friends: 4 bytes per row, 8 while the
// permutation is inverted). Each row is then placed by its position in the
// permutation: its split is the part holding that position and its sort
// key grows with the position inside the part, so the shuffle machinery of
// the engine (in memory or spilled by key range) writes every split in the
// library's order, and the data itself still streams.

// compatPlacer places rows where a compatibility mode's order puts them.
type compatPlacer struct {
	rank  []uint32         // rank[i]: the position of row i in the permutation
	parts []splitter.Range // per split, its positions
	byPos []int            // split ids sorted by their part's start
	scale []uint64         // per split, key step per position: keys spread over [0, 2^64)
}

// newCompatPlacer inverts the order's permutation (and lets it go).
func newCompatPlacer(order *splitter.CompatOrder) *compatPlacer {
	c := &compatPlacer{rank: make([]uint32, len(order.Perm)), parts: order.Parts}
	for k, i := range order.Perm {
		c.rank[i] = uint32(k)
	}
	order.Perm = nil
	c.byPos = make([]int, len(c.parts))
	c.scale = make([]uint64, len(c.parts))
	for j, p := range c.parts {
		c.byPos[j] = j
		c.scale[j] = math.MaxUint64 / uint64(max(p.Len(), 1))
	}
	// By start, empty parts first: the part found for a position is then
	// the non-empty one when an empty part starts at the same place.
	slices.SortFunc(c.byPos, func(a, b int) int {
		pa, pb := c.parts[a], c.parts[b]
		return cmp.Or(cmp.Compare(pa.Start, pb.Start), cmp.Compare(pa.Len(), pb.Len()))
	})
	return c
}

// place sets ids[k] and keys[k] for row start+k: its split (len(parts) for
// rows in no split) and a key ordering it within the split.
func (c *compatPlacer) place(keys []uint64, start int64, ids []uint8) error {
	for k := range ids {
		pos := int64(c.rank[start+int64(k)])
		// The last part starting at or before pos, if pos lies in it.
		at, _ := slices.BinarySearchFunc(c.byPos, pos, func(j int, pos int64) int {
			if c.parts[j].Start <= pos {
				return -1
			}
			return 1
		})
		ids[k] = uint8(len(c.parts))
		keys[k] = 0
		if at > 0 {
			j := c.byPos[at-1]
			if p := c.parts[j]; pos < p.End {
				ids[k] = uint8(j)
				keys[k] = uint64(pos-p.Start) * c.scale[j]
			}
		}
	}
	return nil
}

// unassigned is the number of rows in no part.
func (c *compatPlacer) unassigned() int64 {
	n := int64(len(c.rank))
	for _, p := range c.parts {
		n -= p.Len()
	}
	return n
}

// compatOrder computes the order of a compatibility mode for a job of n
// rows: the command's library call with the split list (for kfold, its
// folds) and the seed text.
func compatOrder(mode splitter.CompatMode, command string, splits []splitter.Split, n int64, seed string) (*splitter.CompatOrder, error) {
	switch command {
	case "split":
		return splitter.CompatSplit(mode, n, splits, seed)
	case "shuffle":
		return splitter.CompatShuffle(mode, n, seed)
	case "kfold":
		return splitter.CompatKFold(mode, n, len(splits), seed)
	}
	return nil, fmt.Errorf("%w: %s has no compatibility mode", ErrUsage, command)
}

// checkCompat refuses options a compatibility mode cannot express.
func checkCompat(c SplitConfig, command string) error {
	if c.Compat == "" {
		return nil
	}
	if _, err := splitter.ParseCompatMode(string(c.Compat)); err != nil {
		return err
	}
	bad := func(opt string) error {
		return fmt.Errorf("%w: --compat %s cannot express %s: the library draws its own permutation", ErrUsage, c.Compat, opt)
	}
	switch {
	case command != "split" && command != "shuffle" && command != "kfold":
		return fmt.Errorf("%w: %s has no --compat mode", ErrUsage, command)
	case c.Seed == "":
		return fmt.Errorf("%w: --compat %s needs --seed: the library's seed", ErrUsage, c.Compat)
	case c.Group != "":
		return bad("--group")
	case c.GroupByContent:
		return bad("--group-by-content")
	case c.Approx:
		return bad("--approx")
	}
	return nil
}
