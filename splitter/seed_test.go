package splitter_test

import (
	"crypto/sha256"
	"errors"
	"math/big"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// TestParseSeedVectors checks ParseSeed against Python's seed_value in
// testdata/splitv1.py.
func TestParseSeedVectors(t *testing.T) {
	for _, v := range loadVectors(t).Seeds {
		t.Run(v.Text, func(t *testing.T) {
			got, err := splitter.ParseSeed(v.Text)
			if err != nil {
				t.Fatalf("ParseSeed(%q): %v", v.Text, err)
			}
			if got.String() != v.Seed {
				t.Errorf("ParseSeed(%q) = %v, want %s", v.Text, got, v.Seed)
			}
		})
	}
}

func TestParseSeed(t *testing.T) {
	hashed := func(s string) string {
		sum := sha256.Sum256([]byte(s))
		return new(big.Int).SetBytes(sum[:]).String()
	}
	big2to200 := new(big.Int).Lsh(big.NewInt(1), 200)
	tests := []struct {
		name string
		in   string
		want string // decimal; "" with err
		err  string
	}{
		{name: "zero", in: "0", want: "0"},
		{name: "small", in: "42", want: "42"},
		{name: "leading zeros", in: "000042", want: "42"},
		{name: "huge", in: big2to200.String(), want: big2to200.String()},
		{name: "text", in: "hello", want: hashed("hello")},
		{name: "negative is text", in: "-1", want: hashed("-1")},
		{name: "space is text", in: " 42", want: hashed(" 42")},
		{name: "Arabic digits are text", in: "٤٢", want: hashed("٤٢")},
		{name: "fullwidth digits are text", in: "４２", want: hashed("４２")},
		{name: "empty", in: "", err: "usage: empty seed"},
		{name: "invalid UTF-8", in: "a\xffb", err: `usage: seed "a\xffb" is not valid UTF-8 text`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitter.ParseSeed(tc.in)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err || !errors.Is(err, splitter.ErrUsage) {
					t.Fatalf("ParseSeed(%q) = %v, %v; want error %q wrapping ErrUsage", tc.in, got, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSeed(%q): %v", tc.in, err)
			}
			if got.String() != tc.want {
				t.Errorf("ParseSeed(%q) = %v, want %s", tc.in, got, tc.want)
			}
			if got.Sign() < 0 {
				t.Errorf("ParseSeed(%q) = %v is negative", tc.in, got)
			}
		})
	}
}

// TestParseSeedFresh checks that each result is a new value: changing it
// must not change a later result.
func TestParseSeedFresh(t *testing.T) {
	for _, in := range []string{"12345", "text"} {
		a, err := splitter.ParseSeed(in)
		if err != nil {
			t.Fatal(err)
		}
		want := a.String()
		a.SetInt64(-7)
		b, err := splitter.ParseSeed(in)
		if err != nil {
			t.Fatal(err)
		}
		if b.String() != want {
			t.Errorf("ParseSeed(%q) after mutating an earlier result = %v, want %s", in, b, want)
		}
	}
}

func TestSeedNote(t *testing.T) {
	tests := []struct {
		seed string
		want string // a substring of the note; "" for no note
	}{
		{"42", ""},
		{"007", ""},
		{"", ""},
		{"0x2A", `looks like a number but is not a plain decimal integer: it is hashed as text (SHA-256), seed `},
		{"0x2A", "; for the number write --seed 42"},
		{" 42", "; for the number write --seed 42"},
		{"42\n", "; for the number write --seed 42"},
		{"1_000", "; for the number write --seed 1000"},
		{"1e6", "; for the number write --seed 1000000"},
		{"-1", "; a seed number is a non-negative integer"},
		{"4.5", "; a seed number is a non-negative integer"},
		{"my-experiment", `--seed "my-experiment" is text: using its SHA-256, seed `},
		{"nan", "is text:"},
		{"inf", "is text:"},
	}
	for _, tt := range tests {
		got := splitter.SeedNote(tt.seed)
		if tt.want == "" {
			if got != "" {
				t.Errorf("SeedNote(%q) = %q, want no note", tt.seed, got)
			}
			continue
		}
		if !strings.Contains(got, tt.want) {
			t.Errorf("SeedNote(%q) = %q, want it to contain %q", tt.seed, got, tt.want)
		}
	}
}
