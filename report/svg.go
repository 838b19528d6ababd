package report

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
)

// palette colours the parts of a report, in order (the inputs, if shown,
// take the first).
var palette = []string{"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"}

func colour(i int) string { return palette[i%len(palette)] }

// chart sizes, in SVG units.
const (
	chartW = 500
	chartH = 180
	padL   = 46
	padB   = 30
	padT   = 8
	padR   = 8
)

// axisLabel formats a number for an axis: times as dates.
func axisLabel(v float64, kind string) string {
	if kind == KindTime {
		t := time.Unix(0, 0).UTC().Add(time.Duration(v * float64(time.Second)))
		return t.Format("2006-01-02")
	}
	return niceNum(v)
}

// niceNum shows an axis number briefly: 12,345 as 12345, 0.0421 as 0.0421,
// very large or small ones in exponent form.
func niceNum(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case a >= 1e7 || a < 1e-3:
		return strconv.FormatFloat(v, 'g', 3, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// sharesSVG draws the parts' shares of the rows as one stacked bar (the
// inputs, if shown, left out).
func sharesSVG(r *Report) template.HTML {
	const w, h = 560, 34
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="shares" viewBox="0 0 %d %d" role="img" aria-label="rows per split">`, w, h)
	x := 0.0
	for i, s := range r.Splits {
		if s.Input {
			continue
		}
		sw := w * s.Share
		fmt.Fprintf(&b, `<rect x="%.1f" y="0" width="%.1f" height="20" fill="%s"><title>%s: %d rows</title></rect>`, x, sw, colour(i), html.EscapeString(s.Name), s.Rows)
		if sw > 60 {
			fmt.Fprintf(&b, `<text x="%.1f" y="14" fill="#fff" font-size="11">%s %s</text>`, x+4, html.EscapeString(s.Name), fmtPct(s.Share))
		}
		x += sw
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// histogramSVG draws the shares of every part on the shared bins as
// overlaid step lines (shares, so that splits of different sizes
// compare).
func histogramSVG(c *ColumnReport, names []string) template.HTML {
	h := c.Histogram
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart hist" viewBox="0 0 %d %d" role="img" aria-label="histogram of %s">`, chartW, chartH, html.EscapeString(c.Name))
	if h == nil {
		b.WriteString(`<text x="10" y="20">no values</text></svg>`)
		return template.HTML(b.String())
	}
	bins := len(h.Edges) - 1
	top := 0.0
	shares := make([][]float64, len(h.Counts))
	for p, counts := range h.Counts {
		var n int64
		for _, x := range counts {
			n += x
		}
		shares[p] = make([]float64, bins)
		for i, x := range counts {
			if n > 0 {
				shares[p][i] = float64(x) / float64(n)
			}
			top = max(top, shares[p][i])
		}
	}
	if top == 0 {
		top = 1
	}
	w := float64(chartW - padL - padR)
	ht := float64(chartH - padB - padT)
	x := func(i int) float64 { return padL + w*float64(i)/float64(bins) }
	y := func(s float64) float64 { return padT + ht*(1-s/top) }
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, padL, chartH-padB, chartW-padR, chartH-padB)
	fmt.Fprintf(&b, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, padL, padT, padL, chartH-padB)
	for _, t := range []float64{0, 0.5, 1} {
		fmt.Fprintf(&b, `<text class="tick" x="%d" y="%.1f" text-anchor="end">%s</text>`, padL-4, y(top*t)+4, strconv.FormatFloat(100*top*t, 'f', 1, 64)+"%")
	}
	for _, i := range []int{0, bins / 2, bins} {
		anchor := "middle"
		if i == 0 {
			anchor = "start"
		} else if i == bins {
			anchor = "end"
		}
		fmt.Fprintf(&b, `<text class="tick" x="%.1f" y="%d" text-anchor="%s">%s</text>`, x(i), chartH-padB+14, anchor, html.EscapeString(axisLabel(h.Edges[i], c.Kind)))
	}
	for p := range shares {
		var pts strings.Builder
		for i, s := range shares[p] {
			fmt.Fprintf(&pts, "%.1f,%.1f %.1f,%.1f ", x(i), y(s), x(i+1), y(s))
		}
		fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.6" points="%s"><title>%s</title></polyline>`, colour(p), strings.TrimSpace(pts.String()), html.EscapeString(names[p]))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// barsSVG draws the shares of the reference's top values in every part
// as grouped horizontal bars.
func barsSVG(c *ColumnReport, names []string) template.HTML {
	var values []string
	seen := map[string]bool{}
	for _, s := range c.Splits {
		for _, v := range s.Top {
			if !seen[v.Value] && len(values) < 10 {
				seen[v.Value] = true
				values = append(values, v.Value)
			}
		}
	}
	rowH := 6 * len(c.Splits)
	rowH = max(rowH, 10) + 6
	height := padT + rowH*max(1, len(values)) + 6
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart bars" viewBox="0 0 %d %d" role="img" aria-label="top values of %s">`, chartW, height, html.EscapeString(c.Name))
	labelW := 150.0
	w := float64(chartW-padR) - labelW
	top := 0.0
	share := func(s ColumnSplit, v string) float64 {
		for _, x := range s.Top {
			if x.Value == v {
				return x.Share
			}
		}
		return 0
	}
	for _, s := range c.Splits {
		for _, v := range values {
			top = max(top, share(s, v))
		}
	}
	if top == 0 {
		top = 1
	}
	for i, v := range values {
		y0 := padT + i*rowH
		label := v
		if len([]rune(label)) > 22 {
			label = string([]rune(label)[:21]) + "…"
		}
		fmt.Fprintf(&b, `<text class="tick" x="%.0f" y="%d" text-anchor="end">%s</text>`, labelW-6, y0+rowH/2+3, html.EscapeString(label))
		for p, s := range c.Splits {
			sh := share(s, v)
			fmt.Fprintf(&b, `<rect x="%.0f" y="%d" width="%.1f" height="5" fill="%s"><title>%s: %.2f%%</title></rect>`, labelW, y0+p*6, math.Max(0.5, w*sh/top), colour(p), html.EscapeString(names[p]), 100*sh)
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// balanceSVG draws each part's class shares as a stacked bar.
func balanceSVG(lb *LabelBalance) template.HTML {
	barH, gap := 18, 8
	height := padT + len(lb.Splits)*(barH+gap) + 4
	labelW := 90.0
	w := float64(chartW-padR) - labelW
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart balance" viewBox="0 0 %d %d" role="img" aria-label="class shares of %s">`, chartW, height, html.EscapeString(lb.Column))
	for i, s := range lb.Splits {
		y0 := padT + i*(barH+gap)
		fmt.Fprintf(&b, `<text class="tick" x="%.0f" y="%d" text-anchor="end">%s</text>`, labelW-6, y0+barH/2+4, html.EscapeString(s.Split))
		x := labelW
		for k, sh := range s.Shares {
			fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %.2f%%</title></rect>`, x, y0, w*sh, barH, colour(k), html.EscapeString(lb.Classes[k]), 100*sh)
			x += w * sh
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}
