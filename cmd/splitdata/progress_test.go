package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

// TestBarProgressLabels checks what the bar says, frame by frame, with a
// fake clock: the command's name, the phase in words, and no rate until
// the phase has run long enough for one to mean something.
func TestBarProgressLabels(t *testing.T) {
	type step struct {
		phase   string // a new phase, or "" for Add
		rows    int64  // the phase's rows, or the rows added
		advance time.Duration
		want    string // the label after the step
	}
	tests := []struct {
		command string
		steps   []step
	}{
		{"shuffle", []step{
			{phase: "plan", want: "shuffle: reading footers"},
			{phase: "split", rows: 10_000_000, want: "shuffle: reading and writing"},
			{rows: 1_000_000, advance: time.Millisecond, want: "shuffle: reading and writing"},
			{rows: 9_000_000, advance: 1999 * time.Millisecond, want: "shuffle: reading and writing (5.0M rows/s)"},
			{phase: "commit", advance: 3 * time.Second, want: "shuffle: committing"},
		}},
		{"kfold", []step{
			{phase: "classes", rows: 100, want: "kfold: counting classes"},
			{phase: "boundaries", rows: 100, want: "kfold: ordering keys"},
			{rows: 100, advance: 2 * time.Second, want: "kfold: ordering keys (50 rows/s)"},
		}},
		{"", []step{{phase: "something new", want: "something new"}}},
	}
	for _, tt := range tests {
		t.Run(tt.command, func(t *testing.T) {
			var out bytes.Buffer
			clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			p := newBarProgress(&out, tt.command)
			p.now = clock.now
			for i, s := range tt.steps {
				clock.t = clock.t.Add(s.advance)
				if s.phase != "" {
					p.Phase(s.phase, s.rows)
				} else {
					p.Add(s.rows)
				}
				if got := p.label(); got != s.want {
					t.Errorf("step %d: label %q, want %q", i, got, s.want)
				}
			}
			p.finish()
			if strings.Contains(out.String(), "rows/s") && !strings.Contains(out.String(), " rows/s)") {
				t.Errorf("a rate was drawn outside the label: %q", out.String())
			}
			if tt.command == "shuffle" && strings.Contains(out.String(), ": split") {
				t.Errorf("shuffle's bar names the split phase: %q", out.String())
			}
		})
	}
}
