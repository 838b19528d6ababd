package report_test

import (
	"math/rand/v2"
	"testing"

	"github.com/splitdata/splitdata/report"
)

// TestAddMoments checks that the moments of columns added side by side
// are bit for bit those of each column added alone, for columns of
// equal and unequal lengths (the longer ones' tails added alone), of
// one to eight columns (five side by side at most, then two groups),
// added in two calls (the second from the first's sums).
func TestAddMoments(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for k := 1; k <= 8; k++ {
		for _, ragged := range []bool{false, true} {
			nums := make([][]float64, k)
			for j := range nums {
				n := 1000
				if ragged {
					n = r.IntN(1000)
				}
				for range n {
					nums[j] = append(nums[j], r.NormFloat64()*1e6+float64(j))
				}
			}
			if !report.MomentsMatch(nums) {
				t.Errorf("%d columns (ragged %v): moments differ from those of one column at a time", k, ragged)
			}
		}
	}
}

// BenchmarkAddMoments adds chunks of 1,024 numbers of five columns, as
// gen's table has, one with a tenth of its rows null (shorter), to their
// moments.
func BenchmarkAddMoments(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	nums := make([][]float64, 5)
	for j := range nums {
		n := 1024
		if j == 3 {
			n = 920
		}
		for range n {
			nums[j] = append(nums[j], r.NormFloat64()*1e3+1e6*float64(j))
		}
	}
	add := report.NewMomentsAdder(len(nums))
	b.ReportAllocs()
	for b.Loop() {
		add(nums)
	}
}
