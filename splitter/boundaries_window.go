package splitter

import (
	"cmp"
	"context"
	"math"
	"math/bits"
	"slices"
)

// The window pass: a guess that usually saves a pass of the radix select.
//
// Keys are uniform, so the row of rank r among n has a key near r/n of the
// key range, and its rank among the keys below any fixed key is binomial,
// with a standard deviation of at most sqrt(n)/2. One pass over the keys
// counts, for each target, the keys below a window of windowSigmas such
// deviations around its expected key and collects the rows inside it. When
// the target's rank falls among the collected rows, sorting them in
// canonical order gives its row directly: the same row the histogram pass
// and the collecting pass after it find, since the row of a given rank is
// unique. When it does not (about once in 10^9 searches), the target is
// searched for as before. The window changes the work, never a result.
const (
	// windowSigmas is the window's half-width in standard deviations of
	// a target's rank.
	windowSigmas = 6
	// windowTargets is the most targets a window pass looks for: each
	// costs a comparison per key.
	windowTargets = fewProbes
	// windowRows bounds the rows all windows of a pass are expected to
	// collect (16 bytes each): beyond it, about 10^9 rows for one
	// target, the histogram passes run.
	windowRows = 1 << 18
)

// window is the key range [lo, lo+span] of one target's window pass.
type window struct {
	lo, span uint64
}

// windowOf returns the window around the expected key of rank rank among
// n rows, sigmas standard deviations wide either side, and its expected
// number of rows.
func windowOf(rank, n int64, sigmas float64) (window, float64) {
	const keys = 1 << 64 // as a float64, exact
	center := (float64(rank) + 0.5) / float64(n) * keys
	half := sigmas*math.Sqrt(float64(n))/2 + 1 // ranks
	width := half / float64(n) * keys
	lo, hi := center-width, center+width
	w := window{}
	if lo > 0 {
		w.lo = uint64(lo)
	}
	if hi >= keys {
		w.span = math.MaxUint64 - w.lo
	} else {
		w.span = uint64(hi) - w.lo
	}
	return w, 2 * half
}

// windowResult is one window's answer: the rows whose keys lie below it
// and the rows inside it, in canonical order once merged.
type windowResult struct {
	below int64
	rows  []candidate
}

// scanWindows records in res the rows start, start+1, ... whose keys are
// keys, for each of wins.
func scanWindows(wins []window, keys []uint64, start int64, res []windowResult) {
	for k, w := range wins {
		r := &res[k]
		lo, span := w.lo, w.span
		var below uint64
		for j, key := range keys {
			_, b := bits.Sub64(key, lo, 0) // 1 when key < lo
			below += b
			if key-lo <= span {
				r.rows = append(r.rows, candidate{key: key, index: start + int64(j)})
			}
		}
		r.below += int64(below)
	}
}

// windowPass tries to find the open targets of ts (all at their first
// pass) with one window pass, marking those it finds done. It returns
// ctx.Err() if ctx is cancelled; when the targets are too many or their
// windows too wide it does nothing.
func (s *selector) windowPass(ctx context.Context, ts []target, sigmas float64) error {
	var open []int
	var wins []window
	var rows float64
	for t, tg := range ts {
		if tg.done {
			continue
		}
		w, r := windowOf(tg.rank, s.n, sigmas)
		open, wins, rows = append(open, t), append(wins, w), rows+r
	}
	if len(open) == 0 || len(open) > windowTargets || rows > windowRows {
		return nil
	}
	per := make([][]windowResult, s.passWorkers())
	for w := range per {
		per[w] = make([]windowResult, len(wins))
	}
	err := s.generate(ctx, len(per), func(w int, keys []uint64, start int64) {
		scanWindows(wins, keys, start, per[w])
	})
	if err != nil {
		return err
	}
	// Merged, the counts and rows do not depend on which worker saw which
	// keys.
	out := per[0]
	for _, res := range per[1:] {
		for k, r := range res {
			out[k].below += r.below
			out[k].rows = append(out[k].rows, r.rows...)
		}
	}
	for k, t := range open {
		r := out[k]
		slices.SortFunc(r.rows, func(a, b candidate) int {
			return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.index, b.index))
		})
		tg := &ts[t]
		if i := tg.rank - r.below; i >= 0 && i < int64(len(r.rows)) {
			c := r.rows[i]
			tg.found, tg.done = Boundary{Key: c.key, Index: c.index}, true
		}
	}
	return nil
}
