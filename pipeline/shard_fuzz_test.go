package pipeline_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
)

// planCorpus is the seed corpus of FuzzParsePlan: plans written by
// `splitdata plan` (valid-*), the same plans damaged one field at a time
// (broken-*), and inputs whose fate is not pinned (other-*). Plans carry
// the splitdata version, which ParsePlan must match: a release that bumps
// pipeline.Version re-stamps the corpus's "version" fields (all but
// broken-tool-version's).
const planCorpus = "testdata/fuzz/FuzzParsePlan"

// readCorpusEntry decodes a file of the Go fuzzing corpus format holding
// one []byte value.
func readCorpusEntry(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	header, value, ok := strings.Cut(string(data), "\n")
	value = strings.TrimSpace(value)
	if !ok || header != "go test fuzz v1" || !strings.HasPrefix(value, "[]byte(") || !strings.HasSuffix(value, ")") {
		t.Fatalf("%s: not a corpus file of one []byte", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(value, "[]byte("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return []byte(s)
}

// TestParsePlanCorpus pins the seed corpus: every plan splitdata wrote is
// accepted, and each damaged one is refused with an "invalid plan" error.
func TestParsePlanCorpus(t *testing.T) {
	entries, err := os.ReadDir(planCorpus)
	if err != nil {
		t.Fatal(err)
	}
	var valid, broken int
	for _, e := range entries {
		name := e.Name()
		t.Run(name, func(t *testing.T) {
			data := readCorpusEntry(t, filepath.Join(planCorpus, name))
			p, err := pipeline.ParsePlan(data)
			switch {
			case strings.HasPrefix(name, "valid-"):
				valid++
				if err != nil {
					t.Fatalf("ParsePlan refused a plan splitdata wrote: %v", err)
				}
				checkPlanInvariants(t, p)
			case strings.HasPrefix(name, "broken-"):
				broken++
				if err == nil {
					t.Fatalf("ParsePlan accepted a damaged plan:\n%s", data)
				}
				if !strings.HasPrefix(err.Error(), "invalid plan: ") {
					t.Fatalf("error %q does not start with \"invalid plan: \"", err)
				}
			}
		})
	}
	if valid == 0 || broken == 0 {
		t.Fatalf("corpus has %d valid and %d broken plans, want some of each", valid, broken)
	}
}

// checkPlanInvariants restates, independently of ParsePlan, what an
// accepted plan promises RunShard and Merge: units tile [0, Rows) in order
// and name existing inputs, counts are non-negative and fit their unit,
// unassigned rows are what the counts leave, shard starts are ascending
// from 0 and within the units and at most MaxShards, every input's rows
// are its units' and it carries an identity.
func checkPlanInvariants(t *testing.T, p *pipeline.Plan) {
	t.Helper()
	nsplits := len(p.Options.Splits)
	if nsplits == 0 || p.Options.RowsPerFile <= 0 || p.Options.RowGroupRows <= 0 {
		t.Fatalf("accepted %d splits, rows per file %d, row group rows %d", nsplits, p.Options.RowsPerFile, p.Options.RowGroupRows)
	}
	var next, assigned int64
	for i, u := range p.Units {
		if u.Start != next || u.Rows <= 0 || u.Input < 0 || u.Input >= len(p.Inputs) || len(u.Counts) != nsplits {
			t.Fatalf("accepted unit %d %+v after %d rows, %d inputs", i, u, next, len(p.Inputs))
		}
		var sum int64
		for _, c := range u.Counts {
			if c < 0 {
				t.Fatalf("accepted unit %d with count %d", i, c)
			}
			sum += c
		}
		if sum > u.Rows {
			t.Fatalf("accepted unit %d whose counts add up to %d of %d rows", i, sum, u.Rows)
		}
		next += u.Rows
		assigned += sum
	}
	if next != p.Rows || p.Rows-assigned != p.Unassigned {
		t.Fatalf("accepted %d rows (%d unassigned) whose units hold %d (%d assigned)", p.Rows, p.Unassigned, next, assigned)
	}
	inputRows := make([]int64, len(p.Inputs))
	for _, u := range p.Units {
		inputRows[u.Input] += u.Rows
	}
	for i, in := range p.Inputs {
		if in.Rows != inputRows[i] || len(in.EndsSHA256) != 64 || in.Path == "" {
			t.Fatalf("accepted input %d %+v whose units hold %d rows", i, in, inputRows[i])
		}
	}
	if len(p.Inputs) == 0 || len(p.Shards) > pipeline.MaxShards {
		t.Fatalf("accepted %d inputs and %d shards", len(p.Inputs), len(p.Shards))
	}
	if len(p.Shards) == 0 || p.Shards[0] != 0 || !sort.IntsAreSorted(p.Shards) || p.Shards[len(p.Shards)-1] > len(p.Units) {
		t.Fatalf("accepted shard starts %v for %d units", p.Shards, len(p.Units))
	}
	if p.Options.Shuffle || p.Options.Group != "" {
		t.Fatalf("accepted options a sharded run does not support: %+v", p.Options)
	}
}

// FuzzParsePlan feeds ParsePlan arbitrary bytes: it must never panic, must
// refuse with an "invalid plan" error, and a plan it accepts must keep the
// invariants shards rely on and survive a round trip: marshalled and
// parsed again it is the same plan, and marshals to the same bytes.
func FuzzParsePlan(f *testing.F) {
	// The seeds are the files in testdata/fuzz/FuzzParsePlan.
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := pipeline.ParsePlan(data)
		if err != nil {
			if p != nil {
				t.Fatalf("ParsePlan returned a plan with error %v", err)
			}
			if !strings.HasPrefix(err.Error(), "invalid plan: ") {
				t.Fatalf("error %q does not start with \"invalid plan: \"", err)
			}
			return
		}
		checkPlanInvariants(t, p)
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("marshal accepted plan: %v", err)
		}
		q, err := pipeline.ParsePlan(out)
		if err != nil {
			t.Fatalf("ParsePlan refused its own re-marshalled plan: %v\n%s", err, out)
		}
		// "boundaries":[] and no boundaries both mean none (a one-split
		// exact plan); the field is omitted when empty, so only nil comes back.
		if len(p.Boundaries) == 0 {
			p.Boundaries = nil
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the plan:\n got %+v\nwant %+v", q, p)
		}
		again, err := json.Marshal(q)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("re-marshalled plan differs:\n%s\n%s", out, again)
		}
	})
}
