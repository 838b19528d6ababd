package pipeline_test

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// numpyAssign is one end-to-end vector of splitter/testdata/vectors.json,
// written by splitter/testdata/gen_vectors.py with NumPy: the split id of
// every row (ids_hex, one byte per row; len(splits) = in no split).
type numpyAssign struct {
	Seed   string `json:"seed"`
	N      int64  `json:"n"`
	Option string `json:"option"`
	Value  string `json:"value"`
	Approx bool   `json:"approx"`
	IDsHex string `json:"ids_hex"`
}

// TestSplitMatchesNumPy runs the whole pipeline on generated inputs of the
// vectors' sizes, chunked into uneven files and row groups, and checks that
// every row lands in the split NumPy computed for it.
func TestSplitMatchesNumPy(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "splitter", "testdata", "vectors.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Assign []numpyAssign `json:"assign"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	parse := map[string]func(string) ([]splitter.Split, error){
		"--ratios":    splitter.ParseRatios,
		"--sizes":     splitter.ParseSizes,
		"--test-size": splitter.ParseTestSize,
	}
	ran := 0
	for _, vec := range v.Assign {
		if vec.IDsHex == "" || vec.N < 100 {
			continue // large vectors carry only a digest; tiny ones are splitter's
		}
		ran++
		t.Run(fmt.Sprintf("%s/%d/%s=%s/approx=%v", vec.Seed, vec.N, vec.Option, vec.Value, vec.Approx), func(t *testing.T) {
			want, err := hex.DecodeString(vec.IDsHex)
			if err != nil || int64(len(want)) != vec.N {
				t.Fatalf("bad vector: %d ids for n=%d (%v)", len(want), vec.N, err)
			}
			splits, err := parse[vec.Option](vec.Value)
			if err != nil {
				t.Fatal(err)
			}
			in := genInput(t, vec.N, 3, 97)
			out := filepath.Join(t.TempDir(), "out")
			m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: prng.Seed(vec.Seed), Splits: splits, Approx: vec.Approx, JobOptions: pipeline.JobOptions{Workers: 3}})
			got := make([]int, vec.N)
			for i := range got {
				got[i] = len(splits) // unassigned unless found
			}
			for s, info := range m.Splits {
				for _, id := range readIDs(t, out, info) {
					got[id] = s
				}
			}
			for i, w := range want {
				if got[i] != int(w) {
					t.Fatalf("row %d in split %d, NumPy says %d", i, got[i], w)
				}
			}
		})
	}
	if ran < 5 {
		t.Fatalf("only %d usable vectors in splitter/testdata/vectors.json", ran)
	}
}
