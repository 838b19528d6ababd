package pipeline_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// compatVector is one case of splitter/testdata/compat_vectors.json, made
// by scikit-learn, NumPy, PyTorch and CPython themselves.
type compatVector struct {
	Mode  string `json:"mode"`
	N     int64  `json:"n"`
	Seed  string `json:"seed"`
	Kind  string `json:"kind"`
	Spec  string `json:"spec"`
	K     int    `json:"k"`
	Error bool   `json:"error"`
	Parts []struct {
		Values []int64 `json:"values"`
		Head   []int64 `json:"head"`
		Len    int     `json:"len"`
		SHA256 string  `json:"sha256"`
	} `json:"parts"`
}

// TestCompatEndToEnd runs split, shuffle and kfold with --compat on a
// 1000-row input cut into small row groups over two files, with several
// worker counts and a spilling shuffle, and checks that every output holds
// exactly the rows the Python library returns, in its order.
func TestCompatEndToEnd(t *testing.T) {
	data, err := os.ReadFile("../splitter/testdata/compat_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vectors map[string]json.RawMessage
	if err := json.Unmarshal(data, &vectors); err != nil {
		t.Fatal(err)
	}
	in := genInput(t, 1000, 2, 128)
	run := 0
	for _, command := range []string{"split", "shuffle", "kfold"} {
		var vs []compatVector
		if err := json.Unmarshal(vectors[command], &vs); err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.N != 1000 || v.Error {
				continue
			}
			run++
			name := fmt.Sprintf("%s/%s/seed=%s/%s%s/k=%d", command, v.Mode, v.Seed, v.Kind, v.Spec, v.K)
			opts := pipeline.JobOptions{Workers: 1 + run%3, RowGroupRows: 300}
			if run%4 == 0 {
				opts.ShuffleMemory = 64 << 10 // spill
			}
			out := filepath.Join(t.TempDir(), "out")
			mode := splitter.CompatMode(v.Mode)
			var m *pipeline.Manifest
			switch command {
			case "split":
				var splits []splitter.Split
				switch v.Kind {
				case "test_size":
					splits, err = splitter.ParseTestSize(v.Spec)
				case "ratios":
					splits, err = splitter.ParseRatios(v.Spec)
				case "sizes":
					splits, err = splitter.ParseSizes(v.Spec)
				}
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				m, err = pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: prng.Seed(v.Seed), Splits: splits, Compat: mode, JobOptions: opts})
			case "shuffle":
				m, err = pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{in}, Out: out, Seed: prng.Seed(v.Seed), Compat: mode, JobOptions: opts})
			case "kfold":
				m, err = pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: out, Seed: prng.Seed(v.Seed), K: v.K, Compat: mode, JobOptions: opts})
			}
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if len(m.Splits) != len(v.Parts) {
				t.Fatalf("%s: %d splits, the library returns %d parts", name, len(m.Splits), len(v.Parts))
			}
			for j, s := range m.Splits {
				ids := readIDs(t, out, s)
				want := v.Parts[j]
				if want.Values != nil {
					if !slices.Equal(ids, want.Values) {
						t.Fatalf("%s: split %s = %v, the library returns %v", name, s.Name, ids, want.Values)
					}
					continue
				}
				if len(ids) != want.Len || !slices.Equal(ids[:min(len(ids), len(want.Head))], want.Head) || leSHA256(ids) != want.SHA256 {
					t.Fatalf("%s: split %s has %d rows starting %v, the library returns %d starting %v",
						name, s.Name, len(ids), ids[:min(len(ids), 10)], want.Len, want.Head[:min(len(want.Head), 10)])
				}
			}
			if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{in}); err != nil {
				t.Fatalf("%s: verify: %v", name, err)
			}
		}
	}
	if run < 50 {
		t.Fatalf("only %d vectors with n = 1000", run)
	}
}

// leSHA256 hashes values as little-endian int64s, as the vector script does.
func leSHA256(values []int64) string {
	b := make([]byte, 0, 8*len(values))
	for _, v := range values {
		b = binary.LittleEndian.AppendUint64(b, uint64(v))
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestCompatRefusals(t *testing.T) {
	in := genInput(t, 100, 1, 50)
	for name, cfg := range map[string]pipeline.SplitConfig{
		"group":         {Compat: "sklearn", Seed: "1", Group: "user_id"},
		"approx":        {Compat: "torch", Seed: "1", Approx: true},
		"no seed":       {Compat: "hf"},
		"unknown mode":  {Compat: "spark", Seed: "1"},
		"three splits":  {Compat: "sklearn", Seed: "1", Splits: []splitter.Split{{Name: "a", Ratio: 0.5}, {Name: "b", Ratio: 0.3}, {Name: "c", Ratio: 0.2}}},
		"negative seed": {Compat: "sklearn", Seed: "-1"},
	} {
		cfg.Inputs, cfg.Out = []string{in}, filepath.Join(t.TempDir(), "out")
		if _, err := pipeline.Split(t.Context(), cfg); !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%s: err = %v, want a usage error", name, err)
		}
	}
	if _, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: filepath.Join(t.TempDir(), "out"), Seed: "1", K: 3, Compat: "torch"}); !errors.Is(err, pipeline.ErrUsage) {
		t.Errorf("kfold with torch: err = %v, want a usage error", err)
	}
}
