package report

import "math"

// The accumulators of the pass: what one part (a split, a fold, the
// inputs), or one unit of it, adds up, and how two merge.

// part is one set of rows the report summarizes: a split, a fold, or the
// inputs.
type part struct {
	name  string
	files []string // paths
	input bool
	rows  int64 // from the manifest
	bytes int64
}

// colAcc accumulates one column of one part.
type colAcc struct {
	values, nulls, nans int64
	// sum and comp are a Neumaier sum; mean and m2 Welford's running
	// moments, for the standard deviation.
	sum, comp, mean, m2 float64
	n                   int64 // numbers summed
	sk                  *Sketch
	cnt                 *counter
}

func (a *colAcc) addNumber(f float64) {
	t := a.sum + f
	if math.Abs(a.sum) >= math.Abs(f) {
		a.comp += (a.sum - t) + f
	} else {
		a.comp += (f - t) + a.sum
	}
	a.sum = t
	a.n++
	d := f - a.mean
	a.mean += d / float64(a.n)
	a.m2 += d * (f - a.mean)
	a.sk.Add(f)
}

func (a *colAcc) merge(o *colAcc) {
	a.values += o.values
	a.nulls += o.nulls
	a.nans += o.nans
	if o.n > 0 {
		t := a.sum + o.sum
		if math.Abs(a.sum) >= math.Abs(o.sum) {
			a.comp += (a.sum - t) + o.sum
		} else {
			a.comp += (o.sum - t) + a.sum
		}
		a.sum = t
		a.comp += o.comp
		n := a.n + o.n
		d := o.mean - a.mean
		a.mean += d * float64(o.n) / float64(n)
		a.m2 += o.m2 + d*d*float64(a.n)*float64(o.n)/float64(n)
		a.n = n
	}
	if o.sk != nil {
		a.sk.Merge(o.sk)
	}
	if o.cnt != nil {
		a.cnt.merge(o.cnt)
	}
}

// acc accumulates one part, or one unit of it.
type acc struct {
	rows       int64
	cols       []colAcc
	label      *counter
	labelNulls int64
	recs       []record
}

// scanner holds what the pass needs to know about the schema.
type scanner struct {
	cols     []column
	want     []bool // per leaf: summarized
	label    int    // leaf index, or -1
	labelCol column
	group    int
	capacity int
}

func (s *scanner) newAcc() *acc {
	a := &acc{cols: make([]colAcc, len(s.cols))}
	for i, c := range s.cols {
		if !s.want[i] {
			continue
		}
		switch c.kind {
		case KindNumber, KindTime:
			a.cols[i].sk = NewSketch(s.capacity)
		default:
			a.cols[i].cnt = newCounter()
		}
	}
	if s.label >= 0 {
		a.label = newCounter()
	}
	return a
}

func (a *acc) merge(o *acc) {
	a.rows += o.rows
	for i := range a.cols {
		a.cols[i].merge(&o.cols[i])
	}
	if a.label != nil {
		a.label.merge(o.label)
		a.labelNulls += o.labelNulls
	}
}
