package prng_test

import (
	"errors"
	"math/big"
	"slices"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

// checkSeedSeq compares s with a NumPy SeedSequence vector.
func checkSeedSeq(t *testing.T, s *prng.SeedSequence, want seedSeqVector) {
	t.Helper()
	if got := s.Entropy().String(); got != want.Entropy {
		t.Errorf("Entropy() = %s, want %s", got, want.Entropy)
	}
	if got := s.SpawnKey(); !slices.Equal(got, want.SpawnKey) && len(got)+len(want.SpawnKey) > 0 {
		t.Errorf("SpawnKey() = %v, want %v", got, want.SpawnKey)
	}
	if got := s.Pool(); !slices.Equal(got[:], want.Pool) {
		t.Errorf("Pool() = %v, want %v", got, want.Pool)
	}
	if got := s.GenerateState32(len(want.State32)); !slices.Equal(got, want.State32) {
		t.Errorf("GenerateState32(%d) = %v, want %v", len(want.State32), got, want.State32)
	}
	if got := s.GenerateState64(len(want.State64)); !slices.Equal(got, want.State64) {
		t.Errorf("GenerateState64(%d) = %v, want %v", len(want.State64), got, want.State64)
	}
	p := prng.NewPCG64FromSeedSequence(s)
	for i, w := range want.PCG64Raw {
		if got := p.Uint64(); got != w {
			t.Errorf("PCG64(seed sequence) output %d = %#x, want %#x", i, got, w)
		}
	}
}

func TestSeedSequence(t *testing.T) {
	for _, v := range loadVectors(t).PCG64 {
		t.Run(v.Name, func(t *testing.T) {
			s, err := prng.NewSeedSequence(bigInt(t, v.SeedSeq.Entropy))
			if err != nil {
				t.Fatal(err)
			}
			checkSeedSeq(t, s, v.SeedSeq)
		})
	}
}

func TestSeedSequenceSpawn(t *testing.T) {
	for _, v := range loadVectors(t).Spawn {
		t.Run(v.Entropy, func(t *testing.T) {
			if v.Explicit != nil {
				s, err := prng.NewSeedSequence(bigInt(t, v.Explicit.Entropy), v.Explicit.SpawnKey...)
				if err != nil {
					t.Fatal(err)
				}
				checkSeedSeq(t, s, *v.Explicit)
				return
			}
			root, err := prng.NewSeedSequence(bigInt(t, v.Entropy))
			if err != nil {
				t.Fatal(err)
			}
			// NumPy: kids = root.spawn(3) + root.spawn(2).
			kids := append(root.Spawn(3), root.Spawn(2)...)
			if got := root.NChildrenSpawned(); got != 5 {
				t.Errorf("NChildrenSpawned() = %d, want 5", got)
			}
			if len(kids) != len(v.Children) {
				t.Fatalf("spawned %d children, vectors have %d", len(kids), len(v.Children))
			}
			for i, k := range kids {
				checkSeedSeq(t, k, v.Children[i])
			}
			grand := kids[1].Spawn(2)
			for i, g := range grand {
				checkSeedSeq(t, g, v.GrandchildrenOf1[i])
			}
		})
	}
}

func TestSeedSequenceSpawnDoesNotAlias(t *testing.T) {
	root, err := prng.NewSeedSequence(big.NewInt(1), 9)
	if err != nil {
		t.Fatal(err)
	}
	a := root.Spawn(1)[0]
	b := root.Spawn(1)[0]
	key := a.SpawnKey()
	key[0] = 99 // must not reach a
	if got := a.SpawnKey(); !slices.Equal(got, []uint32{9, 0}) {
		t.Errorf("first child SpawnKey() = %v, want [9 0]", got)
	}
	if got := b.SpawnKey(); !slices.Equal(got, []uint32{9, 1}) {
		t.Errorf("second child SpawnKey() = %v, want [9 1]", got)
	}
	e := root.Entropy()
	e.SetInt64(5) // must not reach root
	if got := root.Entropy().Int64(); got != 1 {
		t.Errorf("Entropy() after caller mutation = %d, want 1", got)
	}
}

func TestNewSeedSequenceBadEntropy(t *testing.T) {
	tests := []struct {
		name    string
		entropy *big.Int
		want    error
	}{
		{"nil", nil, prng.ErrNilEntropy},
		{"minus one", big.NewInt(-1), prng.ErrNegativeEntropy},
		{"minus 2^70", new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 70)), prng.ErrNegativeEntropy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := prng.NewSeedSequence(tt.entropy)
			if !errors.Is(err, tt.want) {
				t.Errorf("NewSeedSequence(%v) error = %v, want %v", tt.entropy, err, tt.want)
			}
			if s != nil {
				t.Errorf("NewSeedSequence(%v) returned a sequence with an error", tt.entropy)
			}
			p, err := prng.NewPCG64(tt.entropy)
			if !errors.Is(err, tt.want) || p != nil {
				t.Errorf("NewPCG64(%v) = %v, %v; want nil, %v", tt.entropy, p, err, tt.want)
			}
			g, err := prng.DefaultRNG(tt.entropy)
			if !errors.Is(err, tt.want) || g != nil {
				t.Errorf("DefaultRNG(%v) = %v, %v; want nil, %v", tt.entropy, g, err, tt.want)
			}
		})
	}
}
