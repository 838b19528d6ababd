package report_test

import (
	"math/rand/v2"
	"testing"

	"github.com/splitdata/splitdata/report"
)

// TestAddMoments checks that the moments of columns added side by side
// are bit for bit those of each column added alone, for columns of
// equal and unequal lengths (the longer ones' tails added alone), of
// one to eight columns.
func TestAddMoments(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for _, k := range []int{1, 2, 5, 8} {
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
