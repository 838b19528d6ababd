package prng_test

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

func TestSeedOf(t *testing.T) {
	hashed := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return new(big.Int).SetBytes(sum[:]).String()
	}
	huge := new(big.Int).Lsh(big.NewInt(1), 200)
	tests := []struct {
		name    string
		seed    func() (prng.Seed, error)
		want    prng.Seed
		int     string // the integer; "" with err
		err     error  // errors.Is target
		message string
	}{
		{name: "text digits", seed: func() (prng.Seed, error) { return prng.SeedOf("42") }, want: "42", int: "42"},
		{name: "leading zeros", seed: func() (prng.Seed, error) { return prng.SeedOf("007") }, want: "007", int: "7"},
		{name: "int", seed: func() (prng.Seed, error) { return prng.SeedOf(42) }, want: "42", int: "42"},
		{name: "int zero", seed: func() (prng.Seed, error) { return prng.SeedOf(0) }, want: "0", int: "0"},
		{name: "uint64 max", seed: func() (prng.Seed, error) { return prng.SeedOf(uint64(1<<64 - 1)) }, want: "18446744073709551615", int: "18446744073709551615"},
		{name: "uint32", seed: func() (prng.Seed, error) { return prng.SeedOf(uint32(7)) }, want: "7", int: "7"},
		{name: "big", seed: func() (prng.Seed, error) { return prng.SeedOf(huge) }, want: prng.Seed(huge.String()), int: huge.String()},
		{name: "Seed", seed: func() (prng.Seed, error) { return prng.SeedOf(prng.Seed("x")) }, want: "x", int: hashed("x")},
		{name: "text", seed: func() (prng.Seed, error) { return prng.SeedOf("my-experiment") }, want: "my-experiment", int: hashed("my-experiment")},
		{name: "sign is text", seed: func() (prng.Seed, error) { return prng.SeedOf("-1") }, want: "-1", int: hashed("-1")},
		{name: "fullwidth digits are text", seed: func() (prng.Seed, error) { return prng.SeedOf("４２") }, want: "４２", int: hashed("４２")},
		{name: "negative int", seed: func() (prng.Seed, error) { return prng.SeedOf(-1) }, err: prng.ErrNegativeEntropy, message: "seed -1 is negative: a seed is a non-negative integer"},
		{name: "negative int64", seed: func() (prng.Seed, error) { return prng.SeedOf(int64(-5)) }, err: prng.ErrNegativeEntropy, message: "seed -5 is negative: a seed is a non-negative integer"},
		{name: "negative big", seed: func() (prng.Seed, error) { return prng.SeedOf(big.NewInt(-2)) }, err: prng.ErrNegativeEntropy, message: "seed -2 is negative: a seed is a non-negative integer"},
		{name: "nil big", seed: func() (prng.Seed, error) { return prng.SeedOf((*big.Int)(nil)) }, err: prng.ErrNilEntropy, message: "nil seed"},
		{name: "empty", seed: func() (prng.Seed, error) { return prng.SeedOf("") }, err: prng.ErrInvalidSeed, message: "empty seed"},
		{name: "invalid UTF-8", seed: func() (prng.Seed, error) { return prng.SeedOf("a\xffb") }, err: prng.ErrInvalidSeed, message: `seed "a\xffb" is not valid UTF-8 text`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.seed()
			if tc.err != nil {
				if err == nil || !errors.Is(err, tc.err) || !errors.Is(err, prng.ErrInvalidSeed) || err.Error() != tc.message {
					t.Fatalf("got %q, %v; want error %q wrapping %v and ErrInvalidSeed", got, err, tc.message, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("seed %q, want %q", got, tc.want)
			}
			v, err := got.Int()
			if err != nil {
				t.Fatal(err)
			}
			if v.String() != tc.int {
				t.Errorf("Int() = %s, want %s", v, tc.int)
			}
		})
	}
}

// TestSeedGenerators checks that every form of one seed gives the same
// generator, and that the generator constructors refuse what SeedOf refuses.
func TestSeedGenerators(t *testing.T) {
	first := func(p *prng.PCG64, err error) uint64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return p.Uint64()
	}
	want := first(prng.NewPCG64(big.NewInt(42)))
	for name, got := range map[string]uint64{
		"int":       first(prng.NewPCG64(42)),
		"uint64":    first(prng.NewPCG64(uint64(42))),
		"text":      first(prng.NewPCG64("42")),
		"zeros":     first(prng.NewPCG64("0042")),
		"Seed":      first(prng.NewPCG64(prng.Seed("42"))),
		"MustSeed":  first(prng.NewPCG64(prng.MustSeed(42))),
		"generator": prng.NewGenerator(must(prng.NewPCG64(42))).BitGenerator().Uint64(),
	} {
		if got != want {
			t.Errorf("%s: first output %#x, want %#x", name, got, want)
		}
	}
	hashed, _ := prng.Seed("hello").Int()
	if a, b := first(prng.NewPCG64("hello")), first(prng.NewPCG64(hashed)); a != b {
		t.Errorf("text seed: %#x, its hash %#x", a, b)
	}
	for name, err := range map[string]error{
		"negative": second(prng.NewPCG64(-1)),
		"empty":    second(prng.NewPCG64("")),
		"nil":      second(prng.NewPCG64((*big.Int)(nil))),
		"rng":      second(prng.DefaultRNG(prng.Seed(""))),
	} {
		if err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func second[T any](_ T, err error) error { return err }

func TestSeedNote(t *testing.T) {
	tests := []struct{ in, want string }{
		{"42", ""},
		{"", ""},
		{"hello", `--seed "hello" is text: using its SHA-256, seed 20329878786436204988385760252021328656300425018755239228739303522659023427620`},
		{"0x2A", `--seed "0x2A" looks like a number but is not a plain decimal integer: it is hashed as text (SHA-256), seed 71806797229137389834450703976542752497627045654119087998929535013994348951515; for the number write --seed 42`},
		{"-1", `--seed "-1" looks like a number but is not a plain decimal integer: it is hashed as text (SHA-256), seed 12518853741475819423276677654670608934618214078001399355853856261149845734500; a seed number is a non-negative integer`},
	}
	for _, tc := range tests {
		if got := prng.Seed(tc.in).Note(); got != tc.want {
			t.Errorf("Seed(%q).Note() = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestSeedJSON checks that a Seed is its text in JSON, so configs that
// held a string seed encode the same bytes.
func TestSeedJSON(t *testing.T) {
	type cfg struct {
		Seed prng.Seed `json:"seed"`
	}
	type old struct {
		Seed string `json:"seed"`
	}
	for _, s := range []string{"", "42", "my experiment", "٤٢"} {
		a, err := json.Marshal(cfg{prng.Seed(s)})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(old{s})
		if string(a) != string(b) {
			t.Errorf("seed %q encodes as %s, a string field as %s", s, a, b)
		}
		var back cfg
		if err := json.Unmarshal(a, &back); err != nil || back.Seed != prng.Seed(s) {
			t.Errorf("seed %q decodes as %q, %v", s, back.Seed, err)
		}
	}
}

func ExampleSeedOf() {
	for _, v := range []prng.Seed{prng.MustSeed(42), prng.MustSeed(big.NewInt(42)), prng.MustSeed("007"), "my-experiment"} {
		n, err := v.Int()
		if err != nil {
			panic(err)
		}
		fmt.Println(v, n.BitLen() <= 256)
	}
	// Output:
	// 42 true
	// 42 true
	// 007 true
	// my-experiment true
}
