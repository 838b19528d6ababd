package prng_test

import (
	"encoding/json"
	"fmt"
	"math/big"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

// numpyState is NumPy's PCG64 bit_generator.state dict.
type numpyState struct {
	BitGenerator string `json:"bit_generator"`
	State        struct {
		State *big.Int `json:"state"`
		Inc   *big.Int `json:"inc"`
	} `json:"state"`
	HasUint32 int    `json:"has_uint32"`
	Uinteger  uint32 `json:"uinteger"`
}

func parseNumpyState(t testing.TB, s string) numpyState {
	t.Helper()
	var st numpyState
	if err := json.Unmarshal([]byte(s), &st); err != nil {
		t.Fatalf("parse NumPy state %s: %v", s, err)
	}
	return st
}

func u128(hi, lo uint64) *big.Int {
	n := new(big.Int).SetUint64(hi)
	n.Lsh(n, 64)
	return n.Or(n, new(big.Int).SetUint64(lo))
}

// checkState compares the state of p with NumPy's state dict text.
func checkState(t *testing.T, p *prng.PCG64, want string) {
	t.Helper()
	w := parseNumpyState(t, want)
	raw := prng.RawState(p)
	has, u := prng.Buffered(p)
	if got := u128(raw[0], raw[1]); got.Cmp(w.State.State) != 0 {
		t.Errorf("state = %s, want %s", got, w.State.State)
	}
	if got := u128(raw[2], raw[3]); got.Cmp(w.State.Inc) != 0 {
		t.Errorf("inc = %s, want %s", got, w.State.Inc)
	}
	if has != (w.HasUint32 != 0) || u != w.Uinteger {
		t.Errorf("buffer = (%v, %d), want (%d, %d)", has, u, w.HasUint32, w.Uinteger)
	}
}

func checkRaw(t *testing.T, p *prng.PCG64, want []uint64) {
	t.Helper()
	for i, w := range want {
		if got := p.Uint64(); got != w {
			t.Errorf("output %d = %#x, want %#x", i, got, w)
		}
	}
}

func TestPCG64KnownOutputs(t *testing.T) {
	// From the issue, checked against numpy.random.PCG64(42).random_raw(2).
	p, err := prng.NewPCG64(big.NewInt(42))
	if err != nil {
		t.Fatal(err)
	}
	checkRaw(t, p, []uint64{0xc621fbcd16d92688, 0x705a5661a791ffc1})
}

func TestPCG64Seeding(t *testing.T) {
	for _, v := range loadVectors(t).PCG64 {
		t.Run(v.Name, func(t *testing.T) {
			p, err := prng.NewPCG64(bigInt(t, v.Seed))
			if err != nil {
				t.Fatal(err)
			}
			checkState(t, p, v.State)
			checkRaw(t, p, v.Raw)
		})
	}
}

func TestPCG64Fill(t *testing.T) {
	for _, v := range loadVectors(t).PCG64 {
		t.Run(v.Name, func(t *testing.T) {
			p, err := prng.NewPCG64(bigInt(t, v.Seed))
			if err != nil {
				t.Fatal(err)
			}
			// Two fills of uneven sizes, then single draws, give the NumPy stream.
			n := len(v.Raw)
			got := make([]uint64, n)
			p.Fill(got[:3])
			p.Fill(got[3 : n-2])
			p.Fill(got[n-2 : n-2]) // empty: no-op
			got[n-2] = p.Uint64()
			got[n-1] = p.Uint64()
			for i := range got {
				if got[i] != v.Raw[i] {
					t.Errorf("output %d = %#x, want %#x", i, got[i], v.Raw[i])
				}
			}
		})
	}
}

func TestPCG64Advance(t *testing.T) {
	for _, v := range loadVectors(t).PCG64 {
		for _, a := range v.Advance {
			t.Run(v.Name+"/"+a.Delta, func(t *testing.T) {
				p, err := prng.NewPCG64(bigInt(t, v.Seed))
				if err != nil {
					t.Fatal(err)
				}
				d := bigInt(t, a.Delta)
				lo := new(big.Int).And(d, new(big.Int).SetUint64(^uint64(0))).Uint64()
				hi := new(big.Int).Rsh(d, 64).Uint64()
				if hi == 0 {
					q := *p
					q.Advance(lo)
					checkState(t, &q, a.State)
				}
				p.Advance128(hi, lo)
				checkState(t, p, a.State)
				checkRaw(t, p, a.Raw)
			})
		}
	}
}

func TestPCG64Jumped(t *testing.T) {
	for _, v := range loadVectors(t).PCG64 {
		for _, j := range v.Jumped {
			t.Run(fmt.Sprintf("%s/%d", v.Name, j.Jumps), func(t *testing.T) {
				p, err := prng.NewPCG64(bigInt(t, v.Seed))
				if err != nil {
					t.Fatal(err)
				}
				before := prng.RawState(p)
				q := p.Jumped(j.Jumps)
				if prng.RawState(p) != before {
					t.Errorf("Jumped(%d) changed the receiver", j.Jumps)
				}
				checkState(t, q, j.State)
				checkRaw(t, q, j.Raw)
			})
		}
	}
}

func TestPCG64CopyForks(t *testing.T) {
	p, err := prng.NewPCG64(big.NewInt(7))
	if err != nil {
		t.Fatal(err)
	}
	q := *p
	a := []uint64{p.Uint64(), p.Uint64()}
	b := []uint64{q.Uint64(), q.Uint64()}
	if a[0] != b[0] || a[1] != b[1] {
		t.Errorf("copy diverged: %#x vs %#x", a, b)
	}
}

// Fill gives the outputs of Uint64 one by one for every length, from
// several seeds: the lanes of a long fill, and the single steps of its
// remainder, continue the one stream.
func TestPCG64FillLanes(t *testing.T) {
	for seed := range 3 {
		p, err := prng.NewPCG64(seed)
		if err != nil {
			t.Fatal(err)
		}
		q := *p
		for n := range 70 {
			got := make([]uint64, n)
			p.Fill(got)
			for i := range got {
				if want := q.Uint64(); got[i] != want {
					t.Fatalf("seed %d, fill of %d: output %d = %#x, want %#x", seed, n, i, got[i], want)
				}
			}
		}
		long := make([]uint64, 100_003)
		p.Fill(long)
		for i := range long {
			if want := q.Uint64(); long[i] != want {
				t.Fatalf("seed %d, fill of %d: output %d = %#x, want %#x", seed, len(long), i, long[i], want)
			}
		}
		if got, want := p.Uint64(), q.Uint64(); got != want {
			t.Fatalf("seed %d: after the fills %#x, want %#x", seed, got, want)
		}
	}
}
