package pipeline

import "testing"

// TestSplitLayoutMatchesListing checks the computed layout against the
// engine's cut spelled out row group by row group: files of rowsPerFile
// rows, row groups of rowGroupRows rows from each file's start.
func TestSplitLayoutMatchesListing(t *testing.T) {
	for total := int64(0); total <= 40; total++ {
		for rpf := int64(1); rpf <= 12; rpf++ {
			for rgr := int64(1); rgr <= 14; rgr++ {
				var want []groupSpan
				for file := 0; int64(file)*rpf < total; file++ {
					start := int64(file) * rpf
					end := min(start+rpf, total)
					for from := start; from < end; from += rgr {
						want = append(want, groupSpan{seq: len(want), file: file, from: from, to: min(from+rgr, end)})
					}
				}
				l := newSplitLayout(total, rpf, rgr)
				if n := l.numGroups(); n != int64(len(want)) {
					t.Fatalf("total %d, rpf %d, rgr %d: %d groups, want %d", total, rpf, rgr, n, len(want))
				}
				for i, g := range want {
					if got := l.group(int64(i)); got != g {
						t.Fatalf("total %d, rpf %d, rgr %d: group %d = %+v, want %+v", total, rpf, rgr, i, got, g)
					}
				}
				for row := int64(0); row <= total; row++ {
					first := int64(len(want))
					for i, g := range want {
						if g.from >= row {
							first = int64(i)
							break
						}
					}
					if got := l.firstGroupAt(row); got != first {
						t.Fatalf("total %d, rpf %d, rgr %d: first group at row %d = %d, want %d", total, rpf, rgr, row, got, first)
					}
				}
			}
		}
	}
}
