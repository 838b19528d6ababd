package pipeline_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// validator is what every config implements.
type validator interface{ Validate() error }

// TestConfigsValidate checks that every config has a Validate that
// refuses its own mistakes and, for the jobs that run as a split, the
// split's, with the message Split gives.
func TestConfigsValidate(t *testing.T) {
	in, out := []string{"in.parquet"}, "out"
	for _, tc := range []struct {
		name string
		cfg  validator
		want string // "" for valid
	}{
		{"split ok", pipeline.SplitConfig{Inputs: in, Out: out}, ""},
		{"split no inputs", pipeline.SplitConfig{Out: out}, "usage: no inputs"},
		{"sample ok", pipeline.SampleConfig{Inputs: in, Out: out, Rows: 5}, ""},
		{"sample no size", pipeline.SampleConfig{Inputs: in, Out: out}, "usage: give exactly one of a row count and a fraction"},
		{"sample bad fraction", pipeline.SampleConfig{Inputs: in, Out: out, Fraction: 2}, "usage: sample fraction 2, want 0 < f <= 1"},
		{"sample as split", pipeline.SampleConfig{Inputs: in, Rows: 5}, "usage: no output directory"},
		{"sample workers", pipeline.SampleConfig{Inputs: in, Out: out, Rows: 5, JobOptions: pipeline.JobOptions{Workers: -1}}, "usage: workers must be positive, got -1"},
		{"kfold ok", pipeline.KFoldConfig{Inputs: in, Out: out, K: 5}, ""},
		{"kfold zero k", pipeline.KFoldConfig{Inputs: in, Out: out}, "usage: k = 0 folds, want 2 to 255"},
		{"kfold group by rows", pipeline.KFoldConfig{Inputs: in, Out: out, K: 3, RatioBy: pipeline.RatioByRows}, "usage: --ratio-by rows needs --group"},
		{"shuffle ok", pipeline.ShuffleConfig{Inputs: in, Out: out}, ""},
		{"shuffle format", pipeline.ShuffleConfig{Inputs: in, Out: out, JobOptions: pipeline.JobOptions{Format: "xml"}}, "usage: unknown output format \"xml\" (known: parquet, arrow, csv, jsonl)"},
		{"shard ok", pipeline.ShardConfig{Plan: "plan.json"}, ""},
		{"shard no plan", pipeline.ShardConfig{}, "usage: no plan file"},
		{"shard index", pipeline.ShardConfig{Plan: "plan.json", Index: -1}, "usage: shard index -1, want 0 or more"},
		{"merge ok", pipeline.MergeConfig{Dir: "job"}, ""},
		{"merge no dir", pipeline.MergeConfig{}, "usage: no sharded job directory"},
		{"records ok", pipeline.RecordsConfig{Seed: "1"}, ""},
		{"records no seed", pipeline.RecordsConfig{}, "usage: records split needs a seed"},
		{"records counts approx", pipeline.RecordsConfig{Seed: "1", Approx: true, Splits: []splitter.Split{{Name: "a", Rows: 3}}}, `usage: approximate splits take ratios, not sizes (split "a")`},
		{"stream ok", pipeline.StreamConfig{Seed: "1", Rows: 10}, ""},
		{"stream workers", pipeline.StreamConfig{Seed: "1", Workers: 1000}, "usage: workers 1000: want 1 to 256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil || err.Error() != tc.want || !errors.Is(err, pipeline.ErrUsage) {
				t.Fatalf("Validate() = %v, want %q wrapping ErrUsage", err, tc.want)
			}
		})
	}
}

// TestConfigsJSONTags checks that every field of every config says how
// it goes into JSON (plans and manifests embed configs), and that no two
// fields of one config share a name.
func TestConfigsJSONTags(t *testing.T) {
	for _, cfg := range []any{
		pipeline.SplitConfig{}, pipeline.JobOptions{}, pipeline.SampleConfig{}, pipeline.KFoldConfig{},
		pipeline.ShuffleConfig{}, pipeline.ShardConfig{}, pipeline.MergeConfig{}, pipeline.RecordsConfig{},
		pipeline.StreamConfig{},
	} {
		typ := reflect.TypeOf(cfg)
		seen := map[string]bool{}
		for f := range typ.Fields() {
			if f.Anonymous && f.Type == reflect.TypeFor[pipeline.JobOptions]() {
				continue // its fields are checked on their own
			}
			tag, ok := f.Tag.Lookup("json")
			if !ok {
				t.Errorf("%s.%s has no json tag", typ.Name(), f.Name)
				continue
			}
			name := tag
			for i := range len(tag) {
				if tag[i] == ',' {
					name = tag[:i]
					break
				}
			}
			if name != "-" && seen[name] {
				t.Errorf("%s: two fields are %q in JSON", typ.Name(), name)
			}
			seen[name] = true
		}
	}
}

// TestConfigsDefaultSplits checks that the configs without files take
// Split's default splits.
func TestConfigsDefaultSplits(t *testing.T) {
	recs := idRecords(t, memory.NewGoAllocator(), []int{100})
	defer recs[0].Release()
	got, err := pipeline.SplitRecords(t.Context(), recs, pipeline.RecordsConfig{Seed: "3"})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, s := range got {
			s.Record.Release()
		}
	}()
	want := pipeline.DefaultSplits()
	if len(got) != len(want) || got[0].Name != want[0].Name || got[1].Name != want[1].Name || got[0].Record.NumRows() != 80 {
		t.Errorf("default records split: %d splits, first %s of %d rows; want %v", len(got), got[0].Name, got[0].Record.NumRows(), want)
	}
}
