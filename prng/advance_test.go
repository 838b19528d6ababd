package prng_test

import (
	"math/big"
	"math/rand"
	"testing"
	"testing/quick"

	"github.com/splitdata/splitdata/prng"
)

func newPCG64(t testing.TB, seed int64) *prng.PCG64 {
	t.Helper()
	p, err := prng.NewPCG64(big.NewInt(seed))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestAdvanceMatchesStepping checks Advance(n) against n calls of Uint64.
func TestAdvanceMatchesStepping(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 3, 7, 64, 1000} {
		p := newPCG64(t, 12345)
		q := *p
		for range n {
			p.Uint64()
		}
		q.Advance(n)
		if got, want := q.Uint64(), p.Uint64(); got != want {
			t.Errorf("after Advance(%d): %#x, want %#x", n, got, want)
		}
	}
}

// TestAdvanceAdditive is the property Advance(a+b) == Advance(a); Advance(b),
// over 128-bit a and b with wrap-around, and a full turn of 2^128 steps being
// the identity (Advance128 of 2^128-1, then 1).
func TestAdvanceAdditive(t *testing.T) {
	base := newPCG64(t, 99)
	prop := func(aHi, aLo, bHi, bLo uint64) bool {
		p, q := *base, *base
		p.Advance128(aHi, aLo)
		p.Advance128(bHi, bLo)
		a := u128(aHi, aLo)
		sum := a.Add(a, u128(bHi, bLo))
		sum.And(sum, new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 128), big.NewInt(1)))
		lo := new(big.Int).And(sum, new(big.Int).SetUint64(^uint64(0))).Uint64()
		q.Advance128(new(big.Int).Rsh(sum, 64).Uint64(), lo)
		return prng.RawState(&p) == prng.RawState(&q)
	}
	cfg := &quick.Config{Rand: rand.New(rand.NewSource(1))}
	if testing.Short() {
		cfg.MaxCount = 20
	}
	if err := quick.Check(prop, cfg); err != nil {
		t.Error(err)
	}
	p := *base
	p.Advance128(^uint64(0), ^uint64(0))
	p.Advance(1)
	if prng.RawState(&p) != prng.RawState(base) {
		t.Error("advancing 2^128 steps did not return to the start")
	}
}

// TestAdvanceResetsBuffer pins NumPy's behaviour: advance clears has_uint32
// and uinteger, so a buffered high half is dropped.
func TestAdvanceResetsBuffer(t *testing.T) {
	p := newPCG64(t, 5)
	p.Uint32()
	if has, _ := prng.Buffered(p); !has {
		t.Fatal("Uint32 did not buffer the high half")
	}
	p.Advance(0)
	if has, u := prng.Buffered(p); has || u != 0 {
		t.Errorf("after Advance(0) buffer = (%v, %d), want (false, 0)", has, u)
	}
}
