package splitter_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// stratifyVectors mirrors testdata/stratify_vectors.json, written by
// testdata/gen_stratify_vectors.py with NumPy through testdata/stratifyv1.py.
// Never edit the JSON: regenerate it, and treat any change of an expected
// value as a change of algorithm version.
type stratifyVectors struct {
	Rounding []struct {
		Counts []int64   `json:"counts"`
		Totals []int64   `json:"totals"`
		Table  [][]int64 `json:"table"`
	} `json:"rounding"`
	Stratified []struct {
		Seed       string      `json:"seed"`
		N          int64       `json:"n"`
		Layout     string      `json:"layout"`
		Option     string      `json:"option"` // --ratios, --sizes or --kfold
		Value      string      `json:"value"`
		Classes    []uint32    `json:"classes"`
		Sizes      [][]int64   `json:"sizes"`
		Boundaries [][]*vBound `json:"boundaries"` // nil: rank n_c
		IDsHex     string      `json:"ids_hex"`
	} `json:"stratified"`
	Groups []struct {
		Seed       string   `json:"seed"`
		N          int64    `json:"n"`
		Option     string   `json:"option"`
		Value      string   `json:"value"`
		Values     []*int64 `json:"values"` // nil: null
		KeysSHA256 string   `json:"keys_sha256"`
		IDsHex     string   `json:"ids_hex"`
	} `json:"groups"`
	Bootstrap []struct {
		Seed   string  `json:"seed"`
		N      int64   `json:"n"`
		K      int64   `json:"k"`
		Sample []int64 `json:"sample"`
	} `json:"bootstrap"`
}

type vBound struct {
	Key   uint64 `json:"key"`
	Index int64  `json:"index"`
}

func loadStratifyVectors(t *testing.T) *stratifyVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/stratify_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	v := new(stratifyVectors)
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatal(err)
	}
	if len(v.Rounding) == 0 || len(v.Stratified) == 0 || len(v.Groups) == 0 || len(v.Bootstrap) == 0 {
		t.Fatal("testdata/stratify_vectors.json lacks a vector group")
	}
	return v
}

// bigGen returns numpy.random.PCG64(seed) for a decimal seed.
func bigGen(t *testing.T, seed string) (*prng.PCG64, *big.Int) {
	t.Helper()
	s, ok := new(big.Int).SetString(seed, 10)
	if !ok {
		t.Fatalf("bad seed %q", seed)
	}
	g, err := prng.NewPCG64(s)
	if err != nil {
		t.Fatal(err)
	}
	return g, s
}

// TestStratifiedRoundingVectors compares StratifiedRounding with NumPy's
// reference tables.
func TestStratifiedRoundingVectors(t *testing.T) {
	for i, v := range loadStratifyVectors(t).Rounding {
		got, err := splitter.StratifiedRounding(v.Counts, v.Totals)
		if err != nil {
			t.Fatalf("rounding %d: %v", i, err)
		}
		if !slices.EqualFunc(got, v.Table, slices.Equal) {
			t.Errorf("rounding %d: StratifiedRounding(%v, %v) = %v, want %v", i, v.Counts[:min(len(v.Counts), 8)], v.Totals, got[:min(len(got), 8)], v.Table[:min(len(v.Table), 8)])
		}
	}
}

// TestStratifiedVectors compares per-class sizes, boundaries and split ids
// with NumPy's, for several workers and batchings.
func TestStratifiedVectors(t *testing.T) {
	rng := testRand(t)
	for _, v := range loadStratifyVectors(t).Stratified {
		name := fmt.Sprintf("seed %s n %d %s %s %s", v.Seed[:min(len(v.Seed), 8)], v.N, v.Layout, v.Option, v.Value)
		t.Run(name, func(t *testing.T) {
			gen, _ := bigGen(t, v.Seed)
			counts := make([]int64, len(v.Sizes))
			for _, c := range v.Classes {
				counts[c]++
			}
			var sizes [][]int64
			var err error
			var nsplits int
			switch v.Option {
			case "--kfold":
				k, _ := strconv.Atoi(v.Value)
				nsplits = k
				sizes, err = splitter.StratifiedKFoldSizes(counts, k)
			default:
				parse := splitter.ParseRatios
				if v.Option == "--sizes" {
					parse = splitter.ParseSizes
				}
				splits, perr := parse(v.Value)
				if perr != nil {
					t.Fatal(perr)
				}
				nsplits = len(splits)
				sizes, err = splitter.StratifiedSizes(counts, splits)
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.EqualFunc(sizes, v.Sizes, slices.Equal) {
				t.Fatalf("sizes %v, want %v", sizes[:min(8, len(sizes))], v.Sizes[:min(8, len(v.Sizes))])
			}
			want := make([][]splitter.Boundary, len(v.Boundaries))
			for c, list := range v.Boundaries {
				want[c] = []splitter.Boundary{}
				for _, b := range list {
					if b == nil {
						want[c] = append(want[c], splitter.Sentinel)
					} else {
						want[c] = append(want[c], splitter.Boundary{Key: b.Key, Index: b.Index})
					}
				}
			}
			wantIDs, _ := hex.DecodeString(v.IDsHex)
			keys := make([]uint64, v.N)
			g := *gen
			g.Fill(keys)
			for _, workers := range []int{1, 2, 3, 8} {
				cuts := randomCuts(rng, int(v.N))
				got, err := splitter.StratifiedBoundaries(t.Context(), gen, classBatches(v.Classes, cuts), v.N, sizes, workers, 0)
				if err != nil {
					t.Fatal(err)
				}
				for c := range want {
					if !slices.Equal(got[c], want[c]) && len(got[c])+len(want[c]) > 0 {
						t.Fatalf("workers %d, cuts %v: class %d boundaries %v, want %v", workers, cuts, c, got[c], want[c])
					}
				}
				ids := make([]uint8, v.N)
				splitter.NewStratifiedAssigner(got, nsplits).Assign(v.Classes, keys, 0, ids)
				if !slices.Equal(ids, wantIDs) {
					t.Fatalf("workers %d: split ids differ from NumPy's", workers)
				}
			}
		})
	}
}

// TestRowBalancedVectors hashes the group values, checks the keys, and
// compares the row-balanced assignment through RowBalancedThresholds and
// ThresholdAssigner with NumPy's.
func TestRowBalancedVectors(t *testing.T) {
	rng := testRand(t)
	for _, v := range loadStratifyVectors(t).Groups {
		t.Run(fmt.Sprintf("seed %s n %d %s %s", v.Seed, v.N, v.Option, v.Value), func(t *testing.T) {
			_, seed := bigGen(t, v.Seed)
			h := splitter.NewGroupHasher(seed)
			keys := make([]uint64, v.N)
			sum := sha256.New()
			for i, val := range v.Values {
				b := []byte{0}
				if val != nil {
					b = append([]byte{1}, strconv.FormatInt(*val, 10)...)
				}
				keys[i] = h.Key(b)
				sum.Write(binary.BigEndian.AppendUint64(nil, keys[i]))
			}
			if got := hex.EncodeToString(sum.Sum(nil)); got != v.KeysSHA256 {
				t.Fatalf("group keys hash to %s, want %s", got, v.KeysSHA256)
			}
			parse := splitter.ParseRatios
			if v.Option == "--sizes" {
				parse = splitter.ParseSizes
			}
			splits, err := parse(v.Value)
			if err != nil {
				t.Fatal(err)
			}
			wantIDs, _ := hex.DecodeString(v.IDsHex)
			for _, workers := range []int{1, 2, 3, 8} {
				upper, err := splitter.RowBalancedThresholds(t.Context(), keyBatches(keys, randomCuts(rng, int(v.N))), v.N, splits, workers, 0)
				if err != nil {
					t.Fatal(err)
				}
				ids := make([]uint8, v.N)
				splitter.NewThresholdAssigner(upper).Assign(keys, 0, ids)
				if !slices.Equal(ids, wantIDs) {
					t.Fatalf("workers %d: thresholds %v give split ids that differ from NumPy's", workers, upper)
				}
			}
		})
	}
}

// TestBootstrapVectors compares Bootstrap with NumPy's sorted
// Generator.integers(0, n, k).
func TestBootstrapVectors(t *testing.T) {
	for _, v := range loadStratifyVectors(t).Bootstrap {
		gen, _ := bigGen(t, v.Seed)
		before := *gen
		got := splitter.Bootstrap(gen, v.N, v.K)
		if !slices.Equal(got, v.Sample) && len(got)+len(v.Sample) > 0 {
			t.Errorf("Bootstrap(seed %s, %d, %d) = %v, want %v", v.Seed, v.N, v.K, got, v.Sample)
		}
		if *gen != before {
			t.Errorf("Bootstrap(seed %s) advanced its generator", v.Seed)
		}
	}
}

// keyBatches returns the stream of keys cut at the given batch lengths.
func keyBatches(keys []uint64, cuts []int) splitter.KeyBatches {
	return func(yield func(int64, []uint64) bool) {
		for i, c := 0, 0; i < len(keys); c++ {
			size := min(cuts[c%len(cuts)], len(keys)-i)
			if !yield(int64(i), keys[i:i+size]) {
				return
			}
			i += size
		}
	}
}
