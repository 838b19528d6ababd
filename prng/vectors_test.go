package prng_test

import (
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"sync"
	"testing"
)

// The types below mirror testdata/vectors.json, written by
// testdata/gen_vectors.py from NumPy.

type vectorFile struct {
	NumpyVersion string            `json:"numpy_version"`
	PCG64        []pcg64Vector     `json:"pcg64"`
	Spawn        []spawnVector     `json:"spawn"`
	Uint32Ops    []uint32OpsVector `json:"uint32_ops"`
	Generator    []generatorVector `json:"generator"`
	LongRuns     []longRunVector   `json:"long_runs"`
	Ziggurat     map[string]struct {
		W     []float64 `json:"w"`
		K     []uint64  `json:"k"`
		Wedge []struct {
			Idx int    `json:"idx"`
			M   uint64 `json:"m"`   // magnitude bits of the forced draw
			U53 uint64 `json:"u53"` // smallest 53-bit uniform that rejects
		} `json:"wedge"`
	} `json:"ziggurat"`
	Tails map[string][]struct {
		M     uint64  `json:"m"`
		U53   uint64  `json:"u53"`
		Value float64 `json:"value"`
	} `json:"tails"`
	Force struct {
		H1  uint64 `json:"h1"`
		H2  uint64 `json:"h2"`
		Inc string `json:"inc"`
	} `json:"force"`
}

type uint32OpsVector struct {
	Name  string `json:"name"`
	Seed  string `json:"seed"`
	Steps []struct {
		Op    string  `json:"op"`    // u32, u64, adv<n> or jump (jumped(1))
		Value *uint64 `json:"value"` // the draw, for u32 and u64
		State string  `json:"state"` // NumPy's state after the op, compact JSON
	} `json:"steps"`
}

type generatorVector struct {
	Name     string    `json:"name"`
	Seed     string    `json:"seed"`
	Random   []float64 `json:"random"`
	Integers []struct {
		Low    int64   `json:"low"`
		High   int64   `json:"high"`
		Values []int64 `json:"values"`
	} `json:"integers"`
	IntegersState string `json:"integers_state"`
	Permutations  []struct {
		N      int   `json:"n"`
		Values []int `json:"values"`
	} `json:"permutations"`
	PermutationsState string `json:"permutations_state"`
	IntegersClosed    []struct {
		Low    int64   `json:"low"`
		High   int64   `json:"high"`
		Values []int64 `json:"values"`
	} `json:"integers_closed"`
	IntegersClosedState string `json:"integers_closed_state"`
	IntegersReject      []struct {
		Low    int64   `json:"low"`
		High   int64   `json:"high"`
		Values []int64 `json:"values"`
	} `json:"integers_reject"`
	IntegersRejectState string     `json:"integers_reject_state"`
	Shuffle             [][]string `json:"shuffle"`
	ShuffleState        string     `json:"shuffle_state"`
	StandardNormal      []float64  `json:"standard_normal"`
	StandardExponential []float64  `json:"standard_exponential"`
	Triangular          []struct {
		Left   float64   `json:"left"`
		Mode   float64   `json:"mode"`
		Right  float64   `json:"right"`
		Values []float64 `json:"values"`
	} `json:"triangular"`
}

type longRunVector struct {
	Dist   string    `json:"dist"`
	Seed   string    `json:"seed"`
	N      int       `json:"n"`
	First  []float64 `json:"first"`
	SHA256 string    `json:"sha256"`
	State  string    `json:"state"`
}

type seedSeqVector struct {
	Entropy  string   `json:"entropy"`
	SpawnKey []uint32 `json:"spawn_key"`
	Pool     []uint32 `json:"pool"`
	State32  []uint32 `json:"state32"`
	State64  []uint64 `json:"state64"`
	PCG64Raw []uint64 `json:"pcg64_raw"`
}

type stateVector struct {
	State string   `json:"state"` // NumPy's bit_generator.state as compact JSON
	Raw   []uint64 `json:"raw"`   // random_raw after reaching State
}

type pcg64Vector struct {
	Name    string        `json:"name"`
	Seed    string        `json:"seed"`
	State   string        `json:"state"`
	SeedSeq seedSeqVector `json:"seedseq"`
	Raw     []uint64      `json:"raw"`
	Advance []struct {
		Delta string `json:"delta"`
		stateVector
	} `json:"advance"`
	Jumped []struct {
		Jumps uint64 `json:"jumps"`
		stateVector
	} `json:"jumped"`
}

type spawnVector struct {
	Entropy          string          `json:"entropy"`
	Explicit         *seedSeqVector  `json:"explicit"`
	Children         []seedSeqVector `json:"children"`
	GrandchildrenOf1 []seedSeqVector `json:"grandchildren_of_1"`
}

var loadVectorsOnce = sync.OnceValues(func() (*vectorFile, error) {
	b, err := os.ReadFile("testdata/vectors.json")
	if err != nil {
		return nil, err
	}
	v := new(vectorFile)
	if err := json.Unmarshal(b, v); err != nil {
		return nil, err
	}
	if len(v.PCG64) == 0 || len(v.Spawn) == 0 || len(v.Generator) == 0 || len(v.Ziggurat) != 2 {
		return nil, errors.New("vectors.json holds no vectors")
	}
	return v, nil
})

// loadVectors returns the NumPy-made vectors, failing the test if they cannot
// be read.
func loadVectors(t testing.TB) *vectorFile {
	t.Helper()
	v, err := loadVectorsOnce()
	if err != nil {
		t.Fatalf("load vectors: %v", err)
	}
	return v
}

// bigInt parses a decimal integer from the vectors.
func bigInt(t testing.TB, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("bad integer %q in vectors", s)
	}
	return n
}
