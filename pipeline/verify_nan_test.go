package pipeline_test

import (
	"path/filepath"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// TestVerifyInputWithNaN: rows holding NaN are where they belong, so
// verify --input finds no difference (a comparison with == saw every NaN
// row as differing from itself).
func TestVerifyInputWithNaN(t *testing.T) {
	in := writeOrderInput(t, 600, 250, 100, true)
	for _, shuffle := range []bool{false, true} {
		out := filepath.Join(t.TempDir(), "out")
		if _, err := pipeline.Split(t.Context(), pipeline.SplitConfig{
			Inputs: []string{in}, Out: out, Seed: "7", Shuffle: shuffle,
			Splits: []splitter.Split{{Name: "train", Ratio: 0.8}, {Name: "test", Ratio: 0.2}},
		}); err != nil {
			t.Fatal(err)
		}
		r, err := pipeline.VerifyWithConfig(t.Context(), pipeline.VerifyConfig{Dir: out, Inputs: []string{in}})
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Problems) != 0 || !r.RowsChecked {
			t.Errorf("shuffle %v: verify --input: %q (rows checked %v), want no problem", shuffle, r.Problems, r.RowsChecked)
		}
	}
}
