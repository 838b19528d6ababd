package pipeline_test

import (
	"cmp"
	"math/big"
	"path/filepath"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
)

// canonical is the order of rows 0..n-1 by (key, i), the keys drawn from
// PCG64(seed).jumped(epoch), straight from the spec.
func canonical(t *testing.T, seed int64, epoch uint64, n int) []int64 {
	t.Helper()
	gen, err := prng.NewPCG64(big.NewInt(seed))
	if err != nil {
		t.Fatal(err)
	}
	gen = gen.Jumped(epoch)
	keys := make([]uint64, n)
	gen.Fill(keys)
	order := make([]int64, n)
	for i := range order {
		order[i] = int64(i)
	}
	slices.SortFunc(order, func(a, b int64) int { return cmp.Or(cmp.Compare(keys[a], keys[b]), cmp.Compare(a, b)) })
	return order
}

func TestShuffle(t *testing.T) {
	const n = 2000
	var want string
	for _, tc := range []struct {
		memory  int64
		workers int
	}{{0, 1}, {0, 3}, {256 << 10, 2}} {
		out := filepath.Join(t.TempDir(), "out")
		m, err := pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{goldenInput}, Out: out, Seed: "8", Epoch: 2, JobOptions: pipeline.JobOptions{ShuffleMemory: tc.memory, Workers: tc.workers, RowsPerFile: 700, RowGroupRows: 128}})
		if err != nil {
			t.Fatal(err)
		}
		if len(m.Splits) != 1 || m.Splits[0].Files[0].Path != "part-00000.parquet" || m.Command != "shuffle" || m.Options.Epoch != 2 {
			t.Fatalf("manifest: %+v", m)
		}
		if got := readIDs(t, out, m.Splits[0]); !slices.Equal(got, canonical(t, 8, 2, n)) {
			t.Fatalf("memory %d: rows are not in canonical order for epoch 2", tc.memory)
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{goldenInput}); err != nil {
			t.Fatal(err)
		}
		if got := fingerprint(m); want == "" {
			want = got
		} else if got != want {
			t.Errorf("memory %d, workers %d: bytes differ", tc.memory, tc.workers)
		}
	}
	// Epochs give different orders; epoch 0 is split --shuffle's.
	if slices.Equal(canonical(t, 8, 0, n), canonical(t, 8, 1, n)) {
		t.Fatal("epochs 0 and 1 give the same order")
	}
	out := filepath.Join(t.TempDir(), "out")
	m, err := pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{goldenInput}, Out: out, Seed: "8"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(readIDs(t, out, m.Splits[0]), canonical(t, 8, 0, n)) {
		t.Fatal("epoch 0: not the canonical order of PCG64(seed)")
	}
}

// TestShuffleSmallInputSmallMemory: a tiny input under a small --memory is
// ordered in memory; the limit applies to the rows, not to the allocation
// granularity of the buffers holding them.
func TestShuffleSmallInputSmallMemory(t *testing.T) {
	in := genInput(t, 10, 1, 10)
	if _, err := pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{in}, Out: filepath.Join(t.TempDir(), "out"), Seed: "1", JobOptions: pipeline.JobOptions{ShuffleMemory: 64 << 10}}); err != nil {
		t.Fatal(err)
	}
}

// TestCommandsSameBytesForAnyChunking: the same rows cut into other files
// and row groups give the same bytes for shuffle (spilled or not), sample,
// kfold and index-only splits.
func TestCommandsSameBytesForAnyChunking(t *testing.T) {
	const rows = 12_000
	layouts := []struct {
		files int
		rg    int64
	}{{1, 12_000}, {3, 1_000}, {5, 777}}
	runs := map[string]func(in, out string) (*pipeline.Manifest, error){
		"shuffle in memory": func(in, out string) (*pipeline.Manifest, error) {
			return pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{in}, Out: out, Seed: "2", JobOptions: pipeline.JobOptions{RowsPerFile: 5_000}})
		},
		"shuffle spilled": func(in, out string) (*pipeline.Manifest, error) {
			return pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{in}, Out: out, Seed: "2", JobOptions: pipeline.JobOptions{RowsPerFile: 5_000, ShuffleMemory: 512 << 10}})
		},
		"sample": func(in, out string) (*pipeline.Manifest, error) {
			return pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{in}, Out: out, Seed: "2", Fraction: 0.3})
		},
		"kfold index-only": func(in, out string) (*pipeline.Manifest, error) {
			return pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: "2", K: 3, IndexOnly: true})
		},
	}
	ins := make([]string, len(layouts))
	for i, l := range layouts {
		ins[i] = genInput(t, rows, l.files, l.rg)
	}
	for name, runJob := range runs {
		var want string
		for i, in := range ins {
			m, err := runJob(in, filepath.Join(t.TempDir(), "out"))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if got := fingerprint(m); i == 0 {
				want = got
			} else if got != want {
				t.Errorf("%s: layout %+v gives other bytes than %+v", name, layouts[i], layouts[0])
			}
		}
	}
}
