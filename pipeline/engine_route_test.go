package pipeline

import (
	"slices"
	"testing"
)

// TestIdTargetsRoute checks the columnar path's routing of the common
// split against placer.targets row by row, with and without a fanout, and
// that bins cut from a reused scratch neither overlap nor keep old rows.
func TestIdTargetsRoute(t *testing.T) {
	ids := []uint8{0, 1, 2, 1, 0, 0, 7, 2, 1, 255, 0}
	tests := []struct {
		name  string
		place placer
	}{
		{"ids are outputs", placer{outputs: 3}},
		{"one output", placer{outputs: 1}},
		{"fanout", placer{outputs: 3, fanout: [][]int{{0}, {1, 2}, {}, {0, 1, 2}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := tc.place.outputs
			// What the row-by-row loop gives.
			want := make([][]int32, n)
			var one [1]int
			for i, id := range ids {
				for _, s := range tc.place.targets(int(id), one[:]) {
					want[s] = append(want[s], int32(i))
				}
			}
			table := tc.place.idTargets()
			scratch := &routeScratch{sel: slices.Repeat([]int32{-1}, 64)} // a used scratch
			for round := range 2 {
				counts := make([]int, n)
				table.countBins(ids, counts)
				sel := make([][]int32, n)
				scratch.bins(sel, counts)
				table.route(ids, sel)
				for s := range n {
					if len(want[s]) != counts[s] {
						t.Errorf("round %d: output %d counted %d rows, want %d", round, s, counts[s], len(want[s]))
					}
					if !slices.Equal(sel[s], want[s]) {
						t.Errorf("round %d: output %d got rows %v, want %v", round, s, sel[s], want[s])
					}
				}
			}
		})
	}
}

// TestScratchKept checks that idle route scratch is kept for reuse up to
// its bound and no further.
func TestScratchKept(t *testing.T) {
	s := getScratch()
	s.idsFor(1000)
	putScratch(s)
	if got := getScratch(); got != s {
		t.Errorf("a small scratch was not kept for the next route")
	}
	big := &routeScratch{sel: make([]int32, scratchKeepMost/4+1)}
	putScratch(big)
	for {
		got := getScratch()
		if got == big {
			t.Fatalf("a scratch above the bound of %d bytes was kept", scratchKeep())
		}
		if got.size() == 0 {
			break // a new one: none left
		}
	}
}
