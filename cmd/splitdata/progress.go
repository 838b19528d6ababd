package main

import (
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

// barProgress draws a job's phases as progress bars on a terminal: rows,
// rows per second and the estimated time left.
type barProgress struct {
	w   io.Writer
	bar *progressbar.ProgressBar
}

func newBarProgress(w io.Writer) *barProgress { return &barProgress{w: w} }

// Phase implements pipeline.Progress.
func (p *barProgress) Phase(name string, rows int64) {
	p.finish()
	total := rows
	if total == 0 {
		total = -1 // unknown: a spinner
	}
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionSetDescription(name),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("rows"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)
}

// Add implements pipeline.Progress.
func (p *barProgress) Add(rows int64) {
	if p.bar != nil {
		_ = p.bar.Add64(rows)
	}
}

// finish clears the current bar.
func (p *barProgress) finish() {
	if p.bar != nil {
		_ = p.bar.Finish()
		p.bar = nil
	}
}

var _ pipeline.Progress = (*barProgress)(nil)
