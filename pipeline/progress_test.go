package pipeline_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// recorder is a Progress that logs its calls, summing Adds per phase.
type recorder struct {
	phases []string
	totals map[string]int64
	done   map[string]int64
	cur    string
}

func (r *recorder) Phase(name string, rows int64) {
	r.phases = append(r.phases, name)
	r.totals[name], r.cur = rows, name
}

func (r *recorder) Add(rows int64) { r.done[r.cur] += rows }

func TestSplitReportsProgress(t *testing.T) {
	for _, approx := range []bool{false, true} {
		r := &recorder{totals: map[string]int64{}, done: map[string]int64{}}
		runSplit(t, pipeline.SplitConfig{Inputs: []string{goldenInput}, Out: filepath.Join(t.TempDir(), "out"), Seed: "1", Approx: approx, JobOptions: pipeline.JobOptions{Progress: r}})
		want := "plan boundaries split commit"
		if approx {
			want = "plan split commit"
		}
		if got := strings.Join(r.phases, " "); got != want {
			t.Errorf("approx=%v: phases %q, want %q", approx, got, want)
		}
		if got := fmt.Sprint(r.totals["split"], r.done["split"]); got != "2000 2000" {
			t.Errorf("approx=%v: split phase total and done = %s, want 2000 2000", approx, got)
		}
	}
}
