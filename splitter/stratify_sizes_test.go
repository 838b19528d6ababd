package splitter_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// deviation returns n * sum |x(c,j) - counts[c]*totals[j]/n|, an integer.
func deviation(counts, totals []int64, x [][]int64) int64 {
	var n, d int64
	for _, c := range counts {
		n += c
	}
	for c := range counts {
		for j := range totals {
			v := x[c][j]*n - counts[c]*totals[j]
			d += max(v, -v)
		}
	}
	return d
}

// checkRounding reports how x fails to be a controlled rounding of the
// quotas counts[c]*totals[j]/n, or "".
func checkRounding(counts, totals []int64, x [][]int64) string {
	var n int64
	for _, c := range counts {
		n += c
	}
	if len(x) != len(counts) {
		return fmt.Sprintf("%d rows, want %d", len(x), len(counts))
	}
	col := make([]int64, len(totals))
	for c := range counts {
		if len(x[c]) != len(totals) {
			return fmt.Sprintf("row %d has %d cells, want %d", c, len(x[c]), len(totals))
		}
		var row int64
		for j := range totals {
			lo := counts[c] * totals[j] // quota times n
			if n > 0 && (x[c][j]*n > lo+n-1 || (x[c][j]+1)*n <= lo) {
				return fmt.Sprintf("cell (%d,%d) = %d is not floor or ceil of %d*%d/%d", c, j, x[c][j], counts[c], totals[j], n)
			}
			row += x[c][j]
			col[j] += x[c][j]
		}
		if row != counts[c] {
			return fmt.Sprintf("row %d sums to %d, want %d", c, row, counts[c])
		}
	}
	for j := range totals {
		if col[j] != totals[j] {
			return fmt.Sprintf("column %d sums to %d, want %d", j, col[j], totals[j])
		}
	}
	return ""
}

// bruteRounding returns the least deviation of any controlled rounding,
// found by trying every choice of floor or ceil in every cell, and whether
// one exists.
func bruteRounding(counts, totals []int64) (int64, bool) {
	var n int64
	for _, c := range counts {
		n += c
	}
	m, k := len(counts), len(totals)
	x := make([][]int64, m)
	var frac [][2]int
	for c := range x {
		x[c] = make([]int64, k)
		for j := range k {
			x[c][j] = counts[c] * totals[j] / n
			if counts[c]*totals[j]%n != 0 {
				frac = append(frac, [2]int{c, j})
			}
		}
	}
	best, found := int64(-1), false
	for mask := 0; mask < 1<<len(frac); mask++ {
		for b, cell := range frac {
			x[cell[0]][cell[1]] = counts[cell[0]] * totals[cell[1]] / n
			if mask&(1<<b) != 0 {
				x[cell[0]][cell[1]]++
			}
		}
		if checkRounding(counts, totals, x) != "" {
			continue
		}
		if d := deviation(counts, totals, x); !found || d < best {
			best, found = d, true
		}
	}
	return best, found
}

// TestStratifiedRoundingBrute checks, on every small table of up to three
// classes and columns and on random larger ones, that a controlled rounding
// exists (by brute force) and that StratifiedRounding returns one of least
// deviation.
func TestStratifiedRoundingBrute(t *testing.T) {
	type tcase struct{ counts, totals []int64 }
	var cases []tcase
	// Every table of 1-3 classes of 0-4 rows into 1-3 columns.
	var classLists [][]int64
	var gen func(prefix []int64, m int)
	gen = func(prefix []int64, m int) {
		if len(prefix) == m {
			classLists = append(classLists, append([]int64(nil), prefix...))
			return
		}
		for v := int64(0); v <= 4; v++ {
			gen(append(prefix, v), m)
		}
	}
	for m := 1; m <= 3; m++ {
		gen(nil, m)
	}
	for _, counts := range classLists {
		var n int64
		for _, c := range counts {
			n += c
		}
		if n == 0 {
			continue
		}
		for k := 1; k <= 3; k++ {
			// every composition of n into k columns
			var comp func(prefix []int64, left int64)
			comp = func(prefix []int64, left int64) {
				if len(prefix) == k-1 {
					cases = append(cases, tcase{counts, append(append([]int64(nil), prefix...), left)})
					return
				}
				for v := int64(0); v <= left; v++ {
					comp(append(prefix, v), left-v)
				}
			}
			comp(nil, n)
		}
	}
	rng := testRand(t)
	for range 400 {
		m, k := 1+rng.IntN(5), 1+rng.IntN(5)
		counts := make([]int64, m)
		var n int64
		for c := range counts {
			counts[c] = int64(rng.IntN(12))
			n += counts[c]
		}
		if n == 0 {
			continue
		}
		totals := make([]int64, k)
		left := n
		for j := range k - 1 {
			totals[j] = rng.Int64N(left + 1)
			left -= totals[j]
		}
		totals[k-1] = left
		rng.Shuffle(k, func(a, b int) { totals[a], totals[b] = totals[b], totals[a] })
		fracs := 0
		for c := range counts {
			for j := range totals {
				if counts[c]*totals[j]%n != 0 {
					fracs++
				}
			}
		}
		if fracs <= 16 {
			cases = append(cases, tcase{counts, totals})
		}
	}
	for _, tc := range cases {
		x, err := splitter.StratifiedRounding(tc.counts, tc.totals)
		if err != nil {
			t.Fatalf("StratifiedRounding(%v, %v): %v", tc.counts, tc.totals, err)
		}
		if msg := checkRounding(tc.counts, tc.totals, x); msg != "" {
			t.Fatalf("StratifiedRounding(%v, %v) = %v: %s", tc.counts, tc.totals, x, msg)
		}
		best, ok := bruteRounding(tc.counts, tc.totals)
		if !ok {
			t.Fatalf("counts %v totals %v: no controlled rounding exists", tc.counts, tc.totals)
		}
		if d := deviation(tc.counts, tc.totals, x); d != best {
			t.Fatalf("StratifiedRounding(%v, %v) = %v deviates by %d/n, the least is %d/n", tc.counts, tc.totals, x, d, best)
		}
	}
	t.Logf("%d tables", len(cases))
}

// TestStratifiedSizes checks that per-split sums are the unstratified
// sizes, class sums the class counts (or less, by the unassigned rest), and
// cells within one of their quota, for ratio and count lists and awkward
// class layouts.
func TestStratifiedSizes(t *testing.T) {
	ratios := func(s string) []splitter.Split {
		sp, err := splitter.ParseRatios(s)
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	sizes := func(s string) []splitter.Split {
		sp, err := splitter.ParseSizes(s)
		if err != nil {
			t.Fatal(err)
		}
		return sp
	}
	many := make([]int64, 100000)
	for c := range many {
		many[c] = int64(1 + c%3)
	}
	skewed := []int64{1, 999_999, 0, 2, 3}
	tests := []struct {
		name   string
		counts []int64
		splits []splitter.Split
	}{
		{"two ratios", []int64{50, 30, 20}, ratios("train=0.8,test=0.2")},
		{"three ratios", []int64{7, 11, 13, 1}, ratios("a=0.6,b=0.2,c=0.2")},
		{"halves of odd classes", []int64{1, 1, 1, 1, 1, 3, 5}, ratios("a=0.5,b=0.5")},
		{"tiny and empty classes", skewed, ratios("train=0.7,valid=0.15,test=0.15")},
		{"counts with rest", []int64{40, 40, 20}, sizes("a=10,b=5")},
		{"one count", []int64{3, 97}, sizes("sample=9")},
		{"one class", []int64{1001}, ratios("a=0.3,b=0.3,c=0.4")},
		{"many small classes", many, ratios("train=0.8,valid=0.1,test=0.1")},
		{"many small classes, counts", many, sizes("a=1000,b=3")},
		{"no rows", []int64{0, 0}, ratios("a=0.5,b=0.5")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n int64
			for _, c := range tc.counts {
				n += c
			}
			want, err := splitter.Sizes(tc.splits, n)
			if err != nil {
				t.Fatal(err)
			}
			got, err := splitter.StratifiedSizes(tc.counts, tc.splits)
			if err != nil {
				t.Fatal(err)
			}
			// Add the rest column and check the full controlled rounding.
			totals := append([]int64(nil), want...)
			var assigned int64
			for _, s := range want {
				assigned += s
			}
			full := make([][]int64, len(got))
			for c, row := range got {
				full[c] = append([]int64(nil), row...)
				if assigned < n {
					var sum int64
					for _, v := range row {
						sum += v
					}
					full[c] = append(full[c], tc.counts[c]-sum)
				}
			}
			if assigned < n {
				totals = append(totals, n-assigned)
			}
			if msg := checkRounding(tc.counts, totals, full); msg != "" {
				t.Fatalf("StratifiedSizes(%v, %v): %s", tc.counts[:min(len(tc.counts), 8)], tc.splits, msg)
			}
		})
	}
}

// TestStratifiedKFoldSizes checks fold totals against scikit-learn's KFold
// rule (the first n mod k folds one row larger) and the rounding.
func TestStratifiedKFoldSizes(t *testing.T) {
	tests := []struct {
		counts []int64
		k      int
	}{
		{[]int64{10, 7, 3}, 3},
		{[]int64{1, 1, 1, 1, 1}, 5},
		{[]int64{2, 0, 9}, 4},
		{[]int64{100, 1}, 10},
	}
	for _, tc := range tests {
		var n int64
		for _, c := range tc.counts {
			n += c
		}
		totals := make([]int64, tc.k)
		for j := range totals {
			totals[j] = n / int64(tc.k) // brute: deal the remainder to the first folds
		}
		for j := range n % int64(tc.k) {
			totals[j]++
		}
		got, err := splitter.StratifiedKFoldSizes(tc.counts, tc.k)
		if err != nil {
			t.Fatalf("StratifiedKFoldSizes(%v, %d): %v", tc.counts, tc.k, err)
		}
		if msg := checkRounding(tc.counts, totals, got); msg != "" {
			t.Errorf("StratifiedKFoldSizes(%v, %d) = %v: %s", tc.counts, tc.k, got, msg)
		}
	}
}

// TestStratifiedSizesErrors checks that bad input is a usage error.
func TestStratifiedSizesErrors(t *testing.T) {
	ok := []splitter.Split{{Name: "a", Ratio: 0.5}, {Name: "b", Ratio: 0.5}}
	tests := []struct {
		name string
		err  func() error
	}{
		{"negative count", func() error { _, err := splitter.StratifiedSizes([]int64{3, -1}, ok); return err }},
		{"bad splits", func() error { _, err := splitter.StratifiedSizes([]int64{3}, nil); return err }},
		{"counts beyond n", func() error {
			_, err := splitter.StratifiedSizes([]int64{3, 1}, []splitter.Split{{Name: "a", Rows: 5}})
			return err
		}},
		{"overflow", func() error {
			_, err := splitter.StratifiedSizes([]int64{1 << 62, 1 << 62}, ok)
			return err
		}},
		{"k < 2", func() error { _, err := splitter.StratifiedKFoldSizes([]int64{3}, 1); return err }},
		{"k > n", func() error { _, err := splitter.StratifiedKFoldSizes([]int64{1, 1}, 3); return err }},
		{"totals not n", func() error { _, err := splitter.StratifiedRounding([]int64{3}, []int64{1, 1}); return err }},
		{"negative total", func() error { _, err := splitter.StratifiedRounding([]int64{3}, []int64{4, -1}); return err }},
	}
	for _, tc := range tests {
		if err := tc.err(); !errors.Is(err, splitter.ErrUsage) {
			t.Errorf("%s: error %v, want one wrapping ErrUsage", tc.name, err)
		}
	}
}
