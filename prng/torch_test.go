package prng_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

// torchSeed converts a vector seed in [-2^63, 2^64-1] to manual_seed's
// uint64.
func torchSeed(t *testing.T, s string) uint64 {
	t.Helper()
	n := bigArg(t, s)
	if n.Sign() < 0 {
		n.Add(n, new(big.Int).Lsh(big.NewInt(1), 64))
	}
	if !n.IsUint64() {
		t.Fatalf("seed %s outside torch's range", s)
	}
	return n.Uint64()
}

func TestTorchVectors(t *testing.T) {
	v := compatVectors(t)
	if len(v.Torch) == 0 {
		t.Fatal("no torch vectors")
	}
	for _, c := range v.Torch {
		t.Run(c.Name, func(t *testing.T) {
			seed := torchSeed(t, c.Seed)
			g := prng.NewTorchGenerator(seed)
			if got := strconv.FormatUint(g.InitialSeed(), 10); got != c.InitialSeed {
				t.Fatalf("initial_seed = %s, want %s", got, c.InitialSeed)
			}
			// The raw words came from random64() pairs: check both widths.
			checkRawWindows(t, c.Raw, g.Uint32)
			g64 := prng.NewTorchGenerator(seed)
			var pending []uint32
			checkRawWindows(t, c.Raw, func() uint32 {
				if len(pending) == 0 {
					v := g64.Uint64()
					pending = []uint32{uint32(v >> 32), uint32(v)}
				}
				w := pending[0]
				pending = pending[1:]
				return w
			})
			g = prng.NewTorchGenerator(seed)
			for i, op := range c.Tape {
				switch op.Op {
				case "rand32", "rand64":
					var want []float64
					if err := json.Unmarshal(op.Result, &want); err != nil {
						t.Fatal(err)
					}
					for j, w := range want {
						var got float64
						if op.Op == "rand32" {
							got = float64(g.Float32())
						} else {
							got = g.Float64()
						}
						if got != w {
							t.Fatalf("op %d %s value %d = %v, want %v", i, op.Op, j, got, w)
						}
					}
				case "randperm":
					var want []int
					if err := json.Unmarshal(op.Result, &want); err != nil {
						t.Fatal(err)
					}
					if got := g.Randperm(op.N); !slices.Equal(got, want) {
						t.Fatalf("op %d randperm(%d) = %v, want %v", i, op.N, got, want)
					}
				default:
					t.Fatalf("op %d: unknown op %q", i, op.Op)
				}
			}
			for _, e := range c.Permutations {
				checkPerm(t, e, prng.NewTorchGenerator(seed).Randperm(e.N))
			}
		})
	}
}

// TestTorchSeedLimits checks the vector of which seeds torch accepts
// against the documented range [-2^63, 2^64-1] and the stored initial seed.
func TestTorchSeedLimits(t *testing.T) {
	v := compatVectors(t)
	lo := new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 63))
	hi := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(1))
	for _, c := range v.TorchSeedLimits {
		n := bigArg(t, c.Seed)
		inRange := n.Cmp(lo) >= 0 && n.Cmp(hi) <= 0
		if inRange != c.OK {
			t.Fatalf("seed %s: torch accepts it: %v; documented range says %v", c.Seed, c.OK, inRange)
		}
		if c.OK {
			if got := strconv.FormatUint(prng.NewTorchGenerator(torchSeed(t, c.Seed)).InitialSeed(), 10); got != c.InitialSeed {
				t.Fatalf("seed %s: initial_seed %s, want %s", c.Seed, got, c.InitialSeed)
			}
		}
	}
}

// ExampleTorchGenerator draws what PyTorch 1.13 prints for
//
//	g = torch.Generator().manual_seed(42)
//	torch.rand(2, generator=g).tolist(), torch.randperm(5, generator=g).tolist()
func ExampleTorchGenerator() {
	g := prng.NewTorchGenerator(42)
	fmt.Println(float64(g.Float32()), float64(g.Float32()), g.Randperm(5))
	// Output:
	// 0.8822692632675171 0.9150039553642273 [1 3 2 4 0]
}
