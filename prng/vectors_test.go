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
	NumpyVersion string        `json:"numpy_version"`
	PCG64        []pcg64Vector `json:"pcg64"`
	Spawn        []spawnVector `json:"spawn"`
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
	if len(v.PCG64) == 0 || len(v.Spawn) == 0 {
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
