package pipeline_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// recorder is a Progress that logs its calls, summing Adds and AddBytes
// per phase. Adds come from several goroutines in some phases.
type recorder struct {
	mu     sync.Mutex
	phases []string
	totals map[string]int64
	done   map[string]int64
	bytes  map[string]int64
	cur    string
}

func newRecorder() *recorder {
	return &recorder{totals: map[string]int64{}, done: map[string]int64{}, bytes: map[string]int64{}}
}

func (r *recorder) Phase(name string, rows int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.phases = append(r.phases, name)
	r.totals[name], r.cur = rows, name
}

func (r *recorder) Add(rows int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done[r.cur] += rows
}

func (r *recorder) AddBytes(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.bytes[r.cur] += n
}

var _ pipeline.ByteProgress = (*recorder)(nil)

// TestJobPhases checks the phases each kind of job announces, and that
// every phase with a known number of rows is advanced by exactly that
// many: a bar that stops short of the end, or passes it, says something
// false. The written bytes add up to the files' sizes.
func TestJobPhases(t *testing.T) {
	three := []splitter.Split{{Name: "train", Ratio: 0.8}, {Name: "valid", Ratio: 0.1}, {Name: "test", Ratio: 0.1}}
	tests := []struct {
		name   string
		run    func(out string, p pipeline.Progress) (*pipeline.Manifest, error)
		phases string
		rows   map[string]int64 // rows done, and the total but of boundaries (a spinner)
	}{
		{"split exact", func(out string, p pipeline.Progress) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{goldenInput}, Out: out, Seed: "1", JobOptions: pipeline.JobOptions{Progress: p}})
		}, "plan boundaries split commit", map[string]int64{"boundaries": 2000, "split": 2000}},
		{"split approx", func(out string, p pipeline.Progress) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{goldenInput}, Out: out, Seed: "1", Approx: true, JobOptions: pipeline.JobOptions{Progress: p}})
		}, "plan split commit", map[string]int64{"split": 2000}},
		{"split stratify", func(out string, p pipeline.Progress) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{goldenInput}, Out: out, Seed: "1", Splits: three, Stratify: "label", JobOptions: pipeline.JobOptions{Progress: p, Workers: 3}})
		}, "plan classes boundaries split commit", map[string]int64{"classes": 2000, "split": 2000}},
		{"split group by rows", func(out string, p pipeline.Progress) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{goldenInput}, Out: out, Seed: "1", Splits: three, Group: "user_id", RatioBy: pipeline.RatioByRows, JobOptions: pipeline.JobOptions{Progress: p, Workers: 3}})
		}, "plan groups boundaries split commit", map[string]int64{"groups": 2000, "split": 2000}},
		{"split shuffle in memory", func(out string, p pipeline.Progress) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{goldenInput}, Out: out, Seed: "1", Splits: three, Shuffle: true, JobOptions: pipeline.JobOptions{Progress: p}})
		}, "plan boundaries read order write commit", map[string]int64{"boundaries": 2000, "read": 2000, "write": 2000}},
		{"shuffle spilling", func(out string, p pipeline.Progress) (*pipeline.Manifest, error) {
			return pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{goldenInput}, Out: out, Seed: "1", JobOptions: pipeline.JobOptions{Progress: p, ShuffleMemory: 32 << 10, RowGroupRows: 100}})
		}, "plan spill order write commit", map[string]int64{"plan": 0, "spill": 2000, "write": 2000}}, // one output of every row: no boundaries
		{"shuffle in memory", func(out string, p pipeline.Progress) (*pipeline.Manifest, error) {
			return pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{goldenInput}, Out: out, Seed: "1", JobOptions: pipeline.JobOptions{Progress: p}})
		}, "plan read order write commit", map[string]int64{"plan": 0, "read": 2000, "write": 2000}},
		{"sample", func(out string, p pipeline.Progress) (*pipeline.Manifest, error) {
			return pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{goldenInput}, Out: out, Seed: "1", Rows: 150, JobOptions: pipeline.JobOptions{Progress: p}})
		}, "plan boundaries split commit", map[string]int64{"boundaries": 2000, "split": 150}},
		{"kfold materialized", func(out string, p pipeline.Progress) (*pipeline.Manifest, error) {
			return pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{goldenInput}, Out: out, Seed: "1", K: 4, Materialize: true, JobOptions: pipeline.JobOptions{Progress: p}})
		}, "plan boundaries split commit", map[string]int64{"boundaries": 2000, "split": 4 * 2000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRecorder()
			m, err := tt.run(filepath.Join(t.TempDir(), "out"), r)
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(r.phases, " "); got != tt.phases {
				t.Errorf("phases %q, want %q", got, tt.phases)
			}
			for phase, want := range tt.rows {
				total := want
				if phase == "boundaries" {
					total = 0 // a spinner
				}
				if got := fmt.Sprint(r.totals[phase], r.done[phase]); got != fmt.Sprint(total, want) {
					t.Errorf("phase %s: total and done %s, want %d %d", phase, got, total, want)
				}
			}
			var files int64
			for _, s := range m.Splits {
				for _, f := range s.Files {
					files += f.Bytes
				}
			}
			written := r.bytes["split"] + r.bytes["write"]
			// The writer counts what it hands the format's writer; the
			// files' footers come on Close.
			if written <= 0 || written > files {
				t.Errorf("bytes written %d, want some, at most the files' %d", written, files)
			}
			if strings.Contains(tt.phases, "spill") && (r.bytes["spill"] <= 0 || r.bytes["order"] < r.bytes["spill"]) {
				t.Errorf("spilled %d bytes, ordering %d: want some, and ordering all of them", r.bytes["spill"], r.bytes["order"])
			}
		})
	}
}
