package report

import (
	"cmp"
	"math"
	"slices"

	"github.com/splitdata/splitdata/pipeline"
)

// Report holds every figure of a report; it is also the --json output.
// Numbers of time columns are seconds since the Unix epoch.
type Report struct {
	Tool      string `json:"tool"`
	Version   string `json:"version"`
	Algorithm int    `json:"algorithm"`
	// Command is the job (split, kfold, sample, shuffle); Reproduce the
	// command line that rebuilds the output, NumPy the Python lines that
	// recompute any row's split.
	Command   string `json:"command"`
	Reproduce string `json:"reproduce"`
	NumPy     string `json:"numpy"`
	Seed      string `json:"seed"`
	SeedText  string `json:"seed_text,omitempty"`
	Rows      int64  `json:"rows"`
	// Unassigned counts the input rows in no split.
	Unassigned int64          `json:"unassigned_rows"`
	Splits     []SplitSummary `json:"splits"`
	// Reference is the part drift is measured against: "input" with
	// --input, else the first split.
	Reference  string          `json:"reference"`
	Thresholds Thresholds      `json:"thresholds"`
	Columns    []ColumnReport  `json:"columns"`
	Label      *LabelBalance   `json:"label,omitempty"`
	Leakage    Leakage         `json:"leakage"`
	Folds      *FoldView       `json:"folds,omitempty"`
	Flagged    []FlaggedColumn `json:"flagged"`
}

// SplitSummary is one part's size. The inputs (with --input) come first,
// named "input".
type SplitSummary struct {
	Name  string  `json:"name"`
	Rows  int64   `json:"rows"`
	Share float64 `json:"share"`
	Files int     `json:"files"`
	Bytes int64   `json:"bytes"`
	Input bool    `json:"input,omitempty"`
}

// Thresholds are the documented drift thresholds: a population stability
// index of PSIModerate or more is a moderate shift, PSIMajor or more a
// major one (the usual credit-scoring rule of thumb); a Kolmogorov-Smirnov
// statistic is flagged when it exceeds the two-sample critical value at
// KSAlpha plus the sketches' rank errors and is at least KSMin.
type Thresholds struct {
	PSIModerate float64 `json:"psi_moderate"`
	PSIMajor    float64 `json:"psi_major"`
	KSAlpha     float64 `json:"ks_alpha"`
	KSMin       float64 `json:"ks_min"`
}

// DefaultThresholds are the thresholds reports use.
var DefaultThresholds = Thresholds{PSIModerate: 0.1, PSIMajor: 0.25, KSAlpha: 0.001, KSMin: 0.05}

// ColumnReport is one column's figures in every part.
type ColumnReport struct {
	Name string `json:"name"`
	// Kind is number, time, string, boolean or binary; Type the Parquet
	// type.
	Kind      string        `json:"kind"`
	Type      string        `json:"type"`
	Splits    []ColumnSplit `json:"splits"`
	Histogram *Histogram    `json:"histogram,omitempty"`
	Drift     []Drift       `json:"drift"`
}

// ColumnSplit is one column in one part. Quantiles are at 5, 25, 50, 75
// and 95%, within RankError (a share of Count) of the exact ones. Counts
// of Top are exact when TopError is 0, else low by at most TopError.
type ColumnSplit struct {
	Split     string       `json:"split"`
	Values    int64        `json:"values"`
	Nulls     int64        `json:"nulls"`
	NullRate  float64      `json:"null_rate"`
	NaNs      int64        `json:"nans,omitempty"` // NaN or infinite
	Count     int64        `json:"count,omitempty"`
	Mean      *float64     `json:"mean,omitempty"`
	Std       *float64     `json:"std,omitempty"`
	Min       *float64     `json:"min,omitempty"`
	Quantiles []float64    `json:"quantiles,omitempty"`
	Max       *float64     `json:"max,omitempty"`
	RankError float64      `json:"rank_error,omitempty"`
	Distinct  *uint64      `json:"distinct,omitempty"`
	Exact     bool         `json:"distinct_exact,omitempty"`
	Top       []ValueCount `json:"top,omitempty"`
	TopError  int64        `json:"top_error,omitempty"`
}

// Histogram counts a number column's values of every part on shared
// bins: Counts[p][i] values of part p in [Edges[i], Edges[i+1]) (the last
// bin closed), estimated from the sketches.
type Histogram struct {
	Edges  []float64 `json:"edges"`
	Counts [][]int64 `json:"counts"`
}

// Drift compares a column of one part with the reference part.
type Drift struct {
	Split string   `json:"split"`
	PSI   float64  `json:"psi"`
	KS    *float64 `json:"ks,omitempty"`
	// KSCritical is the statistic's threshold (see Thresholds).
	KSCritical *float64 `json:"ks_critical,omitempty"`
	// Flag is "", "moderate" or "major".
	Flag string `json:"flag,omitempty"`
}

// FlaggedColumn names a column whose drift crossed a threshold.
type FlaggedColumn struct {
	Column string  `json:"column"`
	Split  string  `json:"split"`
	PSI    float64 `json:"psi"`
	Flag   string  `json:"flag"`
}

// LabelBalance is the class shares of the label column in every part.
type LabelBalance struct {
	Column  string       `json:"column"`
	Classes []string     `json:"classes"`
	Splits  []LabelSplit `json:"splits"`
	// Error bounds how much a count is low (0: exact).
	Error int64 `json:"error,omitempty"`
}

// LabelSplit is one part's class counts, in the order of Classes.
type LabelSplit struct {
	Split  string    `json:"split"`
	Counts []int64   `json:"counts"`
	Shares []float64 `json:"shares"`
}

// Leakage is what is found in more than one split, exactly.
type Leakage struct {
	// Rows: distinct row contents (all columns equal) found in two
	// splits or more; Pairs per pair of splits.
	Rows     int64         `json:"rows"`
	Pairs    []LeakPair    `json:"pairs"`
	Examples []LeakExample `json:"examples"`
	// Duplicates per split: rows equal to an earlier row of the same
	// split (not leakage; shown for context).
	Duplicates []SplitCount `json:"duplicates"`
	// Group is the group column checked, if any; Groups the group values
	// found in two splits or more.
	Group         string        `json:"group,omitempty"`
	Groups        int64         `json:"groups"`
	GroupPairs    []LeakPair    `json:"group_pairs,omitempty"`
	GroupExamples []LeakExample `json:"group_examples,omitempty"`
}

// LeakPair counts what two splits share: Values distinct rows (or
// groups), held by RowsA rows of A and RowsB rows of B.
type LeakPair struct {
	A      string `json:"a"`
	B      string `json:"b"`
	Values int64  `json:"values"`
	RowsA  int64  `json:"rows_a"`
	RowsB  int64  `json:"rows_b"`
}

// LeakExample is one leaked row (or group value) and the splits holding
// it.
type LeakExample struct {
	Value  string   `json:"value"`
	Splits []string `json:"splits"`
}

// SplitCount is a count for one split.
type SplitCount struct {
	Split string `json:"split"`
	Count int64  `json:"count"`
}

// FoldView compares every fold with every other: MaxPSI[i][j] is the
// largest PSI of any column between folds i and j.
type FoldView struct {
	Folds  []string    `json:"folds"`
	MaxPSI [][]float64 `json:"max_psi"`
}

// build turns the accumulated parts into a report (leakage comes later).
func build(m *pipeline.Manifest, opts Options, sc *scanner, parts []part, accs []*acc) *Report {
	r := &Report{
		Tool: m.Tool, Version: m.Version, Algorithm: m.Algorithm, Command: m.Command,
		Seed: m.Seed, SeedText: m.SeedText, Rows: m.Rows, Unassigned: m.Unassigned,
		Thresholds: DefaultThresholds,
		Reproduce:  reproduce(m, opts),
		NumPy:      numpyLines(m),
		Flagged:    []FlaggedColumn{},
	}
	for i, p := range parts {
		s := SplitSummary{Name: p.name, Rows: accs[i].rows, Files: len(p.files), Bytes: p.bytes, Input: p.input}
		if m.Rows > 0 {
			s.Share = float64(s.Rows) / float64(m.Rows)
		}
		r.Splits = append(r.Splits, s)
	}
	r.Reference = parts[0].name
	for ci, c := range sc.cols {
		if !sc.want[ci] {
			continue
		}
		cr := ColumnReport{Name: c.name, Kind: c.kind, Type: c.ptype, Drift: []Drift{}}
		for i, p := range parts {
			cr.Splits = append(cr.Splits, columnSplit(p.name, &accs[i].cols[ci], c.kind))
		}
		if c.kind == KindNumber || c.kind == KindTime {
			cr.Histogram = histogram(accs, ci)
		}
		for i := 1; i < len(parts); i++ {
			d := drift(&accs[0].cols[ci], &accs[i].cols[ci], c.kind)
			d.Split = parts[i].name
			cr.Drift = append(cr.Drift, d)
			if d.Flag != "" {
				r.Flagged = append(r.Flagged, FlaggedColumn{Column: c.name, Split: d.Split, PSI: d.PSI, Flag: d.Flag})
			}
		}
		r.Columns = append(r.Columns, cr)
	}
	if sc.label >= 0 {
		r.Label = labelBalance(sc.labelCol.name, parts, accs)
	}
	if m.Command == "kfold" {
		r.Folds = foldView(sc, parts, accs)
	}
	return r
}

func ptr[T any](v T) *T { return &v }

func columnSplit(name string, a *colAcc, kind string) ColumnSplit {
	cs := ColumnSplit{Split: name, Values: a.values, Nulls: a.nulls, NaNs: a.nans}
	if a.values > 0 {
		cs.NullRate = float64(a.nulls) / float64(a.values)
	}
	switch kind {
	case KindNumber, KindTime:
		cs.Count = a.n
		if a.n > 0 {
			cs.Mean = ptr((a.sum + a.comp) / float64(a.n))
			cs.Min, cs.Max = ptr(a.sk.Min()), ptr(a.sk.Max())
			cs.Quantiles = a.sk.Quantiles(quantileLevels)
			cs.RankError = a.sk.RankError()
		}
		if a.n > 1 {
			cs.Std = ptr(math.Sqrt(a.m2 / float64(a.n-1)))
		}
	default:
		d, exact := a.cnt.distinct()
		cs.Distinct, cs.Exact = &d, exact
		cs.Top = a.cnt.top(10, a.values-a.nulls, kind)
		cs.TopError = a.cnt.slack
	}
	return cs
}

// histogramBins is the number of shared bins of a histogram.
const histogramBins = 24

func histogram(accs []*acc, ci int) *Histogram {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, a := range accs {
		if sk := a.cols[ci].sk; sk.Count() > 0 {
			lo, hi = min(lo, sk.Min()), max(hi, sk.Max())
		}
	}
	if math.IsInf(lo, 0) || math.IsInf(hi, 0) {
		return nil
	}
	bins := histogramBins
	if hi == lo {
		bins = 1
	}
	h := &Histogram{Edges: make([]float64, bins+1)}
	for i := range h.Edges {
		h.Edges[i] = lo + (hi-lo)*float64(i)/float64(bins)
	}
	h.Edges[bins] = hi
	for _, a := range accs {
		sk := a.cols[ci].sk
		counts := make([]int64, bins)
		if sk.Count() > 0 {
			// Values below each inner edge: CDF just below it.
			inner := make([]float64, bins-1)
			for i := range inner {
				inner[i] = math.Nextafter(h.Edges[i+1], math.Inf(-1))
			}
			cdf := sk.CDF(inner)
			prev := int64(0)
			for i := range counts {
				cum := sk.Count()
				if i < bins-1 {
					cum = int64(math.Round(cdf[i] * float64(sk.Count())))
				}
				counts[i] = cum - prev
				prev = cum
			}
		}
		h.Counts = append(h.Counts, counts)
	}
	return h
}

// psiFloor keeps empty bins from making the PSI infinite.
const psiFloor = 1e-4

func psi(p, q []float64) float64 {
	var s float64
	for i := range p {
		a, b := max(p[i], psiFloor), max(q[i], psiFloor)
		s += (b - a) * math.Log(b/a)
	}
	return s
}

// drift compares column accumulators a (reference) and b.
func drift(a, b *colAcc, kind string) Drift {
	var d Drift
	t := DefaultThresholds
	switch kind {
	case KindNumber, KindTime:
		if a.n == 0 || b.n == 0 {
			return d
		}
		// PSI on the reference's deciles, with a bin for nulls.
		edges := slices.Compact(a.sk.Quantiles([]float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}))
		d.PSI = psi(binShares(a, edges), binShares(b, edges))
		// KS over every retained value of either sketch.
		pts := append(a.sk.points(), b.sk.points()...)
		slices.Sort(pts)
		pts = slices.Compact(pts)
		fa, fb := a.sk.CDF(pts), b.sk.CDF(pts)
		var ks float64
		for i := range pts {
			ks = max(ks, math.Abs(fa[i]-fb[i]))
		}
		n, m := float64(a.n), float64(b.n)
		crit := math.Sqrt(-math.Log(t.KSAlpha/2)/2)*math.Sqrt((n+m)/(n*m)) + a.sk.RankError() + b.sk.RankError()
		d.KS, d.KSCritical = ptr(ks), ptr(crit)
		if ks > crit && ks >= t.KSMin {
			d.Flag = "moderate"
		}
	default:
		if a.values == 0 || b.values == 0 {
			return d
		}
		// PSI over the reference's top values, the rest, and nulls.
		ac := a.cnt.view()
		bc := b.cnt.view()
		keys := sortedKeys(ac)
		slices.SortStableFunc(keys, func(x, y string) int { return cmp.Compare(ac[y], ac[x]) })
		keys = keys[:min(10, len(keys))]
		shares := func(c *colAcc, counts map[string]int64) []float64 {
			out := make([]float64, len(keys)+2)
			var known int64
			for i, k := range keys {
				out[i] = float64(counts[k]) / float64(c.values)
				known += counts[k]
			}
			out[len(keys)] = float64(c.values-c.nulls-known) / float64(c.values)
			out[len(keys)+1] = float64(c.nulls) / float64(c.values)
			return out
		}
		d.PSI = psi(shares(a, ac), shares(b, bc))
	}
	switch {
	case d.PSI >= t.PSIMajor:
		d.Flag = "major"
	case d.PSI >= t.PSIModerate && d.Flag == "":
		d.Flag = "moderate"
	}
	return d
}

// binShares returns the shares of a's values (nulls and NaNs included)
// below edges[0], between edges, above the last edge, and null.
func binShares(a *colAcc, edges []float64) []float64 {
	cdf := a.sk.CDF(edges)
	total := float64(a.values)
	num := float64(a.n)
	out := make([]float64, len(edges)+2)
	prev := 0.0
	for i, c := range cdf {
		out[i] = (c - prev) * num / total
		prev = c
	}
	out[len(edges)] = (1 - prev) * num / total
	out[len(edges)+1] = float64(a.values-a.n) / total
	return out
}

func labelBalance(name string, parts []part, accs []*acc) *LabelBalance {
	totals := map[string]int64{}
	lb := &LabelBalance{Column: name}
	views := make([]map[string]int64, len(accs))
	for i, a := range accs {
		views[i] = a.label.view()
		for k, n := range views[i] {
			totals[k] += n
		}
		lb.Error = max(lb.Error, a.label.slack)
	}
	classes := sortedKeys(totals)
	slices.SortStableFunc(classes, func(x, y string) int { return cmp.Compare(totals[y], totals[x]) })
	classes = classes[:min(len(classes), 50)]
	nulls := false
	for _, a := range accs {
		nulls = nulls || a.labelNulls > 0
	}
	lb.Classes = classes
	if nulls {
		lb.Classes = append(slices.Clip(classes), "(null)")
	}
	for i, a := range accs {
		ls := LabelSplit{Split: parts[i].name}
		for _, k := range classes {
			ls.Counts = append(ls.Counts, views[i][k])
		}
		if nulls {
			ls.Counts = append(ls.Counts, a.labelNulls)
		}
		for _, n := range ls.Counts {
			share := 0.0
			if a.rows > 0 {
				share = float64(n) / float64(a.rows)
			}
			ls.Shares = append(ls.Shares, share)
		}
		lb.Splits = append(lb.Splits, ls)
	}
	return lb
}

func foldView(sc *scanner, parts []part, accs []*acc) *FoldView {
	var idx []int
	for i, p := range parts {
		if !p.input {
			idx = append(idx, i)
		}
	}
	fv := &FoldView{}
	for _, i := range idx {
		fv.Folds = append(fv.Folds, parts[i].name)
		row := make([]float64, len(idx))
		for jj, j := range idx {
			if i == j {
				continue
			}
			for ci, c := range sc.cols {
				if sc.want[ci] {
					row[jj] = max(row[jj], drift(&accs[i].cols[ci], &accs[j].cols[ci], c.kind).PSI)
				}
			}
		}
		fv.MaxPSI = append(fv.MaxPSI, row)
	}
	return fv
}
