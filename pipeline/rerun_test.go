package pipeline_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// committer is a job configuration that can run and check a rerun.
type committer interface {
	Committed(ctx context.Context, hashes bool) (*pipeline.Manifest, error)
}

// TestCommittedAcceptsTheSameJob runs each kind of job with several options
// and checks that the same configuration recognises its own output: the
// options the check expects are those the job records (the check builds
// them as the jobs do; this test keeps the two in step).
func TestCommittedAcceptsTheSameJob(t *testing.T) {
	in := genInput(t, 300, 3, 64)
	ctx := context.Background()
	type tc struct {
		name string
		run  func(out string) (*pipeline.Manifest, error)
		cfg  func(out string) committer
	}
	split := func(mod func(*pipeline.SplitConfig)) (func(string) (*pipeline.Manifest, error), func(string) committer) {
		mk := func(out string) pipeline.SplitConfig {
			c := pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "42"}
			if mod != nil {
				mod(&c)
			}
			return c
		}
		return func(out string) (*pipeline.Manifest, error) { return pipeline.Split(ctx, mk(out)) },
			func(out string) committer { return mk(out) }
	}
	var cases []tc
	add := func(name string, run func(string) (*pipeline.Manifest, error), cfg func(string) committer) {
		cases = append(cases, tc{name, run, cfg})
	}
	r, c := split(nil)
	add("split defaults", r, c)
	r, c = split(func(c *pipeline.SplitConfig) {
		c.Splits = []splitter.Split{{Name: "a", Ratio: 0.5}, {Name: "b", Ratio: 0.3}, {Name: "c", Ratio: 0.2}}
		c.Approx, c.Shuffle = true, true
		c.Parquet.Compression, c.Format = "zstd", "parquet"
	})
	add("split approx shuffle zstd", r, c)
	r, c = split(func(c *pipeline.SplitConfig) {
		c.Group, c.Format, c.RowIndexColumn = "user_id", "csv", "idx"
	})
	add("split group csv", r, c)
	r, c = split(func(c *pipeline.SplitConfig) {
		c.Splits = []splitter.Split{{Name: "train", Rows: 100}, {Name: "test", Rows: 20}}
	})
	add("split sizes", r, c)
	for _, k := range []pipeline.KFoldConfig{{K: 3}, {K: 4, Materialize: true, IndexOnly: true}, {K: 2, Group: "user_id"}} {
		mk := func(out string) pipeline.KFoldConfig {
			k := k
			k.Inputs, k.Out, k.Seed = []string{in}, out, "7"
			return k
		}
		add("kfold", func(out string) (*pipeline.Manifest, error) { return pipeline.KFold(ctx, mk(out)) },
			func(out string) committer { return mk(out) })
	}
	for _, s := range []pipeline.SampleConfig{{Rows: 10}, {Fraction: 0.25, Shuffle: true}, {Fraction: 1, Replace: true}, {Fraction: 1}} {
		mk := func(out string) pipeline.SampleConfig {
			s := s
			s.Inputs, s.Out, s.Seed = []string{in}, out, "my seed"
			return s
		}
		add("sample", func(out string) (*pipeline.Manifest, error) { return pipeline.Sample(ctx, mk(out)) },
			func(out string) committer { return mk(out) })
	}
	for _, s := range []pipeline.ShuffleConfig{{}, {Epoch: 3}} {
		mk := func(out string) pipeline.ShuffleConfig {
			s := s
			s.Inputs, s.Out, s.Seed = []string{in}, out, "1"
			return s
		}
		add("shuffle", func(out string) (*pipeline.Manifest, error) { return pipeline.Shuffle(ctx, mk(out)) },
			func(out string) committer { return mk(out) })
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			if m, err := tc.cfg(out).Committed(ctx, false); m != nil || err != nil {
				t.Fatalf("before the run: Committed = %v, %v; want nil, nil", m, err)
			}
			want, err := tc.run(out)
			if err != nil {
				t.Fatal(err)
			}
			for _, hashes := range []bool{false, true} {
				m, err := tc.cfg(out).Committed(ctx, hashes)
				if err != nil || m == nil || m.Created != want.Created {
					t.Fatalf("hashes %v: Committed = %v, %v; want the run's manifest", hashes, m, err)
				}
			}
		})
	}
}

// TestCommittedNamesTheDifference checks that each kind of difference
// between a committed output and a rerun is refused with its name.
func TestCommittedNamesTheDifference(t *testing.T) {
	ctx := context.Background()
	base := func(in, out string) pipeline.SplitConfig {
		return pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "42"}
	}
	cases := []struct {
		name   string
		change func(t *testing.T, in, out string, cfg *pipeline.SplitConfig)
		hashes bool
		want   string
	}{
		{"seed", func(t *testing.T, in, out string, cfg *pipeline.SplitConfig) { cfg.Seed = "43" }, false, "seed 42, this run's is 43"},
		{"ratios", func(t *testing.T, in, out string, cfg *pipeline.SplitConfig) {
			cfg.Splits = []splitter.Split{{Name: "train", Ratio: 0.9}, {Name: "test", Ratio: 0.1}}
		}, false, "option splits is"},
		{"rows per file", func(t *testing.T, in, out string, cfg *pipeline.SplitConfig) { cfg.RowsPerFile = 50 }, false, "option rows_per_file is 1048576, this run's is 50"},
		{"format", func(t *testing.T, in, out string, cfg *pipeline.SplitConfig) { cfg.Format = "arrow" }, false, "option format is"},
		{"one input changed", func(t *testing.T, in, out string, cfg *pipeline.SplitConfig) {
			path := filepath.Join(in, "part-00001.parquet")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 1 // same size, other contents
			st, _ := os.Stat(path)
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			// The same modification time as well: only the hash tells.
			if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
				t.Fatal(err)
			}
		}, false, "part-00001.parquet changed: other contents"},
		{"input touched", func(t *testing.T, in, out string, cfg *pipeline.SplitConfig) {
			path := filepath.Join(in, "part-00000.parquet")
			when := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
			if err := os.Chtimes(path, when, when); err != nil {
				t.Fatal(err)
			}
		}, false, "part-00000.parquet changed: modified at 2020-01-02T03:04:05Z"},
		{"input added", func(t *testing.T, in, out string, cfg *pipeline.SplitConfig) {
			b, err := os.ReadFile(filepath.Join(in, "part-00000.parquet"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(in, "part-00009.parquet"), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, false, "2 inputs, this run has 3"},
		{"manifest of an older splitdata, without the inputs' identity", func(t *testing.T, in, out string, cfg *pipeline.SplitConfig) {
			m, err := pipeline.ReadManifest(out)
			if err != nil {
				t.Fatal(err)
			}
			for i := range m.Inputs {
				m.Inputs[i].ModTime, m.Inputs[i].EndsSHA256 = time.Time{}, ""
			}
			b, err := json.Marshal(m)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, pipeline.ManifestName), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, false, "the manifest records no identity of its contents"},
		{"output file damaged, with hashes", func(t *testing.T, in, out string, cfg *pipeline.SplitConfig) {
			path := filepath.Join(out, "test", "part-00000.parquet")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 1
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, true, "test/part-00000.parquet"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := genInput(t, 200, 2, 50)
			out := filepath.Join(t.TempDir(), "out")
			cfg := base(in, out)
			if _, err := pipeline.Split(ctx, cfg); err != nil {
				t.Fatal(err)
			}
			tc.change(t, in, out, &cfg)
			m, err := cfg.Committed(ctx, tc.hashes)
			if m != nil || !errors.Is(err, pipeline.ErrOutputDiffers) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Committed = %v, %v; want ErrOutputDiffers naming %q", m, err, tc.want)
			}
		})
	}
}

// TestCommittedNeedsASeed checks that a job without a seed, which would draw
// a fresh one, is a usage error rather than a match.
func TestCommittedNeedsASeed(t *testing.T) {
	cfg := pipeline.SplitConfig{Inputs: []string{"in"}, Out: t.TempDir()}
	if _, err := cfg.Committed(context.Background(), false); !errors.Is(err, pipeline.ErrUsage) {
		t.Fatalf("Committed without a seed = %v, want ErrUsage", err)
	}
}

// TestManifestRecordsInputIdentity checks that a job's manifest records
// each input's modification time and the hash of its ends, as a plan does.
func TestManifestRecordsInputIdentity(t *testing.T) {
	in := genInput(t, 100, 2, 50)
	m, err := pipeline.Split(context.Background(), pipeline.SplitConfig{Inputs: []string{in}, Out: filepath.Join(t.TempDir(), "out"), Seed: "1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range m.Inputs {
		st, err := os.Stat(info.Path)
		if err != nil {
			t.Fatal(err)
		}
		if !info.ModTime.Equal(st.ModTime()) || len(info.EndsSHA256) != 64 {
			t.Errorf("%s: mod_time %v (file %v), ends_sha256 %q", info.Path, info.ModTime, st.ModTime(), info.EndsSHA256)
		}
	}
}
