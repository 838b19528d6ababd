package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
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

// phaseGenerate is gen's phase: writing its files.
const phaseGenerate = "generate"

// phaseWords says what each phase does, as progress shows it.
var phaseWords = map[string]string{
	pipeline.PhasePlan:        "opening inputs",
	pipeline.PhaseCount:       "counting rows per split",
	pipeline.PhaseClasses:     "counting classes",
	pipeline.PhaseGroups:      "counting groups",
	pipeline.PhaseOrderBy:     "reading the --order-by column",
	pipeline.PhaseBoundaries:  "drawing split boundaries",
	pipeline.PhasePermutation: "drawing the permutation",
	pipeline.PhaseSplit:       "reading and writing",
	pipeline.PhaseRead:        "reading",
	pipeline.PhaseSpill:       "reading and spilling",
	pipeline.PhaseOrder:       "ordering",
	pipeline.PhaseWrite:       "writing",
	pipeline.PhaseShard:       "reading and writing",
	pipeline.PhaseMerge:       "merging",
	pipeline.PhaseCommit:      "committing",
	pipeline.PhaseHash:        "hashing files",
	pipeline.PhaseRows:        "checking rows",
	phaseGenerate:             "generating",
}

// words returns what phase does, in words.
func words(phase string) string {
	if w, ok := phaseWords[phase]; ok {
		return w
	}
	return phase
}

// rateAfter is how long a phase runs before its rate is shown: a rate
// over the first milliseconds (27876588022 rows/s) says nothing.
const rateAfter = time.Second

// progressView shows a job's phases: a pipeline.Progress that also counts
// bytes, and says when the job is over.
type progressView interface {
	pipeline.ByteProgress
	// finish ends the last phase; ok says whether the job succeeded (a
	// failed phase is not reported as done).
	finish(ok bool)
}

// newProgress returns how progress is shown on log's stream: bars on a
// terminal, else one line (or JSON object) per phase when it ends; nil
// when quiet.
func newProgress(log *logger, quiet bool) progressView {
	switch {
	case quiet:
		return nil
	case log.format == "text" && isTerminal(log.w):
		return newBarProgress(log.w, log.command)
	}
	return newLineProgress(log)
}

// phase is the state of the phase under way. Its methods are not safe for
// concurrent use: the views hold a mutex.
type phase struct {
	name  string
	total int64 // rows, 0: unknown
	start time.Time
	rows  int64 // rows done
	bytes int64
}

// describe says what the phase does and, once it has run for rateAfter,
// its rate so far, and the bytes it handled: "reading (5.0M rows/s)",
// "ordering (450 MiB)".
func (p *phase) describe(elapsed time.Duration) string {
	var notes []string
	if elapsed >= rateAfter && p.rows > 0 {
		notes = append(notes, rate(float64(p.rows)/elapsed.Seconds())+" rows/s")
	}
	if p.bytes > 0 {
		notes = append(notes, humanize.IBytes(uint64(p.bytes)))
	}
	s := words(p.name)
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
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

// withCommand prefixes s with the command's name, if any.
func withCommand(command, s string) string {
	if command == "" {
		return s
	}
	return command + ": " + s
}

// barProgress draws a job's phases on a terminal, each labelled with the
// command and what the phase does: a bar (rows, rate, time left) when the
// phase knows its rows in advance, else a spinner with the elapsed time
// and the bytes handled. Each phase is drawn as soon as it begins.
type barProgress struct {
	w       io.Writer
	command string           // the command's name: shuffle's bar says shuffle
	now     func() time.Time // the clock; a test's fake one

	mu    sync.Mutex
	bar   *progressbar.ProgressBar
	cur   phase
	shown time.Time // when the label was last redrawn
}

// newBarProgress returns the progress bars of the command named command.
func newBarProgress(w io.Writer, command string) *barProgress {
	return &barProgress{w: w, command: command, now: time.Now}
}

// label is the bar's description.
func (p *barProgress) label() string {
	return withCommand(p.command, p.cur.describe(p.now().Sub(p.cur.start)))
}

// Phase implements pipeline.Progress.
func (p *barProgress) Phase(name string, rows int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.end()
	p.cur = phase{name: name, total: rows, start: p.now()}
	p.shown = p.cur.start
	opts := []progressbar.Option{
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(p.label()),
		progressbar.OptionThrottle(100 * time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
		progressbar.OptionSetRenderBlankState(true),
	}
	total := rows
	if total <= 0 {
		total = -1 // unknown: a spinner with the elapsed time
		opts = append(opts, progressbar.OptionSetElapsedTime(true), progressbar.OptionSpinnerType(14))
	} else {
		opts = append(opts, progressbar.OptionShowCount(), progressbar.OptionSetPredictTime(true))
	}
	p.bar = progressbar.NewOptions64(total, opts...)
}

// Add implements pipeline.Progress.
func (p *barProgress) Add(rows int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		return
	}
	p.cur.rows += rows
	p.relabel()
	if p.cur.total > 0 {
		_ = p.bar.Add64(rows)
	}
}

// AddBytes implements pipeline.ByteProgress.
func (p *barProgress) AddBytes(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bar == nil {
		return
	}
	p.cur.bytes += n
	p.relabel()
}

// relabel redraws the label at most twice a second. The bar shows it on
// its next frame.
func (p *barProgress) relabel() {
	if now := p.now(); now.Sub(p.shown) >= 500*time.Millisecond || p.shown.Equal(p.cur.start) {
		p.shown = now
		p.bar.Describe(p.label())
	}
}

// finish implements progressView: the bar is cleared either way; the
// error, if any, is reported by the caller.
func (p *barProgress) finish(bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.end()
}

// end clears the current bar.
func (p *barProgress) end() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

// lineProgress reports each phase when it ends, in one line (or, with
// --log-format json, one JSON object) with its duration, rows and bytes:
// progress for a log, where a bar would be noise.
type lineProgress struct {
	log *logger
	now func() time.Time

	mu     sync.Mutex
	cur    phase
	active bool
}

// newLineProgress returns the phase lines of log's command.
func newLineProgress(log *logger) *lineProgress {
	return &lineProgress{log: log, now: time.Now}
}

// Phase implements pipeline.Progress.
func (p *lineProgress) Phase(name string, rows int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.end()
	p.cur = phase{name: name, total: rows, start: p.now()}
	p.active = true
}

// Add implements pipeline.Progress.
func (p *lineProgress) Add(rows int64) {
	p.mu.Lock()
	p.cur.rows += rows
	p.mu.Unlock()
}

// AddBytes implements pipeline.ByteProgress.
func (p *lineProgress) AddBytes(n int64) {
	p.mu.Lock()
	p.cur.bytes += n
	p.mu.Unlock()
}

// finish implements progressView: the last phase is reported if the job
// succeeded.
func (p *lineProgress) finish(ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if ok {
		p.end()
	}
	p.active = false
}

// end reports the current phase, if any.
func (p *lineProgress) end() {
	if !p.active {
		return
	}
	p.active = false
	c := p.cur
	d := p.now().Sub(c.start)
	if p.log.format == "json" {
		attrs := []any{"command", p.log.command, "phase", c.name, "seconds", d.Seconds()}
		if c.total > 0 || c.rows > 0 {
			attrs = append(attrs, "rows", c.rows)
		}
		if c.bytes > 0 {
			attrs = append(attrs, "bytes", c.bytes)
		}
		p.log.info("phase done: "+words(c.name), attrs...)
		return
	}
	s := withCommand(p.log.command, words(c.name)) + " done in " + roundDuration(d).String()
	var notes []string
	if c.total > 0 || c.rows > 0 {
		n := counted(c.rows, "row")
		if d >= rateAfter {
			n += " (" + rate(float64(c.rows)/d.Seconds()) + " rows/s)"
		}
		notes = append(notes, n)
	}
	if c.bytes > 0 {
		notes = append(notes, humanize.IBytes(uint64(c.bytes)))
	}
	if len(notes) > 0 {
		s += ": " + strings.Join(notes, ", ")
	}
	p.log.info(s)
}

// roundDuration rounds d to what a person reads: milliseconds below a
// second, hundredths of a second above.
func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(10 * time.Millisecond)
}

var (
	_ progressView = (*barProgress)(nil)
	_ progressView = (*lineProgress)(nil)
)
