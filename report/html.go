package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strconv"
	"strings"
)

//go:embed report.html.tmpl
var pageTemplate string

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"num":     fmtNum,
	"pct":     fmtPct,
	"exact":   exactNum,
	"int":     func(n int64) string { return strconv.FormatInt(n, 10) },
	"colour":  colour,
	"hist":    histogramSVG,
	"bars":    barsSVG,
	"balance": balanceSVG,
	"shares":  sharesSVG,
	"id":      anchor,
	"kindnum": func(k string) bool { return k == KindNumber || k == KindTime },
	"heat": func(v float64) template.CSS {
		a := math.Min(1, v/DefaultThresholds.PSIMajor)
		return template.CSS(fmt.Sprintf("background: rgba(225, 87, 89, %.2f)", a))
	},
	"deref": func(p *float64) float64 { return *p },
	"unumptr": func(p *uint64) string {
		if p == nil {
			return ""
		}
		return strconv.FormatUint(*p, 10)
	},
	"fnum": func(p *float64, kind string) string {
		if p == nil {
			return ""
		}
		if kind == KindTime {
			return axisLabelFull(*p)
		}
		return fmtNum(*p)
	},
	"fexact": func(p *float64) string {
		if p == nil {
			return ""
		}
		return exactNum(*p)
	},
	"qnum": func(v float64, kind string) string {
		if kind == KindTime {
			return axisLabelFull(v)
		}
		return fmtNum(v)
	},
}).Parse(pageTemplate))

// fmtNum shows a number with 6 significant digits.
func fmtNum(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', 6, 64)
}

// exactNum is a number as JSON writes it, for data-v attributes.
func exactNum(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func fmtPct(v float64) string { return strconv.FormatFloat(100*v, 'f', 2, 64) + "%" }

func axisLabelFull(v float64) string {
	s := axisLabel(v, KindTime)
	t := int64(v) % 86400
	if t != 0 {
		s += fmt.Sprintf(" %02d:%02d:%02d", t/3600, t/60%60, t%60)
	}
	return s
}

// anchor makes an HTML id from a name.
func anchor(prefix, name string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, ".%x", r)
		}
	}
	return b.String()
}

// names are the parts' names in order.
func (r *Report) names() []string {
	ns := make([]string, len(r.Splits))
	for i, s := range r.Splits {
		ns[i] = s.Name
	}
	return ns
}

// WriteHTML writes the report as one self-contained HTML page: inline
// CSS and SVG, tables readable without JavaScript, and a few lines of
// inline JavaScript that sort the drift table. Nothing is fetched when
// it is viewed.
func (r *Report) WriteHTML(w io.Writer) error {
	return page.Execute(w, struct {
		*Report
		Names []string
	}{r, r.names()})
}
