package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/splitdata/splitdata/pipeline"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// step is one call a job makes to its progress, after the clock moved by
// advance: a new phase, or rows (and bytes) done in the current one.
type step struct {
	phase   string // a new phase, or "" for Add
	rows    int64  // the phase's rows, or the rows added
	bytes   int64  // bytes added
	advance time.Duration
	want    string // the bar's label after the step
}

// shuffleSteps is a spilling shuffle of 10M rows as the pipeline reports it.
var shuffleSteps = []step{
	{phase: pipeline.PhasePlan, want: "shuffle: opening inputs"},
	{phase: pipeline.PhaseSpill, rows: 10_000_000, advance: 20 * time.Millisecond, want: "shuffle: reading and spilling"},
	{rows: 1_000_000, bytes: 40 << 20, advance: time.Millisecond, want: "shuffle: reading and spilling (40 MiB)"},
	{rows: 9_000_000, bytes: 360 << 20, advance: 1999 * time.Millisecond, want: "shuffle: reading and spilling (5.0M rows/s, 400 MiB)"},
	{phase: pipeline.PhaseOrder, advance: 10 * time.Millisecond, want: "shuffle: ordering"},
	{bytes: 400 << 20, want: "shuffle: ordering (400 MiB)"},
	{phase: pipeline.PhaseWrite, rows: 10_000_000, advance: 1500 * time.Millisecond, want: "shuffle: writing"},
	{rows: 10_000_000, bytes: 300 << 20, advance: 4 * time.Second, want: "shuffle: writing (2.5M rows/s, 300 MiB)"},
	{phase: pipeline.PhaseCommit, advance: 5 * time.Millisecond, want: "shuffle: committing"},
}

// playSteps makes the steps' calls to p, moving clock, and checks label after
// each step if label is not nil.
func playSteps(t *testing.T, p progressView, clock *fakeClock, steps []step, label func() string) {
	t.Helper()
	for i, s := range steps {
		clock.t = clock.t.Add(s.advance)
		switch {
		case s.phase != "":
			p.Phase(s.phase, s.rows)
		case s.rows != 0:
			p.Add(s.rows)
		}
		if s.phase == "" && s.bytes != 0 {
			p.AddBytes(s.bytes)
		}
		if label != nil {
			if got := label(); got != s.want {
				t.Errorf("step %d: label %q, want %q", i, got, s.want)
			}
		}
	}
}

// TestBarProgressLabels checks what the bar says, frame by frame, with a
// fake clock: the command's name, the phase in words, no rate until the
// phase has run long enough for one to mean something, the bytes.
func TestBarProgressLabels(t *testing.T) {
	tests := []struct {
		command string
		steps   []step
	}{
		{"shuffle", shuffleSteps},
		{"kfold", []step{
			{phase: pipeline.PhaseClasses, rows: 100, want: "kfold: counting classes"},
			{phase: pipeline.PhaseBoundaries, rows: 100, want: "kfold: drawing split boundaries"},
			{rows: 100, advance: 2 * time.Second, want: "kfold: drawing split boundaries (50 rows/s)"},
		}},
		{"", []step{{phase: "something new", want: "something new"}}},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			var out bytes.Buffer
			clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			p := newBarProgress(&out, tt.command)
			p.now = clock.now
			playSteps(t, p, clock, tt.steps, p.label)
			p.finish(true)
			if strings.Contains(out.String(), "rows/s") && !strings.Contains(out.String(), " rows/s") {
				t.Errorf("a rate was drawn outside the label: %q", out.String())
			}
			for _, s := range tt.steps {
				if s.phase != "" && !strings.Contains(out.String(), words(s.phase)) {
					t.Errorf("phase %s was never drawn: %q", s.phase, out.String())
				}
			}
		})
	}
}

// TestLineProgress checks the progress of a log: one line, or JSON object,
// per phase when it ends, with its duration, rows and bytes; nothing for a
// phase that failed.
func TestLineProgress(t *testing.T) {
	wantText := `splitdata: shuffle: opening inputs done in 20ms
splitdata: shuffle: reading and spilling done in 2.01s: 10000000 rows (5.0M rows/s), 400 MiB
splitdata: shuffle: ordering done in 1.5s: 400 MiB
splitdata: shuffle: writing done in 4.01s: 10000000 rows (2.5M rows/s), 300 MiB
splitdata: shuffle: committing done in 3ms
`
	for _, ok := range []bool{true, false} {
		var out bytes.Buffer
		clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
		p := newLineProgress(&logger{w: &out, format: "text", command: "shuffle"})
		p.now = clock.now
		playSteps(t, p, clock, shuffleSteps, nil)
		clock.t = clock.t.Add(3 * time.Millisecond)
		p.finish(ok)
		want := wantText
		if !ok {
			want = want[:strings.LastIndex(want[:len(want)-1], "\n")+1]
		}
		if out.String() != want {
			t.Errorf("ok=%v: got\n%s\nwant\n%s", ok, out.String(), want)
		}
	}

	var out bytes.Buffer
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	p := newLineProgress(&logger{w: &out, format: "json", command: "shuffle"})
	p.now = clock.now
	playSteps(t, p, clock, shuffleSteps, nil)
	p.finish(true)
	type object struct {
		Msg     string
		Command string
		Phase   string
		Seconds float64
		Rows    *int64
		Bytes   *int64
	}
	var got []object
	for line := range strings.Lines(out.String()) {
		var o object
		if err := json.Unmarshal([]byte(line), &o); err != nil {
			t.Fatalf("not a JSON object: %q: %v", line, err)
		}
		got = append(got, o)
	}
	wantPhases := []struct {
		phase   string
		seconds float64
		rows    int64 // -1: none
		bytes   int64
	}{
		{"plan", 0.02, -1, 0},
		{"spill", 2.01, 10_000_000, 400 << 20},
		{"order", 1.5, -1, 400 << 20},
		{"write", 4.005, 10_000_000, 300 << 20},
		{"commit", 0, -1, 0},
	}
	if len(got) != len(wantPhases) {
		t.Fatalf("%d objects, want %d:\n%s", len(got), len(wantPhases), out.String())
	}
	for i, w := range wantPhases {
		o := got[i]
		if o.Command != "shuffle" || o.Phase != w.phase || o.Seconds != w.seconds || !strings.HasPrefix(o.Msg, "phase done: ") {
			t.Errorf("object %d: %+v, want phase %s of shuffle in %gs", i, o, w.phase, w.seconds)
		}
		if (o.Rows == nil) != (w.rows < 0) || (o.Rows != nil && *o.Rows != w.rows) {
			t.Errorf("object %d (%s): rows %v, want %d", i, w.phase, o.Rows, w.rows)
		}
		if (o.Bytes == nil) != (w.bytes == 0) || (o.Bytes != nil && *o.Bytes != w.bytes) {
			t.Errorf("object %d (%s): bytes %v, want %d", i, w.phase, o.Bytes, w.bytes)
		}
	}
}
