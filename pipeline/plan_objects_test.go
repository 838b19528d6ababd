package pipeline_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// memObjects is a store of objects in memory, as an ObjectOpener sees
// one: each object has bytes and a version.
type memObjects struct {
	data    map[string][]byte
	version map[string]string
}

func (m *memObjects) open(_ context.Context, location string) (io.ReaderAt, int64, string, error) {
	d, ok := m.data[location]
	if !ok {
		return nil, 0, "", fmt.Errorf("%s: %w", location, os.ErrNotExist)
	}
	return bytes.NewReader(d), int64(len(d)), m.version[location], nil
}

// inputs are the objects as a plan's ObjectInputs, in location order.
func (m *memObjects) inputs(locations []string) []pipeline.Input {
	var out []pipeline.Input
	for _, l := range locations {
		d := m.data[l]
		out = append(out, pipeline.ObjectInput("mem://"+l, l, m.version[l], bytes.NewReader(d), int64(len(d))))
	}
	return out
}

// TestShardedObjectInputs plans inputs given as ObjectInputs (objects a
// shard opens again by location, as bucket inputs are), runs the shards
// and the merge with an opener, and checks the files against a Split of
// the same data as local files; without an opener, with another
// version, or with the object gone, the shard fails and says why.
func TestShardedObjectInputs(t *testing.T) {
	in := genInput(t, 9_000, 3, 1_000)
	store, locations := objectStore(t, in)
	opts := pipeline.JobOptions{RowsPerFile: 2_500, RowGroupRows: 600}
	want := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Seed: "5", JobOptions: opts})

	out := filepath.Join(t.TempDir(), "job")
	opts.Sources = store.inputs(locations)
	p, err := pipeline.CreatePlan(t.Context(), pipeline.SplitConfig{Out: out, Seed: "5", JobOptions: opts}, 3)
	if err != nil {
		t.Fatal(err)
	}
	for i, pi := range p.Inputs {
		if pi.Path != "mem://"+locations[i] || pi.Location != locations[i] || pi.Version != store.version[locations[i]] || !pi.ModTime.IsZero() {
			t.Errorf("plan input %d: %+v", i, pi)
		}
	}
	plan := filepath.Join(out, pipeline.PlanName)

	if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan, Index: 0}); !errors.Is(err, pipeline.ErrUsage) || !strings.Contains(err.Error(), "no ObjectOpener") {
		t.Errorf("shard without an opener: err = %v, want a usage error naming the opener", err)
	}
	for k := range 3 {
		if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan, Index: k, Workers: 2, OpenObject: store.open}); err != nil {
			t.Fatalf("RunShard(%d): %v", k, err)
		}
	}
	got, err := pipeline.Merge(t.Context(), pipeline.MergeConfig{Dir: out, OpenObject: store.open})
	if err != nil {
		t.Fatal(err)
	}
	if fingerprint(got) != fingerprint(want) {
		t.Fatalf("sharded object inputs:\n%s\nwant (split of local files):\n%s", fingerprint(got), fingerprint(want))
	}

	// Changes after a plan: each shard refuses the object it reads.
	out2 := filepath.Join(t.TempDir(), "job2")
	if _, err := pipeline.CreatePlan(t.Context(), pipeline.SplitConfig{Out: out2, Seed: "5", JobOptions: opts}, 3); err != nil {
		t.Fatal(err)
	}
	store.version[locations[0]] = "v-new"
	last := locations[len(locations)-1]
	delete(store.data, last)
	plan2 := filepath.Join(out2, pipeline.PlanName)
	for _, tc := range []struct {
		shard int
		want  string
		is    error
	}{
		{0, "mem://" + locations[0] + ": input changed during the run: not the file the plan saw: version v-new, the plan saw v0; plan again", sources.ErrChanged},
		{2, locations[0], sources.ErrChanged}, // every shard reads the first input, for the schema
	} {
		_, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan2, Index: tc.shard, OpenObject: store.open})
		if !errors.Is(err, tc.is) || !strings.Contains(fmt.Sprint(err), tc.want) {
			t.Errorf("shard %d: err = %v, want %v holding %q", tc.shard, err, tc.is, tc.want)
		}
	}
	store.version[locations[0]] = "v0"
	if _, err := pipeline.RunShard(t.Context(), pipeline.ShardConfig{Plan: plan2, Index: 2, OpenObject: store.open}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("shard 2 with its object gone: err = %v, want the opener's not-exist error", err)
	}
}

// TestPlanRefusesSourcesWithoutLocation checks that a plan refuses an
// input given as a value another machine cannot open again.
func TestPlanRefusesSourcesWithoutLocation(t *testing.T) {
	in := genInput(t, 1_000, 1, 500)
	entries, err := os.ReadDir(in)
	if err != nil {
		t.Fatal(err)
	}
	d, err := os.ReadFile(filepath.Join(in, entries[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	cfg := pipeline.SplitConfig{Out: filepath.Join(t.TempDir(), "job"), Seed: "1",
		JobOptions: pipeline.JobOptions{Sources: []pipeline.Input{pipeline.ReaderAtInput("a.parquet", bytes.NewReader(d), int64(len(d)))}}}
	if _, err := pipeline.CreatePlan(t.Context(), cfg, 2); !errors.Is(err, pipeline.ErrUsage) || !strings.Contains(err.Error(), "a.parquet") {
		t.Errorf("err = %v, want a usage error naming a.parquet", err)
	}
}
