package splitter_test

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

var seedFlag = flag.Uint64("seed", 0, "seed of the randomised tests (0: pick one and print it)")

// testRand returns the generator of a randomised test, seeded by -seed or a
// fresh seed that it logs with the command that repeats the run.
func testRand(t testing.TB) *rand.Rand {
	t.Helper()
	seed := *seedFlag
	if seed == 0 {
		seed = rand.Uint64()
	}
	t.Logf("seed %d; repeat with: go test ./splitter -run '^%s$' -seed %d", seed, t.Name(), seed)
	return rand.New(rand.NewPCG(seed, 0x5eed))
}

// TestSizesSklearn checks two-split sizes against scikit-learn's
// train_test_split: a fractional test size through ParseTestSize and
// through a two-split ratio list, an integer one through ParseTestSize, and
// integer train and test sizes through ParseSizes.
func TestSizesSklearn(t *testing.T) {
	for _, v := range loadVectors(t).Sklearn {
		name := fmt.Sprintf("n=%d,test=%s,train=%s", v.N, v.TestSize, v.TrainSize)
		var lists []string
		var parsed [][]splitter.Split
		add := func(desc string, s []splitter.Split, err error) {
			if err != nil {
				t.Fatalf("%s: parse %s: %v", name, desc, err)
			}
			lists = append(lists, desc)
			parsed = append(parsed, s)
		}
		switch {
		case v.TrainSize != "":
			s, err := splitter.ParseSizes("train=" + v.TrainSize + ",test=" + v.TestSize)
			add("sizes", s, err)
		default:
			s, err := splitter.ParseTestSize(v.TestSize)
			add("test size", s, err)
			if p, err := strconv.ParseFloat(v.TestSize, 64); err == nil && p < 1 {
				list := "train=" + strconv.FormatFloat(1-p, 'g', -1, 64) + ",test=" + v.TestSize
				s, err := splitter.ParseRatios(list)
				add("ratios "+list, s, err)
			}
		}
		for k, s := range parsed {
			got, err := splitter.Sizes(s, v.N)
			if err != nil {
				t.Errorf("%s: Sizes(%s): %v", name, lists[k], err)
				continue
			}
			if !slices.Equal(got, v.Sizes[:]) {
				t.Errorf("%s: Sizes(%s) = %v, want %v (scikit-learn)", name, lists[k], got, v.Sizes)
			}
		}
	}
}

// TestSizesRatioVectors checks largest-remainder sizes against splitv1.sizes.
func TestSizesRatioVectors(t *testing.T) {
	for _, v := range loadVectors(t).RatioSizes {
		splits, err := splitter.ParseRatios(v.Ratios)
		if err != nil {
			t.Fatalf("ParseRatios(%q): %v", v.Ratios, err)
		}
		got, err := splitter.Sizes(splits, v.N)
		if err != nil {
			t.Errorf("Sizes(%q, %d): %v", v.Ratios, v.N, err)
			continue
		}
		if !slices.Equal(got, v.Sizes) {
			t.Errorf("Sizes(%q, %d)\n got %v\nwant %v", v.Ratios, v.N, got, v.Sizes)
		}
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		name   string
		splits []splitter.Split
		n      int64
		want   []int64
		err    string
	}{
		// The example of issue 4: scikit-learn's test size is ceil(n*p).
		{name: "issue example", splits: ratios("train", 0.75, "test", 0.25), n: 100003, want: []int64{75002, 25001}},
		{name: "two splits empty input", splits: ratios("train", 0.8, "test", 0.2), n: 0, want: []int64{0, 0}},
		{name: "two splits one row", splits: ratios("train", 0.8, "test", 0.2), n: 1, want: []int64{0, 1}},
		{name: "one split", splits: ratios("all", 1.0), n: 17, want: []int64{17}},
		// Largest remainder: 10 rows at 0.25 each leaves 2.5 for every
		// split; the two rows left go to the earliest splits.
		{name: "remainder ties", splits: ratios("a", 0.25, "b", 0.25, "c", 0.25, "d", 0.25), n: 10, want: []int64{3, 3, 2, 2}},
		// 7 rows at 0.5/0.3/0.2: floors 3, 2, 1; fractions .5, .1, .4.
		{name: "remainder order", splits: ratios("a", 0.5, "b", 0.3, "c", 0.2), n: 7, want: []int64{4, 2, 1}},
		{name: "remainder one row", splits: ratios("a", 0.2, "b", 0.5, "c", 0.3), n: 1, want: []int64{0, 1, 0}},
		{name: "remainder empty", splits: ratios("a", 0.5, "b", 0.3, "c", 0.2), n: 0, want: []int64{0, 0, 0}},
		{name: "counts", splits: counts("a", 5, "b", 3), n: 8, want: []int64{5, 3}},
		{name: "counts unassigned", splits: counts("a", 5, "b", 3), n: 100, want: []int64{5, 3}},
		{name: "counts rest first", splits: counts("a", -1, "b", 3), n: 100, want: []int64{97, 3}},
		{name: "counts rest middle", splits: counts("a", 1, "b", -1, "c", 3), n: 4, want: []int64{1, 0, 3}},
		{name: "only rest", splits: counts("a", -1), n: 9, want: []int64{9}},
		{name: "two splits huge n", splits: ratios("train", 0.5, "test", 0.5), n: math.MaxInt64, want: []int64{math.MaxInt64 / 2, math.MaxInt64/2 + 1}},

		{name: "counts too many", splits: counts("a", 5, "b", 3), n: 7, err: "usage: the splits ask for 8 rows but the input has 7"},
		{name: "rest too many", splits: counts("a", 5, "b", -1), n: 4, err: "usage: the splits ask for 5 rows but the input has 4"},
		{name: "negative n", splits: ratios("all", 1.0), n: -1, err: "usage: negative row count -1"},
		{name: "invalid list", splits: ratios("a", 0.5), n: 10, err: "usage: ratios sum to 0.5, not 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitter.Sizes(tc.splits, tc.n)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || !errors.Is(err, splitter.ErrUsage) {
					t.Fatalf("Sizes(%+v, %d) = %v, %v; want error %q wrapping ErrUsage", tc.splits, tc.n, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Sizes(%+v, %d): %v", tc.splits, tc.n, err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("Sizes(%+v, %d) = %v, want %v", tc.splits, tc.n, got, tc.want)
			}
		})
	}
}

// TestSizesProperties checks random ratio lists: the sizes are
// non-negative, sum to n, and each lies within the rounding slack of n*r.
func TestSizesProperties(t *testing.T) {
	r := testRand(t)
	iters := 20000
	if testing.Short() {
		iters = 2000
	}
	for range iters {
		k := 1 + r.IntN(12)
		if r.IntN(8) == 0 {
			k = 1 + r.IntN(splitter.MaxSplits)
		}
		w := make([]float64, k)
		var sum float64
		for j := range w {
			w[j] = 1e-6 + r.Float64()
			sum += w[j]
		}
		splits := make([]splitter.Split, k)
		var total float64
		for j := range splits {
			splits[j] = splitter.Split{Name: fmt.Sprintf("s%d", j), Ratio: w[j] / sum}
			total += w[j] / sum
		}
		if splitter.ValidateSplits(splits) != nil {
			continue // normalised sums can miss 1 by more than the tolerance only in theory
		}
		var n int64
		switch r.IntN(3) {
		case 0:
			n = r.Int64N(100)
		case 1:
			n = r.Int64N(1 << 40)
		default:
			n = r.Int64N(math.MaxInt64)
		}
		got, err := splitter.Sizes(splits, n)
		if err != nil {
			t.Fatalf("Sizes(%+v, %d): %v", splits, n, err)
		}
		var s int64
		for j, g := range got {
			if g < 0 {
				t.Fatalf("Sizes(%+v, %d) = %v: negative", splits, n, got)
			}
			s += g
			// Slack: one row of rounding, a round of dealing per split,
			// float64 error in n*r, and the ratio sum's distance from 1.
			slack := 2 + float64(n)*(math.Abs(total-1)+4e-16)
			if d := math.Abs(float64(g) - float64(n)*splits[j].Ratio); d > slack {
				t.Fatalf("Sizes(%+v, %d) = %v: split %d is %v from n*r (slack %v)", splits, n, got, j, d, slack)
			}
		}
		if s != n {
			t.Fatalf("Sizes(%+v, %d) = %v sums to %d", splits, n, got, s)
		}
	}
}
