package report

import (
	"math"
	"slices"
)

// Sketch summarizes a stream of numbers in memory that grows with the
// logarithm of their count: a stack of compactors in the manner of KLL
// (Karnin, Lang and Liberty, 2016). Level h holds values that stand for
// 2^h inputs each; a full level is sorted and every other value (from an
// offset that alternates between 0 and 1 per level) moves up, weighing
// twice as much.
//
// Error: one compaction at level h moves the estimated rank of any value
// by at most 2^h, and level h compacts at most n/(c·2^h) times (c the
// capacity of a level), so every level adds at most n/c and the rank of
// any value is off by at most about Levels()·n/c. [Sketch.RankError] returns
// that bound as a fraction of n; quantiles and CDFs are within it. With
// the default capacity 2048, ten million values have 13 levels: 0.69%.
// Min, max, count and sum are exact.
//
// The zero value is not usable; use [NewSketch]. A Sketch is
// deterministic: the same values in the same order give the same state.
type Sketch struct {
	c      int
	levels [][]float64
	flip   []bool
	// second says what runs level h holds: 0 one ascending run (or
	// none), k > 0 two, levels[h][:k] and levels[h][k:], -1 more or not
	// known. A level above the first is the concatenation of sorted
	// compactions, so its compaction can merge or copy without looking
	// for its runs (which was as many comparisons as values); the first
	// is known to be one run while every value added was above the
	// others (an id or a time column), else -1.
	second []int
	n      int64
	// min and max are the extremes of the values that left level 0;
	// lo0 and hi0 those of the values on it, which its bucket sort takes
	// rather than looking for them (see Min).
	min, max float64
	lo0, hi0 float64
	// scratch is the buffer of sortFloats; spare holds the emptied
	// levels of a reset sketch, for its next levels.
	scratch []float64
	spare   [][]float64
	// ws and cum cache what sorted returns until the next change: a
	// report reads each sketch's quantiles and CDFs several times.
	ws  []weighted
	cum []int64
}

// DefaultSketchCapacity is the capacity of a sketch level (2048 values,
// 16 KiB).
const DefaultSketchCapacity = 2048

// NewSketch returns an empty sketch whose levels hold c values each
// (c is raised to 16 and made even).
func NewSketch(c int) *Sketch {
	c = max(c, 16)
	c += c & 1
	return &Sketch{c: c, min: math.Inf(1), max: math.Inf(-1), lo0: math.Inf(1), hi0: math.Inf(-1)}
}

// Add adds one value; NaNs are ignored (the caller counts them), and -0
// is taken as 0, so that the values kept never depend on how a sort
// orders the two.
func (s *Sketch) Add(v float64) {
	if math.IsNaN(v) {
		return
	}
	v += 0 // -0 + 0 = +0
	s.ws, s.cum = nil, nil
	s.n++
	if len(s.levels) == 0 {
		s.addLevel()
	}
	if !(v > s.hi0) {
		s.second[0] = -1
	}
	s.lo0 = min(s.lo0, v)
	s.hi0 = max(s.hi0, v)
	s.levels[0] = append(s.levels[0], v)
	if len(s.levels[0]) >= s.c {
		s.compact(0)
	}
}

// addFinite adds vs, which holds no NaN, as Add adds them one by one:
// level 0 is filled a run of values at a time, and compacted when full.
func (s *Sketch) addFinite(vs []float64) {
	if len(vs) > 0 {
		s.ws, s.cum = nil, nil
	}
	for len(vs) > 0 {
		if len(s.levels) == 0 {
			s.addLevel()
		}
		l := s.levels[0]
		k := min(len(vs), max(s.c-len(l), 1))
		src := vs[:k]
		at := len(l)
		l = slices.Grow(l, k)[:at+k]
		var up bool
		s.lo0, s.hi0, up = fillRange(l[at:], src, s.lo0, s.hi0)
		if !up {
			s.second[0] = -1
		}
		s.n += int64(k)
		s.levels[0] = l
		vs = vs[k:]
		if len(l) >= s.c {
			s.compact(0)
		}
	}
}

// fillRange copies src, which holds no NaN, into dst, of the same
// length, with -0 as 0, and returns the smallest and the largest of lo,
// hi and the values, and whether each value was above all before it
// (lo and hi included). lo > hi (nothing yet) is taken as the first value:
// then a value below lo cannot be above hi, so one comparison settles
// most values (one in range is neither), and the compiler keeps lo and hi
// in registers with no moves on the common path (two independent tests
// each made it shuffle them: 22 instructions a value, now 14).
func fillRange(dst, src []float64, lo, hi float64) (float64, float64, bool) {
	if len(src) == 0 {
		return lo, hi, true
	}
	dst = dst[:len(src)]
	ups := 0 // new largest values
	if lo > hi {
		lo, hi = src[0]+0, src[0]+0
		ups = 1
	}
	for i, v := range src {
		v += 0 // -0 + 0 = +0
		dst[i] = v
		// Neither is a NaN, nor -0: a comparison is min and max.
		if v < lo {
			lo = v
		} else if v > hi {
			hi = v
			ups++
		}
	}
	return lo, hi, ups == len(src)
}

// compact halves level h into level h+1, and so on up while full.
func (s *Sketch) compact(h int) {
	for ; h < len(s.levels) && len(s.levels[h]) >= s.c; h++ {
		if h+1 == len(s.levels) {
			s.addLevel()
		}
		buf := s.levels[h]
		off := 0
		if s.flip[h] {
			off = 1
		}
		s.flip[h] = !s.flip[h]
		up := s.levels[h+1]
		at := len(up)
		var r span
		if h == 0 {
			r = span{s.lo0, s.hi0, true}
			s.min, s.max = min(s.min, s.lo0), max(s.max, s.hi0)
			s.lo0, s.hi0 = math.Inf(1), math.Inf(-1)
		}
		if len(buf)%2 == 0 && s.second[h] >= 0 {
			// Even, in one or two known runs.
			k := len(buf) / 2
			up = slices.Grow(up, k)[:at+k]
			if b := s.second[h]; b > 0 {
				mergeHalf(up[at:], buf[:b], buf[b:], off)
			} else {
				for i, j := off, at; i < len(buf); i, j = i+2, j+1 {
					up[j] = buf[i]
				}
			}
			s.levels[h+1] = up
			s.noteRun(h+1, at)
			s.levels[h], s.second[h] = buf[:0], 0
			continue
		}
		if len(buf)%2 == 0 {
			// Room for one value more, which halveSorted may write.
			up = slices.Grow(up, len(buf)/2+1)
			s.scratch = halveSorted(buf, s.scratch, up[at:at+len(buf)/2+1], off, r)
			s.levels[h+1] = up[:at+len(buf)/2]
			s.noteRun(h+1, at)
			s.levels[h], s.second[h] = buf[:0], 0
			continue
		}
		s.scratch = sortFloats(buf, s.scratch)
		// An odd count leaves its last value on level h.
		end := len(buf) &^ 1
		up = slices.Grow(up, end/2)[:at+end/2]
		for i, j := off, at; i < end; i, j = i+2, j+1 {
			up[j] = buf[i]
		}
		s.levels[h+1] = up
		s.noteRun(h+1, at)
		rest := buf[end:]
		s.levels[h], s.second[h] = append(buf[:0], rest...), 0
		if h == 0 {
			s.lo0, s.hi0 = rest[0], rest[0]
		}
	}
}

// noteRun updates what second says of level h, whose values from at
// on, if any, are an ascending run just appended.
func (s *Sketch) noteRun(h, at int) {
	l := s.levels[h]
	switch b := s.second[h]; {
	case at == len(l) || b < 0:
	case at == 0 || l[at-1] <= l[at]:
		// The run continues the last one: it stays one run or two.
	case b == 0:
		s.second[h] = at
	default:
		s.second[h] = -1
	}
}

// addLevel adds an empty level on top.
func (s *Sketch) addLevel() {
	var l []float64
	if k := len(s.spare); k > 0 {
		l, s.spare = s.spare[k-1], s.spare[:k-1]
	} else {
		// One value more than a level holds: the room a compaction
		// into it may write past its values (halveSorted).
		l = make([]float64, 0, s.c+1)
	}
	s.levels = append(s.levels, l)
	s.flip = append(s.flip, false)
	s.second = append(s.second, 0)
}

// reset empties s, as NewSketch makes it, keeping its memory.
func (s *Sketch) reset() {
	for _, l := range s.levels {
		s.spare = append(s.spare, l[:0])
	}
	s.levels, s.flip, s.second = s.levels[:0], s.flip[:0], s.second[:0]
	s.ws, s.cum = nil, nil
	s.n, s.min, s.max = 0, math.Inf(1), math.Inf(-1)
	s.lo0, s.hi0 = math.Inf(1), math.Inf(-1)
}

// Merge adds the values summarized by o (which must have the same
// capacity); the error bounds add up level by level as for Add.
func (s *Sketch) Merge(o *Sketch) {
	if o.n == 0 {
		return
	}
	s.ws, s.cum = nil, nil
	s.n += o.n
	s.min = min(s.min, o.min)
	s.max = max(s.max, o.max)
	s.lo0, s.hi0 = min(s.lo0, o.lo0), max(s.hi0, o.hi0)
	for h, l := range o.levels {
		for len(s.levels) <= h {
			s.addLevel()
		}
		at := len(s.levels[h])
		s.levels[h] = append(s.levels[h], l...)
		if h > 0 && o.second[h] == 0 {
			s.noteRun(h, at)
		} else {
			s.second[h] = -1
		}
	}
	for h := 0; h < len(s.levels); h++ {
		if len(s.levels[h]) >= s.c {
			s.compact(h)
		}
	}
}

// Count is the number of values added.
func (s *Sketch) Count() int64 { return s.n }

// Min and Max are the exact extremes (+Inf and -Inf when empty).
func (s *Sketch) Min() float64 { return min(s.min, s.lo0) }

// Max is the largest value added.
func (s *Sketch) Max() float64 { return max(s.max, s.hi0) }

// Levels is the number of levels.
func (s *Sketch) Levels() int { return len(s.levels) }

// RankError is the bound on the error of an estimated rank, as a
// fraction of Count: (Levels-1)/(c-1) from the compactions (the top
// level has never been compacted; each compaction of level h takes at
// least c-1 values weighing 2^h each, so it happens at most n/((c-1)2^h)
// times and moves a rank by at most 2^h each time), plus 2/c for the
// weight of one retained value of the top level, which a quantile may
// step over. 0 while nothing was compacted: then every value is kept.
func (s *Sketch) RankError() float64 {
	if len(s.levels) <= 1 {
		return 0
	}
	return float64(len(s.levels)-1)/float64(s.c-1) + 2/float64(s.c)
}

// weighted is a value standing for w inputs.
type weighted struct {
	v float64
	w int64
}

// sorted returns the retained values with their weights, ascending, and
// their cumulative weights, computed once until s changes; the caller
// must not modify them. Values that compare equal may stand in any
// order: the quantiles and CDFs read from them do not depend on it.
func (s *Sketch) sorted() ([]weighted, []int64) {
	if s.ws != nil {
		return s.ws, s.cum
	}
	var ws []weighted
	for h, l := range s.levels {
		for _, v := range l {
			ws = append(ws, weighted{v, int64(1) << h})
		}
	}
	slices.SortFunc(ws, func(a, b weighted) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	cum := make([]int64, len(ws))
	var t int64
	for i, x := range ws {
		t += x.w
		cum[i] = t
	}
	if len(ws) > 0 {
		s.ws, s.cum = ws, cum
	}
	return ws, cum
}

// Quantiles returns the estimated q-quantiles (0 ≤ q ≤ 1): the smallest
// retained value whose cumulative weight reaches q of the total. q = 0
// and 1 give the exact min and max.
func (s *Sketch) Quantiles(qs []float64) []float64 {
	out := make([]float64, len(qs))
	if s.n == 0 {
		for i := range out {
			out[i] = math.NaN()
		}
		return out
	}
	ws, cum := s.sorted()
	total := cum[len(cum)-1]
	for i, q := range qs {
		switch {
		case q <= 0:
			out[i] = s.Min()
			continue
		case q >= 1:
			out[i] = s.Max()
			continue
		}
		target := int64(math.Ceil(q * float64(total)))
		j, _ := slices.BinarySearch(cum, target)
		j = min(j, len(ws)-1)
		out[i] = ws[j].v
	}
	return out
}

// CDF returns, for each of the ascending points xs, the estimated share
// of values ≤ x.
func (s *Sketch) CDF(xs []float64) []float64 {
	out := make([]float64, len(xs))
	if s.n == 0 {
		return out
	}
	ws, cum := s.sorted()
	total := float64(cum[len(cum)-1])
	j := 0
	for i, x := range xs {
		for j < len(ws) && ws[j].v <= x {
			j++
		}
		if j > 0 {
			out[i] = float64(cum[j-1]) / total
		}
		if x >= s.Max() {
			out[i] = 1
		}
	}
	return out
}

// points returns the retained values, ascending, without repeats.
func (s *Sketch) points() []float64 {
	ws, _ := s.sorted()
	ps := make([]float64, 0, len(ws))
	for i, x := range ws {
		if i == 0 || x.v != ws[i-1].v {
			ps = append(ps, x.v)
		}
	}
	return ps
}
