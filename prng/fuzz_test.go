package prng_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"regexp"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

// The seed corpora live in testdata/fuzz/<FuzzName>/: NumPy's states from
// the vectors and damaged variants of them. Run one fuzzer with, e.g.,
//
//	go test -run '^$' -fuzz FuzzPCG64UnmarshalJSON ./prng

// fuzzTarget is the generator each fuzz input is decoded into: seeded, so
// that a failed decode visibly leaves it unchanged.
func fuzzTarget(t *testing.T) *prng.PCG64 {
	p, err := prng.NewPCG64(big.NewInt(11))
	if err != nil {
		t.Fatal(err)
	}
	p.Uint32() // fill the 32-bit buffer too
	return p
}

// FuzzPCG64UnmarshalJSON checks that any input either restores a state that
// round-trips through JSON and binary, or fails with ErrInvalidState and
// leaves the generator as it was; never a panic.
func FuzzPCG64UnmarshalJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzTarget(t)
		before := *p
		if err := p.UnmarshalJSON(data); err != nil {
			if !errors.Is(err, prng.ErrInvalidState) {
				t.Fatalf("UnmarshalJSON(%q) error %v does not wrap ErrInvalidState", data, err)
			}
			if *p != before {
				t.Fatalf("failed UnmarshalJSON(%q) changed the generator", data)
			}
			return
		}
		var st prng.PCG64State
		if err := json.Unmarshal(data, &st); err != nil {
			t.Fatalf("PCG64 accepted %q but PCG64State did not: %v", data, err)
		}
		if p.State() != st {
			t.Fatalf("UnmarshalJSON(%q) gave state %+v, want %+v", data, p.State(), st)
		}
		out, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		q := new(prng.PCG64)
		if err := q.UnmarshalJSON(out); err != nil || *q != *p {
			t.Fatalf("re-decoding %s: %v, state %+v, want %+v", out, err, q.State(), p.State())
		}
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		r := new(prng.PCG64)
		if err := r.UnmarshalBinary(b); err != nil || *r != *p {
			t.Fatalf("binary round trip of %+v: %v, got %+v", p.State(), err, r.State())
		}
	})
}

// FuzzPCG64UnmarshalBinary checks that any input either is a state whose
// binary form is exactly the input, or fails with ErrInvalidState and leaves
// the generator as it was.
func FuzzPCG64UnmarshalBinary(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		p := fuzzTarget(t)
		before := *p
		if err := p.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, prng.ErrInvalidState) {
				t.Fatalf("UnmarshalBinary(%q) error %v does not wrap ErrInvalidState", data, err)
			}
			if *p != before {
				t.Fatalf("failed UnmarshalBinary(%q) changed the generator", data)
			}
			return
		}
		out, err := p.MarshalBinary()
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("UnmarshalBinary(%q) then MarshalBinary = %q, %v", data, out, err)
		}
	})
}

// decimalRE is the JSON form Uint128 accepts: a non-negative integer
// without sign, fraction, exponent or leading zeros.
var decimalRE = regexp.MustCompile(`^(0|[1-9][0-9]*)$`)

// FuzzUint128UnmarshalJSON compares the 128-bit parser with math/big: it
// must accept exactly the decimal integers below 2^128, with their value.
func FuzzUint128UnmarshalJSON(f *testing.F) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	f.Fuzz(func(t *testing.T, data []byte) {
		var u prng.Uint128
		err := u.UnmarshalJSON(data)
		text := bytes.TrimSpace(data)
		want, ok := new(big.Int).SetString(string(text), 10)
		valid := decimalRE.Match(text) && ok && want.Cmp(limit) < 0
		switch {
		case valid && err != nil:
			t.Fatalf("UnmarshalJSON(%q) = %v, want %s", data, err, want)
		case valid && u.Big().Cmp(want) != 0:
			t.Fatalf("UnmarshalJSON(%q) = %s, want %s", data, u, want)
		case !valid && !errors.Is(err, prng.ErrInvalidState):
			t.Fatalf("UnmarshalJSON(%q) = %s, %v; want an error wrapping ErrInvalidState", data, u, err)
		}
		if valid {
			if out, _ := u.MarshalJSON(); !bytes.Equal(out, text) {
				t.Fatalf("MarshalJSON after UnmarshalJSON(%q) = %s", data, out)
			}
		}
	})
}
