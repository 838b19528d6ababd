package splitter_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// assignChunked assigns the rows of keys in chunks of random sizes, each
// with its own start offset, the way workers see units of an input.
func assignChunked(r *rand.Rand, a *splitter.Assigner, keys []uint64) []uint8 {
	out := make([]uint8, len(keys))
	for start := 0; start < len(keys); {
		size := 1 + r.IntN(1+r.IntN(5000))
		end := min(start+size, len(keys))
		a.Assign(keys[start:end], int64(start), out[start:end])
		start = end
	}
	return out
}

// parseOption parses a split list given as a command-line option.
func parseOption(option, value string) ([]splitter.Split, error) {
	switch option {
	case "--ratios":
		return splitter.ParseRatios(value)
	case "--sizes":
		return splitter.ParseSizes(value)
	case "--test-size":
		return splitter.ParseTestSize(value)
	}
	return nil, fmt.Errorf("unknown option %q", option)
}

// TestAssignVectors checks whole assignments against NumPy
// (splitv1.assign): sizes, boundaries, per-split counts and every row's id,
// with rows assigned in random chunks.
func TestAssignVectors(t *testing.T) {
	r := testRand(t)
	for _, v := range loadVectors(t).Assign {
		name := fmt.Sprintf("seed=%s,n=%d,%s=%s,approx=%v", v.Seed, v.N, v.Option, v.Value, v.Approx)
		t.Run(name, func(t *testing.T) {
			seed, err := splitter.ParseSeed(v.Seed)
			if err != nil {
				t.Fatal(err)
			}
			gen, err := prng.NewPCG64(seed)
			if err != nil {
				t.Fatal(err)
			}
			splits, err := parseOption(v.Option, v.Value)
			if err != nil {
				t.Fatal(err)
			}
			var a *splitter.Assigner
			if v.Approx {
				ratios := make([]float64, len(splits))
				for j, s := range splits {
					ratios[j] = s.Ratio
				}
				if a, err = splitter.NewApproxAssigner(ratios); err != nil {
					t.Fatal(err)
				}
			} else {
				sizes, err := splitter.Sizes(splits, v.N)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(sizes, v.Sizes) {
					t.Fatalf("Sizes = %v, want %v", sizes, v.Sizes)
				}
				want := make([]splitter.Boundary, len(v.Boundaries))
				for j, b := range v.Boundaries {
					want[j] = splitter.Sentinel
					if b != nil {
						want[j] = splitter.Boundary{Key: b.Key, Index: b.Index}
					}
				}
				for _, w := range []int{1, 2, 3} {
					got, err := splitter.ExactBoundaries(t.Context(), gen, v.N, sizes, w)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(got, want) {
						t.Fatalf("ExactBoundaries(workers=%d)\n got %v\nwant %v", w, got, want)
					}
				}
				a = splitter.NewExactAssigner(want, len(sizes))
			}
			keys := make([]uint64, v.N)
			g := *gen
			g.Fill(keys)
			if n := min(len(keys), 4); !slices.Equal(keys[:n], v.FirstKeys) {
				t.Fatalf("first keys %v, want %v", keys[:n], v.FirstKeys)
			}
			ids := assignChunked(r, a, keys)
			count := make([]int64, len(splits)+1)
			for _, id := range ids {
				count[id]++
			}
			if !slices.Equal(count, v.Counts) {
				t.Errorf("rows per split %v, want %v", count, v.Counts)
			}
			if v.IDsHex != "" || v.N == 0 {
				if got := hex.EncodeToString(ids); got != v.IDsHex {
					t.Errorf("ids differ from NumPy's at row %d", firstDiff(got, v.IDsHex)/2)
				}
			}
			if sum := sha256.Sum256(ids); hex.EncodeToString(sum[:]) != v.IDsSHA256 {
				t.Errorf("SHA-256 of the ids %x, want %s", sum, v.IDsSHA256)
			}
		})
	}
}

// firstDiff returns the first byte index where a and b differ.
func firstDiff(a, b string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// TestAssignExactBruteForce checks exact assignment against ranks computed
// by sorting, for random inputs and size lists, in random chunks.
func TestAssignExactBruteForce(t *testing.T) {
	r := testRand(t)
	iters := 60
	if testing.Short() {
		iters = 15
	}
	for it := range iters {
		n := r.Int64N(20_000)
		if it%10 == 0 {
			n = r.Int64N(10)
		}
		k := 1 + r.IntN(6)
		if it%7 == 0 {
			k = 20 + r.IntN(splitter.MaxSplits-20) // the binary-search path
		}
		sizes := make([]int64, k)
		left := n
		for j := range sizes {
			if r.IntN(4) > 0 {
				sizes[j] = r.Int64N(left + 1)
				left -= sizes[j]
			}
		}
		if r.IntN(2) == 0 {
			sizes[r.IntN(k)] += left // else leave rows unassigned
		}
		gen := newGen(t, r.Int64())
		keys, rows := sortedRows(gen, n)
		want := bruteIDs(rows, sizes)
		bounds, err := splitter.ExactBoundaries(t.Context(), gen, n, sizes, 1+r.IntN(3))
		if err != nil {
			t.Fatal(err)
		}
		a := splitter.NewExactAssigner(bounds, k)
		if got := assignChunked(r, a, keys); !slices.Equal(got, want) {
			d := firstDiff(string(got), string(want))
			t.Fatalf("n %d, sizes %v: row %d (key %d) got split %d, want %d", n, sizes, d, keys[d], got[d], want[d])
		}
	}
}

// approxThresholds returns the thresholds floor(C(j) * 2^64) of an
// approximate split, computed with big.Float, stopping at the first C(j) >= 1
// and before the last split.
func approxThresholds(ratios []float64) []*big.Int {
	var out []*big.Int
	var c float64
	for _, r := range ratios[:len(ratios)-1] {
		c += r // the float64 running sum, as the spec says
		f := new(big.Float).SetMantExp(new(big.Float).SetFloat64(c), 64)
		t, _ := f.Int(nil) // truncation is floor for c >= 0
		if t.Cmp(new(big.Int).Lsh(big.NewInt(1), 64)) >= 0 {
			break
		}
		out = append(out, t)
	}
	return out
}

// approxID is the split of key by the thresholds: the number of thresholds
// at or below it.
func approxID(key uint64, thresholds []*big.Int) uint8 {
	k := new(big.Int).SetUint64(key)
	var id uint8
	for _, t := range thresholds {
		if k.Cmp(t) >= 0 {
			id++
		}
	}
	return id
}

// TestAssignApprox checks approximate assignment against thresholds
// computed with big.Float, on random keys and on every threshold's
// neighbours, for chosen and random ratio lists.
func TestAssignApprox(t *testing.T) {
	r := testRand(t)
	lists := [][]float64{
		{1},
		{0.8, 0.2},
		{0.5, 0.5},
		{0.7, 0.2, 0.1},
		{0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1},
		{0.6, 0.4000000005},         // sums past 1: the last split is open-ended anyway
		{0.6, 0.3999999995},         // sums short of 1: the last split still takes every key above
		{0.9999999995, 1e-9, 1e-10}, // C(1) >= 1: the last split is empty
		{1, 1e-10},                  // C(0) = 1: the first split takes every key
	}
	for range 30 {
		k := 2 + r.IntN(40)
		w := make([]float64, k)
		var sum float64
		for j := range w {
			w[j] = 1e-3 + r.Float64()
			sum += w[j]
		}
		for j := range w {
			w[j] /= sum
		}
		lists = append(lists, w)
	}
	for _, ratios := range lists {
		a, err := splitter.NewApproxAssigner(ratios)
		if err != nil {
			t.Fatalf("NewApproxAssigner(%v): %v", ratios, err)
		}
		thresholds := approxThresholds(ratios)
		keys := []uint64{0, 1, math.MaxUint64, math.MaxUint64 - 1, 1 << 63}
		for _, th := range thresholds {
			v := th.Uint64()
			keys = append(keys, v, v-1, v+1)
		}
		for range 5000 {
			keys = append(keys, r.Uint64())
		}
		// Any start offset: approximate splits ignore the row index.
		out := make([]uint8, len(keys))
		a.Assign(keys, r.Int64N(math.MaxInt64-int64(len(keys))), out)
		for k, key := range keys {
			if want := approxID(key, thresholds); out[k] != want {
				t.Fatalf("ratios %v: key %d got split %d, want %d (thresholds %v)", ratios, key, out[k], want, thresholds)
			}
			if int(out[k]) >= len(ratios) {
				t.Fatalf("ratios %v: key %d got split %d, beyond the splits", ratios, key, out[k])
			}
		}
	}
}

// TestAssignApproxShares checks on 10^6 keys of seed 42 that approximate
// splits get their ratios' shares, within five standard deviations.
func TestAssignApproxShares(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 100_000
	}
	ratios := []float64{0.7, 0.2, 0.1}
	a, err := splitter.NewApproxAssigner(ratios)
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]uint64, n)
	newGen(t, 42).Fill(keys)
	out := make([]uint8, n)
	a.Assign(keys, 0, out)
	count := make([]float64, len(ratios))
	for _, id := range out {
		count[id]++
	}
	for j, p := range ratios {
		mean, sd := float64(n)*p, math.Sqrt(float64(n)*p*(1-p))
		if math.Abs(count[j]-mean) > 5*sd {
			t.Errorf("split %d got %v rows, want %v ± %v", j, count[j], mean, 5*sd)
		}
	}
}

func TestNewApproxAssignerErrors(t *testing.T) {
	tests := []struct {
		ratios []float64
		err    string
	}{
		{nil, "usage: approximate split: no splits"},
		{[]float64{0.5, 0.4}, "usage: approximate split: ratios sum to 0.9, not 1"},
		{[]float64{1.5, -0.5}, `usage: approximate split: split "s0": ratio 1.5 is not in (0, 1]`},
		{[]float64{math.NaN()}, `usage: approximate split: split "s0": ratio NaN is not in (0, 1]`},
		{make([]float64, 256), "usage: approximate split: 256 splits, at most 255 allowed"},
	}
	for _, tc := range tests {
		a, err := splitter.NewApproxAssigner(tc.ratios)
		if err == nil || err.Error() != tc.err || !errors.Is(err, splitter.ErrUsage) {
			t.Errorf("NewApproxAssigner(%v) = %v, %v; want error %q wrapping ErrUsage", tc.ratios, a, err, tc.err)
		}
	}
}

func TestCheckBoundaries(t *testing.T) {
	b := func(key uint64, index int64) splitter.Boundary { return splitter.Boundary{Key: key, Index: index} }
	tests := []struct {
		name    string
		bounds  []splitter.Boundary
		nsplits int
		err     string
	}{
		{"one split", nil, 1, ""},
		{"one split unassigned", []splitter.Boundary{b(5, 0)}, 1, ""},
		{"two splits", []splitter.Boundary{b(5, 0)}, 2, ""},
		{"equal boundaries", []splitter.Boundary{b(5, 3), b(5, 3)}, 3, ""},
		{"same key", []splitter.Boundary{b(5, 3), b(5, 4)}, 3, ""},
		{"sentinels", []splitter.Boundary{b(5, 3), splitter.Sentinel, splitter.Sentinel}, 3, ""},

		{"no splits", nil, 0, "usage: 0 splits, want 1 to 255"},
		{"too many splits", make([]splitter.Boundary, 255), 256, "usage: 256 splits, want 1 to 255"},
		{"too few", nil, 2, "usage: 0 boundaries for 2 splits, want 1 or 2"},
		{"too many", make([]splitter.Boundary, 3), 2, "usage: 3 boundaries for 2 splits, want 1 or 2"},
		{"decreasing key", []splitter.Boundary{b(6, 0), b(5, 9)}, 3, "usage: boundary 1 (5, 9) lies before boundary 0 (6, 0)"},
		{"decreasing index", []splitter.Boundary{b(5, 4), b(5, 3)}, 3, "usage: boundary 1 (5, 3) lies before boundary 0 (5, 4)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := splitter.CheckBoundaries(tc.bounds, tc.nsplits)
			switch {
			case tc.err == "" && err != nil:
				t.Errorf("CheckBoundaries = %v, want nil", err)
			case tc.err != "" && (err == nil || err.Error() != tc.err || !errors.Is(err, splitter.ErrUsage)):
				t.Errorf("CheckBoundaries = %v, want %q wrapping ErrUsage", err, tc.err)
			}
			defer func() {
				p := recover()
				if (p != nil) != (tc.err != "") {
					t.Errorf("NewExactAssigner panicked: %v; want a panic: %v", p, tc.err != "")
				}
				if p != nil && !strings.Contains(fmt.Sprint(p), tc.err) {
					t.Errorf("NewExactAssigner panic %q does not say %q", p, tc.err)
				}
			}()
			splitter.NewExactAssigner(tc.bounds, tc.nsplits)
		})
	}
}

// TestAssignExactEdges checks exact assignment around a boundary: equal
// keys are ordered by row index, the Sentinel is never reached, and rows
// past the last boundary of a list with unassigned rows get id nsplits.
func TestAssignExactEdges(t *testing.T) {
	b := splitter.Boundary{Key: 100, Index: 7}
	tests := []struct {
		name   string
		bounds []splitter.Boundary
		k      int
		key    uint64
		index  int64
		want   uint8
	}{
		{"key below", []splitter.Boundary{b}, 2, 99, 1000, 0},
		{"key above", []splitter.Boundary{b}, 2, 101, 0, 1},
		{"equal key, lower index", []splitter.Boundary{b}, 2, 100, 6, 0},
		{"equal key, the boundary row", []splitter.Boundary{b}, 2, 100, 7, 1},
		{"equal key, higher index", []splitter.Boundary{b}, 2, 100, 8, 1},
		{"max key before sentinel", []splitter.Boundary{splitter.Sentinel}, 2, math.MaxUint64, math.MaxInt64 - 1, 0},
		{"unassigned", []splitter.Boundary{b}, 1, 100, 7, 1},
		{"assigned", []splitter.Boundary{b}, 1, 100, 6, 0},
		{"empty middle split", []splitter.Boundary{b, b}, 3, 100, 7, 2},
		{"three, middle", []splitter.Boundary{b, {Key: 200}}, 3, 150, 0, 1},
		{"three, last", []splitter.Boundary{b, {Key: 200}}, 3, 200, 0, 2},
		{"three, unassigned", []splitter.Boundary{b, {Key: 200}, {Key: 300}}, 3, 300, 0, 3},
	}
	for _, tc := range tests {
		a := splitter.NewExactAssigner(tc.bounds, tc.k)
		var out [1]uint8
		a.Assign([]uint64{tc.key}, tc.index, out[:])
		if out[0] != tc.want {
			t.Errorf("%s: row (%d, %d) got split %d, want %d", tc.name, tc.key, tc.index, out[0], tc.want)
		}
	}
}

func TestAssignerZeroValue(t *testing.T) {
	var a splitter.Assigner
	out := []uint8{9, 9, 9}
	a.Assign([]uint64{0, 1 << 63, math.MaxUint64}, 5, out)
	if !slices.Equal(out, []uint8{0, 0, 0}) {
		t.Errorf("zero Assigner gave %v, want every row in split 0", out)
	}
}

func TestAssignShortOut(t *testing.T) {
	a, err := splitter.NewApproxAssigner([]float64{0.5, 0.5})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if recover() == nil {
			t.Error("Assign with a short out did not panic")
		}
	}()
	a.Assign(make([]uint64, 3), 0, make([]uint8, 2))
}

// TestBoundariesRoundTrip checks that an exact Assigner rebuilt from its
// Boundaries assigns every row as the original does.
func TestBoundariesRoundTrip(t *testing.T) {
	gen, err := prng.NewPCG64(big.NewInt(11))
	if err != nil {
		t.Fatal(err)
	}
	const n = 5000
	splits := []splitter.Split{{Name: "a", Ratio: 0.5}, {Name: "b", Ratio: 0.3}, {Name: "c", Ratio: 0.2}}
	a, _, err := splitter.NewAssigner(t.Context(), gen, splits, n, false, 2)
	if err != nil {
		t.Fatal(err)
	}
	b := splitter.NewExactAssigner(a.Boundaries(), len(splits))
	keys := make([]uint64, n)
	g := *gen
	g.Fill(keys)
	want, got := make([]uint8, n), make([]uint8, n)
	a.Assign(keys, 0, want)
	b.Assign(keys, 0, got)
	if !slices.Equal(got, want) {
		t.Fatal("rebuilt assigner differs")
	}
	counts := make([]int, len(splits)+1)
	for _, id := range got {
		counts[id]++
	}
	if counts[0] != 2500 || counts[1] != 1500 || counts[2] != 1000 {
		t.Fatalf("counts %v, want [2500 1500 1000 0]", counts)
	}
}
