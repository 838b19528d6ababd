package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/splitdata/splitdata/pipeline"
)

// isTerminal reports whether w is a terminal: progress is drawn only there,
// never into logs or pipes.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// barProgress draws a job's phases as progress bars on a terminal, each
// labelled with the command and what the phase does: rows, rows per second
// and the estimated time left.
type barProgress struct {
	w       io.Writer
	command string           // the command's name: shuffle's bar says shuffle
	now     func() time.Time // the clock; a test's fake one
	bar     *progressbar.ProgressBar
	phase   string
	start   time.Time // when the phase began
	done    int64     // rows done in the phase
	shown   time.Time // when the label was last redrawn
}

// newBarProgress returns the progress bars of the command named command.
func newBarProgress(w io.Writer, command string) *barProgress {
	return &barProgress{w: w, command: command, now: time.Now}
}

// rateAfter is how long a phase runs before its rate is shown: a rate
// over the first milliseconds (27876588022 rows/s) says nothing.
const rateAfter = time.Second

// phaseWords says what each of the pipeline's phases does.
var phaseWords = map[string]string{
	"plan":        "reading footers",
	"count":       "counting rows",
	"classes":     "counting classes",
	"groups":      "counting groups",
	"boundaries":  "ordering keys",
	"permutation": "drawing the permutation",
	"split":       "reading and writing",
	"shard":       "reading and writing",
	"merge":       "merging",
	"commit":      "committing",
}

// label is the bar's description: command, phase and, once the phase has
// run for rateAfter, its rate so far.
func (p *barProgress) label() string {
	words, ok := phaseWords[p.phase]
	if !ok {
		words = p.phase
	}
	s := words
	if p.command != "" {
		s = p.command + ": " + words
	}
	if el := p.now().Sub(p.start); el >= rateAfter && p.done > 0 {
		s += " (" + rate(float64(p.done)/el.Seconds()) + " rows/s)"
	}
	return s
}

// rate formats rows per second: 850, 12.5k, 5.0M.
func rate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.1fM", r/1e6)
	case r >= 1e3:
		return fmt.Sprintf("%.1fk", r/1e3)
	}
	return fmt.Sprintf("%.0f", r)
}

// Phase implements pipeline.Progress.
func (p *barProgress) Phase(name string, rows int64) {
	p.finish()
	p.phase, p.done = name, 0
	p.start = p.now()
	p.shown = p.start
	total := rows
	if total == 0 {
		total = -1 // unknown: a spinner
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(p.label()),
		progressbar.OptionShowCount(),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)
}

// Add implements pipeline.Progress.
func (p *barProgress) Add(rows int64) {
	if p.bar == nil {
		return
	}
	p.done += rows
	if now := p.now(); now.Sub(p.shown) >= 500*time.Millisecond {
		p.shown = now
		p.bar.Describe(p.label())
	}
	_ = p.bar.Add64(rows)
}

// finish clears the current bar.
func (p *barProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

var _ pipeline.Progress = (*barProgress)(nil)
