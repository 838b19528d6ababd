package splitter_test

import (
	"encoding/json"
	"os"
	"sync"
	"testing"
)

// The types below mirror testdata/vectors.json, written by
// testdata/gen_vectors.py with NumPy and scikit-learn. Never edit the JSON:
// regenerate it, and treat any change of an expected value as a change of
// algorithm version.

type vectorFile struct {
	NumpyVersion   string             `json:"numpy_version"`
	SklearnVersion string             `json:"sklearn_version"`
	Seeds          []seedVector       `json:"seeds"`
	Sklearn        []sklearnVector    `json:"sklearn"`
	RatioSizes     []ratioSizesVector `json:"ratio_sizes"`
	Assign         []assignVector     `json:"assign"`
}

// seedVector is the master seed splitv1.seed_value makes of Text.
type seedVector struct {
	Text string `json:"text"`
	Seed string `json:"seed"`
}

// sklearnVector is the (train, test) sizes of scikit-learn's
// train_test_split(test_size=TestSize, train_size=TrainSize) over N rows.
// TestSize is a fraction or a count; TrainSize, if set, a count.
type sklearnVector struct {
	N         int64    `json:"n"`
	TestSize  string   `json:"test_size"`
	TrainSize string   `json:"train_size"`
	Sizes     [2]int64 `json:"sizes"`
}

// ratioSizesVector is the exact sizes of a ratio list over N rows.
type ratioSizesVector struct {
	Ratios string  `json:"ratios"`
	N      int64   `json:"n"`
	Sizes  []int64 `json:"sizes"`
}

// assignVector is a whole assignment computed by splitv1.assign.
type assignVector struct {
	Seed   string `json:"seed"`
	N      int64  `json:"n"`
	Option string `json:"option"` // --ratios, --sizes or --test-size
	Value  string `json:"value"`
	Approx bool   `json:"approx"`
	// Sizes and Boundaries are set for exact splits; a nil boundary is
	// rank n (Sentinel).
	Sizes      []int64 `json:"sizes"`
	Boundaries []*struct {
		Key   uint64 `json:"key"`
		Index int64  `json:"index"`
	} `json:"boundaries"`
	Counts    []int64  `json:"counts"`  // rows per split id, unassigned last
	IDsHex    string   `json:"ids_hex"` // one byte a row, only for small n
	IDsSHA256 string   `json:"ids_sha256"`
	FirstKeys []uint64 `json:"first_keys"`
}

var vectors = sync.OnceValues(func() (*vectorFile, error) {
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		return nil, err
	}
	v := new(vectorFile)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	return v, nil
})

// loadVectors returns the parsed testdata/vectors.json.
func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	v, err := vectors()
	if err != nil {
		t.Fatalf("read vectors: %v", err)
	}
	if len(v.Seeds) == 0 || len(v.Sklearn) == 0 || len(v.RatioSizes) == 0 || len(v.Assign) == 0 {
		t.Fatal("testdata/vectors.json lacks a vector group")
	}
	return v
}
