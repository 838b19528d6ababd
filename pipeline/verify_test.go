package pipeline_test

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

func TestVerify(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, out string)
		want   string // "" for a clean output
	}{
		{"clean", func(*testing.T, string) {}, ""},
		{"flipped byte", func(t *testing.T, out string) {
			p := filepath.Join(out, "train", "part-00000.parquet")
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)/2] ^= 1
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "train/part-00000.parquet: sha256"},
		{"missing file", func(t *testing.T, out string) {
			if err := os.Remove(filepath.Join(out, "test", "part-00000.parquet")); err != nil {
				t.Fatal(err)
			}
		}, "test/part-00000.parquet: missing from the output"},
		{"stray file", func(t *testing.T, out string) {
			if err := os.WriteFile(filepath.Join(out, "test", "part-00009.parquet"), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}, "test/part-00009.parquet: not in the manifest"},
		{"truncated file", func(t *testing.T, out string) {
			if err := os.Truncate(filepath.Join(out, "train", "part-00001.parquet"), 100); err != nil {
				t.Fatal(err)
			}
		}, "train/part-00001.parquet: 100 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			runSplit(t, pipeline.SplitConfig{Inputs: []string{goldenInput}, Out: out, Seed: "5", JobOptions: pipeline.JobOptions{RowsPerFile: 1000}})
			tc.damage(t, out)
			r, err := pipeline.Verify(t.Context(), out)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("clean output: %v", err)
				}
				if r.Rows != 2000 || r.Files != 3 {
					t.Errorf("report = %+v, want 2000 rows in 3 files", r)
				}
				return
			}
			if !errors.Is(err, pipeline.ErrVerify) {
				t.Fatalf("err = %v, want ErrVerify", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestVerifyWithInputs(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  pipeline.SplitConfig
	}{
		{"exact", pipeline.SplitConfig{}},
		{"approx 3-way", pipeline.SplitConfig{Approx: true, Splits: mustRatios(t, "a=0.5,b=0.3,c=0.2")}},
		{"sizes with unassigned rows", pipeline.SplitConfig{Splits: mustSizes(t, "train=900,test=300")}},
		{"shuffle", pipeline.SplitConfig{Shuffle: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			cfg := tc.cfg
			cfg.Inputs, cfg.Out, cfg.Seed, cfg.RowsPerFile, cfg.RowGroupRows = []string{goldenInput}, out, "11", 700, 128
			runSplit(t, cfg)
			r, err := pipeline.VerifyWithInputs(t.Context(), out, []string{goldenInput})
			if err != nil || !r.RowsChecked {
				t.Fatalf("clean output: %v, report %+v", err, r)
			}

			// The same files under another seed's manifest: the hashes still
			// match, the rows do not.
			path := filepath.Join(out, pipeline.ManifestName)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(strings.Replace(string(b), `"seed": "11"`, `"seed": "12"`, 1)), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := pipeline.Verify(t.Context(), out); err != nil {
				t.Fatalf("hash-only verify should still pass: %v", err)
			}
			_, err = pipeline.VerifyWithInputs(t.Context(), out, []string{goldenInput})
			if !errors.Is(err, pipeline.ErrVerify) {
				t.Fatalf("wrong seed: err = %v, want ErrVerify", err)
			}
		})
	}
}

func TestVerifyWithOtherInputs(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	runSplit(t, pipeline.SplitConfig{Inputs: []string{goldenInput}, Out: out, Seed: "1"})
	_, err := pipeline.VerifyWithInputs(t.Context(), out, []string{filepath.Join(goldenInput, "part-00000.parquet")})
	if !errors.Is(err, pipeline.ErrVerify) || !strings.Contains(err.Error(), "inputs: 1 given, the manifest lists 2") {
		t.Fatalf("err = %v", err)
	}
}

func mustRatios(t *testing.T, s string) []splitter.Split {
	t.Helper()
	splits, err := splitter.ParseRatios(s)
	if err != nil {
		t.Fatal(err)
	}
	return splits
}

func mustSizes(t *testing.T, s string) []splitter.Split {
	t.Helper()
	splits, err := splitter.ParseSizes(s)
	if err != nil {
		t.Fatal(err)
	}
	return splits
}

func TestSplitIndexOnly(t *testing.T) {
	for _, shuffle := range []bool{false, true} {
		base := pipeline.SplitConfig{Inputs: []string{goldenInput}, Seed: "3", Splits: mustRatios(t, "a=0.6,b=0.4"), Shuffle: shuffle, JobOptions: pipeline.JobOptions{RowsPerFile: 500, RowGroupRows: 100}}
		full := filepath.Join(t.TempDir(), "full")
		cfg := base
		cfg.Out = full
		mFull := runSplit(t, cfg)
		idx := filepath.Join(t.TempDir(), "idx")
		cfg = base
		cfg.Out, cfg.IndexOnly = idx, true
		mIdx := runSplit(t, cfg)
		if !mIdx.Options.IndexOnly {
			t.Fatal("manifest does not record index_only")
		}
		for s := range mFull.Splits {
			// The id column of the gen table is the global row index, so the
			// index files must list exactly the ids of the full split, in the
			// same order.
			want := readIDs(t, full, mFull.Splits[s])
			got := readColumn(t, idx, mIdx.Splits[s], "row")
			if !slices.Equal(got, want) {
				t.Errorf("shuffle=%v split %s: index file differs from the split's ids", shuffle, mIdx.Splits[s].Name)
			}
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), idx, []string{goldenInput}); err != nil {
			t.Errorf("shuffle=%v: %v", shuffle, err)
		}
	}
}

// readColumn reads an int64 column of every file of a split, in file order.
func readColumn(t *testing.T, dir string, s pipeline.SplitInfo, name string) []int64 {
	t.Helper()
	var vals []int64
	for _, f := range s.Files {
		p, err := sources.OpenParquetFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		col, ok := p.Schema().Lookup(name)
		if !ok {
			t.Fatalf("%s: no column %q", f.Path, name)
		}
		for rg := range p.NumRowGroups() {
			err := p.ReadRowGroup(t.Context(), rg, 256, func(rows []parquet.Row) error {
				for _, r := range rows {
					vals = append(vals, r[col.ColumnIndex].Int64())
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		p.Close()
	}
	return vals
}

func TestSplitRowIndexColumn(t *testing.T) {
	for _, shuffle := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "out")
		m := runSplit(t, pipeline.SplitConfig{Inputs: []string{goldenInput}, Out: out, Seed: "3", Shuffle: shuffle, JobOptions: pipeline.JobOptions{RowIndexColumn: "global_row"}})
		for _, s := range m.Splits {
			// The gen table's id column is the global row index: the two
			// columns must agree row by row, and the schema keep its order.
			ids, idx := readIDs(t, out, s), readColumn(t, out, s, "global_row")
			if !slices.Equal(ids, idx) {
				t.Fatalf("shuffle=%v %s: global_row differs from id", shuffle, s.Name)
			}
			p, err := sources.OpenParquetFile(filepath.Join(out, filepath.FromSlash(s.Files[0].Path)))
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, f := range p.Schema().Fields() {
				names = append(names, f.Name())
			}
			p.Close()
			if want := []string{"id", "user_id", "label", "x1", "x2", "text", "ts", "global_row"}; !slices.Equal(names, want) {
				t.Fatalf("columns %v, want %v", names, want)
			}
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{goldenInput}); err != nil {
			t.Fatal(err)
		}
	}
	for _, bad := range []pipeline.SplitConfig{{JobOptions: pipeline.JobOptions{RowIndexColumn: "id"}}, {IndexOnly: true, JobOptions: pipeline.JobOptions{RowIndexColumn: "r"}}} {
		bad.Inputs, bad.Out, bad.Seed = []string{goldenInput}, filepath.Join(t.TempDir(), "out"), "1"
		if _, err := pipeline.Split(t.Context(), bad); !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%+v: err = %v, want a usage error", bad, err)
		}
	}
}
