package splitter_test

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// newGen returns numpy.random.PCG64(seed).
func newGen(t testing.TB, seed int64) *prng.PCG64 {
	t.Helper()
	g, err := prng.NewPCG64(big.NewInt(seed))
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// row is a row in canonical-order terms.
type row struct {
	key   uint64
	index int64
}

// sortedRows returns the n rows of gen's key stream sorted in canonical
// order, the brute-force definition of ranks.
func sortedRows(gen *prng.PCG64, n int64) (keys []uint64, rows []row) {
	g := *gen
	keys = make([]uint64, n)
	g.Fill(keys)
	rows = make([]row, n)
	for i, k := range keys {
		rows[i] = row{k, int64(i)}
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.index, b.index))
	})
	return keys, rows
}

// bruteBoundaries returns the boundaries ExactBoundaries must find: the
// row of rank c(j) for every split but the last, and for the last when the
// sizes leave rows over; Sentinel for rank n.
func bruteBoundaries(rows []row, sizes []int64) []splitter.Boundary {
	n := int64(len(rows))
	var out []splitter.Boundary
	var c int64
	for j, s := range sizes {
		c += s
		if j == len(sizes)-1 && c == n {
			break
		}
		if c == n {
			out = append(out, splitter.Sentinel)
			continue
		}
		out = append(out, splitter.Boundary{Key: rows[c].key, Index: rows[c].index})
	}
	return out
}

// bruteIDs returns every row's split id by rank: the rows of ranks
// [c(j-1), c(j)) get j, rows past the last split len(sizes).
func bruteIDs(rows []row, sizes []int64) []uint8 {
	ids := make([]uint8, len(rows))
	r := 0
	for j, s := range sizes {
		for range s {
			ids[rows[r].index] = uint8(j)
			r++
		}
	}
	for ; r < len(rows); r++ {
		ids[rows[r].index] = uint8(len(sizes))
	}
	return ids
}

// sizeLists returns split sizes over n rows that cover the edge cases:
// one split, empty splits first, in the middle and last, rows left
// unassigned, one-row splits and many splits.
func sizeLists(n int64) [][]int64 {
	lists := [][]int64{
		{n},
		{0, n},
		{n, 0},
		{n / 2, n - n/2},
		{n - n/5, n / 5},
		{n / 3, 0, n - n/3},
		{n / 3, n / 4},           // the rest unassigned
		{0, 0},                   // every row unassigned
		{n / 10, n / 10, n / 10}, // the rest unassigned, three splits
	}
	if n >= 3 {
		lists = append(lists, []int64{1, 1, n - 2}, []int64{n - 2, 1, 1}, []int64{n / 2, 1, 0, 1})
	}
	// Many splits of uneven sizes, adjacent ranks in the same buckets.
	many := make([]int64, 0, 40)
	var sum int64
	for j := int64(1); len(many) < 39; j++ {
		s := min((j*j*7919)%(n/40+2), n-sum)
		many = append(many, s)
		sum += s
	}
	lists = append(lists, append(many, n-sum))
	return lists
}

// checkBoundaries compares ExactBoundaries (through find) with the brute
// force for every size list and worker count.
func checkBoundaries(t *testing.T, seed int64, n int64, workers []int, find func(gen *prng.PCG64, sizes []int64, workers int) ([]splitter.Boundary, error)) {
	t.Helper()
	gen := newGen(t, seed)
	_, rows := sortedRows(gen, n)
	for _, sizes := range sizeLists(n) {
		want := bruteBoundaries(rows, sizes)
		for _, w := range workers {
			got, err := find(gen, sizes, w)
			if err != nil {
				t.Fatalf("seed %d, n %d, sizes %v, workers %d: %v", seed, n, sizes, w, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("seed %d, n %d, sizes %v, workers %d:\n got %v\nwant %v", seed, n, sizes, w, got, want)
			}
		}
	}
}

func TestExactBoundariesBruteForce(t *testing.T) {
	ns := []int64{0, 1, 2, 3, 5, 10, 100, 1000, 65537, splitter.DefaultSelectTuning.Collect - 1,
		splitter.DefaultSelectTuning.Collect, splitter.DefaultSelectTuning.Collect + 1, 3_000_000}
	if testing.Short() || raceEnabled {
		ns = slices.DeleteFunc(ns, func(n int64) bool { return n > 100_000 })
	}
	for k, n := range ns {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			checkBoundaries(t, int64(k)+42, n, []int{1, 2, 3, 8}, func(gen *prng.PCG64, sizes []int64, workers int) ([]splitter.Boundary, error) {
				return splitter.ExactBoundaries(t.Context(), gen, n, sizes, workers)
			})
		})
	}
}

// TestExactBoundariesNarrowing shrinks the tuning of the radix select so
// that small inputs take every path: histogram passes at every depth down
// to whole keys, several probes found one by one or through the table of
// top key bits, inputs collected whole, tasks ending mid-buffer, more
// workers than tasks.
func TestExactBoundariesNarrowing(t *testing.T) {
	def := splitter.DefaultSelectTuning
	tests := []struct {
		n    int64
		tune splitter.SelectTuning
	}{
		{100_000, splitter.SelectTuning{Unit: 1000, Buffer: 64, Direct: 0, Collect: 0}},        // narrows to 64 bits, collects one row
		{100_000, splitter.SelectTuning{Unit: 4096, Buffer: 100, Direct: 10, Collect: 1}},      // most buckets narrow once more
		{1_000_000, splitter.SelectTuning{Unit: 1 << 16, Buffer: 1000, Direct: 0, Collect: 4}}, // ~15 rows a bucket: a second histogram
		{1_000_000, splitter.SelectTuning{Unit: 1 << 18, Buffer: 1 << 12, Direct: 0, Collect: 20}},
		{100_000, splitter.SelectTuning{Unit: 1 << 14, Buffer: 1 << 10, Direct: 1 << 20, Collect: 0}}, // collected whole
		{777, splitter.SelectTuning{Unit: 1, Buffer: 1, Direct: 0, Collect: 0}},
		{777, splitter.SelectTuning{Unit: 10, Buffer: 3, Direct: 0, Collect: 2}},
		{777, splitter.SelectTuning{Unit: 10, Buffer: 30, Direct: 776, Collect: 2}},
		{5, splitter.SelectTuning{Unit: 2, Buffer: 1, Direct: 0, Collect: 0}},
		// Window passes: wide enough to find every target of up to 4, so
		// narrow that most miss and the histogram passes follow, or in
		// between.
		{100_000, splitter.SelectTuning{Unit: 4096, Buffer: 100, Direct: 10, Collect: 1 << 20, Window: 6}},
		{100_000, splitter.SelectTuning{Unit: 4096, Buffer: 100, Direct: 10, Collect: 1 << 20, Window: 0.01}},
		{1_000_000, splitter.SelectTuning{Unit: 1 << 16, Buffer: 1000, Direct: 0, Collect: 4, Window: 1}},
		{777, splitter.SelectTuning{Unit: 10, Buffer: 3, Direct: 0, Collect: 2, Window: 2}},
		{def.Direct, def},
		{def.Direct + 1, def},
	}
	for k, tc := range tests {
		if (testing.Short() || raceEnabled) && tc.n > 100_000 {
			continue
		}
		t.Run(fmt.Sprintf("n=%d,%+v", tc.n, tc.tune), func(t *testing.T) {
			checkBoundaries(t, int64(k)+7, tc.n, []int{1, 3}, func(gen *prng.PCG64, sizes []int64, workers int) ([]splitter.Boundary, error) {
				return splitter.ExactBoundariesTuned(t.Context(), gen, tc.n, sizes, workers, tc.tune)
			})
		})
	}
}

// TestExactBoundariesLeavesGen checks that the generator passed in is not
// advanced.
func TestExactBoundariesLeavesGen(t *testing.T) {
	gen := newGen(t, 3)
	want := *gen
	if _, err := splitter.ExactBoundaries(t.Context(), gen, 5000, []int64{4000, 1000}, 2); err != nil {
		t.Fatal(err)
	}
	if gen.Uint64() != want.Uint64() {
		t.Error("ExactBoundaries advanced its generator")
	}
}

func TestExactBoundariesErrors(t *testing.T) {
	gen := newGen(t, 1)
	tests := []struct {
		name  string
		n     int64
		sizes []int64
		err   string
	}{
		{"negative n", -1, []int64{0}, "usage: negative row count -1"},
		{"no sizes", 10, nil, "usage: 0 splits, want 1 to 255"},
		{"too many sizes", 10, make([]int64, 256), "usage: 256 splits, want 1 to 255"},
		{"negative size", 10, []int64{-1, 5}, "usage: split 0 has negative size -1"},
		{"sum too large", 10, []int64{6, 5}, "usage: split sizes sum to more than the 10 rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitter.ExactBoundaries(t.Context(), gen, tc.n, tc.sizes, 2)
			if err == nil || err.Error() != tc.err || !errors.Is(err, splitter.ErrUsage) {
				t.Fatalf("ExactBoundaries(n=%d, %v) = %v, %v; want error %q wrapping ErrUsage", tc.n, tc.sizes, got, err, tc.err)
			}
		})
	}
}

// countdownCtx is a context whose Err turns to context.Canceled after a
// given number of calls, so a search can be cancelled at a chosen point of
// its work without relying on timing.
type countdownCtx struct {
	context.Context
	left atomic.Int64
	once sync.Once
	done chan struct{}
}

func newCountdownCtx(calls int64) *countdownCtx {
	c := &countdownCtx{Context: context.Background(), done: make(chan struct{})}
	c.left.Store(calls)
	return c
}

func (c *countdownCtx) Err() error {
	if c.left.Add(-1) < 0 {
		c.once.Do(func() { close(c.done) })
		return context.Canceled
	}
	return nil
}

func (c *countdownCtx) Done() <-chan struct{} { return c.done }

func (c *countdownCtx) Deadline() (time.Time, bool) { return time.Time{}, false }

func TestExactBoundariesCancel(t *testing.T) {
	gen := newGen(t, 9)
	const n = 4_000_000 // a pass makes about 250 checks, and one pass may find the boundaries
	for _, calls := range []int64{0, 1, 5, 50, 200} {
		for _, w := range []int{1, 3} {
			t.Run(fmt.Sprintf("after %d checks, %d workers", calls, w), func(t *testing.T) {
				ctx := newCountdownCtx(calls)
				got, err := splitter.ExactBoundaries(ctx, gen, n, []int64{n / 2, n / 2}, w)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("ExactBoundaries under cancellation = %v, %v; want context.Canceled", got, err)
				}
				if got != nil {
					t.Errorf("ExactBoundaries returned %v with its error", got)
				}
			})
		}
	}
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := splitter.ExactBoundaries(ctx, gen, n, []int64{n / 2, n / 2}, 2); !errors.Is(err, context.Canceled) {
			t.Fatalf("ExactBoundaries(cancelled) error = %v, want context.Canceled", err)
		}
	})
}
