package splitter_test

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/splitdata/splitdata/splitter"
)

// compatPart is one expected part of testdata/compat_vectors.json, written by
// testdata/gen_compat_vectors.py from scikit-learn, PyTorch, NumPy and
// CPython: whole, or its length, first values and sha256 (rows as
// little-endian int64).
type compatPart struct {
	Values []int64 `json:"values"`
	Len    int     `json:"len"`
	Head   []int64 `json:"head"`
	SHA256 string  `json:"sha256"`
}

type compatCase struct {
	Mode  string       `json:"mode"`
	N     int64        `json:"n"`
	Seed  string       `json:"seed"`
	Kind  string       `json:"kind"`
	Spec  string       `json:"spec"`
	K     int          `json:"k"`
	Error bool         `json:"error"`
	Parts []compatPart `json:"parts"`
}

func (c compatCase) String() string {
	return fmt.Sprintf("%s/n=%d/seed=%s/%s=%s/k=%d", c.Mode, c.N, c.Seed, c.Kind, c.Spec, c.K)
}

var loadCompatVectors = sync.OnceValues(func() (v struct {
	Split, Shuffle, KFold []compatCase
}, err error) {
	b, err := os.ReadFile("testdata/compat_vectors.json")
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	return v, err
})

// checkOrder compares an order with the expected parts of c.
func checkOrder(t *testing.T, c compatCase, o *splitter.CompatOrder, err error) {
	t.Helper()
	if c.Error {
		if !errors.Is(err, splitter.ErrUsage) {
			t.Fatalf("%v: error %v, want one wrapping ErrUsage (the library refuses)", c, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("%v: %v", c, err)
	}
	if int64(len(o.Perm)) != c.N {
		t.Fatalf("%v: permutation of %d rows, want %d", c, len(o.Perm), c.N)
	}
	if len(o.Parts) != len(c.Parts) {
		t.Fatalf("%v: %d parts, want %d", c, len(o.Parts), len(c.Parts))
	}
	seen := make([]bool, c.N)
	for j, p := range o.Parts {
		rows := o.Perm[p.Start:p.End]
		for _, r := range rows {
			if seen[r] {
				t.Fatalf("%v: row %d in two parts", c, r)
			}
			seen[r] = true
		}
		want := c.Parts[j]
		got := make([]int64, len(rows))
		for i, r := range rows {
			got[i] = int64(r)
		}
		if want.Values != nil || want.Len == 0 {
			if !slices.Equal(got, want.Values) && (len(got) != 0 || len(want.Values) != 0) {
				t.Fatalf("%v: part %d = %v, want %v", c, j, got, want.Values)
			}
			continue
		}
		if len(got) != want.Len || !slices.Equal(got[:len(want.Head)], want.Head) {
			t.Fatalf("%v: part %d has %d rows starting %v, want %d starting %v", c, j, len(got), got[:min(10, len(got))], want.Len, want.Head)
		}
		b := make([]byte, 0, 8*len(got))
		for _, v := range got {
			b = binary.LittleEndian.AppendUint64(b, uint64(v))
		}
		if s := sha256.Sum256(b); hex.EncodeToString(s[:]) != want.SHA256 {
			t.Fatalf("%v: part %d sha256 %x, want %s", c, j, s, want.SHA256)
		}
	}
}

// parseSpec parses a vector's split list as the CLI would.
func parseSpec(t *testing.T, kind, spec string) []splitter.Split {
	t.Helper()
	var (
		s   []splitter.Split
		err error
	)
	switch kind {
	case "test_size":
		s, err = splitter.ParseTestSize(spec)
	case "ratios":
		s, err = splitter.ParseRatios(spec)
	case "sizes":
		s, err = splitter.ParseSizes(spec)
	default:
		t.Fatalf("unknown spec kind %q", kind)
	}
	if err != nil {
		t.Fatalf("parse %s %q: %v", kind, spec, err)
	}
	return s
}

func TestCompatVectors(t *testing.T) {
	v, err := loadCompatVectors()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Split) == 0 || len(v.Shuffle) == 0 || len(v.KFold) == 0 {
		t.Fatal("missing compat vectors")
	}
	t.Run("split", func(t *testing.T) {
		for _, c := range v.Split {
			o, err := splitter.CompatSplit(splitter.CompatMode(c.Mode), c.N, parseSpec(t, c.Kind, c.Spec), c.Seed)
			checkOrder(t, c, o, err)
		}
	})
	t.Run("shuffle", func(t *testing.T) {
		for _, c := range v.Shuffle {
			o, err := splitter.CompatShuffle(splitter.CompatMode(c.Mode), c.N, c.Seed)
			checkOrder(t, c, o, err)
		}
	})
	t.Run("kfold", func(t *testing.T) {
		for _, c := range v.KFold {
			o, err := splitter.CompatKFold(splitter.CompatMode(c.Mode), c.N, c.K, c.Seed)
			checkOrder(t, c, o, err)
		}
	})
}

func TestParseCompatMode(t *testing.T) {
	tests := []struct {
		in   string
		want splitter.CompatMode
		ok   bool
	}{
		{"sklearn", splitter.CompatSklearn, true},
		{"hf", splitter.CompatHF, true},
		{"torch", splitter.CompatTorch, true},
		{"numpy-legacy", splitter.CompatNumpyLegacy, true},
		{"python", splitter.CompatPython, true},
		{"", "", false},
		{"numpy", "", false},
		{"Sklearn", "", false},
		{" torch", "", false},
	}
	for _, tc := range tests {
		got, err := splitter.ParseCompatMode(tc.in)
		if tc.ok != (err == nil) || got != tc.want {
			t.Errorf("ParseCompatMode(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && !errors.Is(err, splitter.ErrUsage) {
			t.Errorf("ParseCompatMode(%q) error %v does not wrap ErrUsage", tc.in, err)
		}
	}
}

// TestCompatRefusals checks the options a mode cannot express: each is an
// error wrapping ErrUsage whose text says why.
func TestCompatRefusals(t *testing.T) {
	three := []splitter.Split{{Name: "a", Ratio: 0.5}, {Name: "b", Ratio: 0.25}, {Name: "c", Ratio: 0.25}}
	two := []splitter.Split{{Name: "train", Ratio: 0.8}, {Name: "test", Ratio: 0.2}}
	tests := []struct {
		name string
		call func() (*splitter.CompatOrder, error)
		want string // in the error text
	}{
		{"sklearn three splits", func() (*splitter.CompatOrder, error) {
			return splitter.CompatSplit(splitter.CompatSklearn, 10, three, "0")
		}, "train and test only"},
		{"hf three splits", func() (*splitter.CompatOrder, error) {
			return splitter.CompatSplit(splitter.CompatHF, 10, three, "0")
		}, "train and test only"},
		{"torch kfold", func() (*splitter.CompatOrder, error) {
			return splitter.CompatKFold(splitter.CompatTorch, 10, 3, "0")
		}, "no k-fold"},
		{"hf kfold", func() (*splitter.CompatOrder, error) {
			return splitter.CompatKFold(splitter.CompatHF, 10, 3, "0")
		}, "no k-fold"},
		{"kfold k > n", func() (*splitter.CompatOrder, error) {
			return splitter.CompatKFold(splitter.CompatSklearn, 3, 4, "0")
		}, "2 <= k <= n"},
		{"kfold k = 1", func() (*splitter.CompatOrder, error) {
			return splitter.CompatKFold(splitter.CompatPython, 3, 1, "0")
		}, "2 <= k <= n"},
		{"sklearn seed 2^32", func() (*splitter.CompatOrder, error) {
			return splitter.CompatShuffle(splitter.CompatSklearn, 10, "4294967296")
		}, "2^32-1"},
		{"numpy-legacy negative seed", func() (*splitter.CompatOrder, error) {
			return splitter.CompatShuffle(splitter.CompatNumpyLegacy, 10, "-1")
		}, "non-negative decimal integer"},
		{"sklearn text seed", func() (*splitter.CompatOrder, error) {
			return splitter.CompatSplit(splitter.CompatSklearn, 10, two, "abc")
		}, "decimal integer"},
		{"hf negative seed", func() (*splitter.CompatOrder, error) {
			return splitter.CompatShuffle(splitter.CompatHF, 10, "-5")
		}, "non-negative"},
		{"torch seed 2^64", func() (*splitter.CompatOrder, error) {
			return splitter.CompatShuffle(splitter.CompatTorch, 10, "18446744073709551616")
		}, "manual_seed's range"},
		{"torch seed below -2^63", func() (*splitter.CompatOrder, error) {
			return splitter.CompatShuffle(splitter.CompatTorch, 10, "-9223372036854775809")
		}, "manual_seed's range"},
		{"torch text seed", func() (*splitter.CompatOrder, error) {
			return splitter.CompatShuffle(splitter.CompatTorch, 10, "x1")
		}, "decimal integer"},
		{"python empty seed", func() (*splitter.CompatOrder, error) {
			return splitter.CompatShuffle(splitter.CompatPython, 10, "")
		}, "empty seed"},
		{"python invalid UTF-8 seed", func() (*splitter.CompatOrder, error) {
			return splitter.CompatShuffle(splitter.CompatPython, 10, "\xff")
		}, "UTF-8"},
		{"2^32 rows", func() (*splitter.CompatOrder, error) {
			return splitter.CompatShuffle(splitter.CompatPython, 1<<32, "1")
		}, "at most 4294967295 rows"},
		{"negative rows", func() (*splitter.CompatOrder, error) {
			return splitter.CompatSplit(splitter.CompatTorch, -1, two, "1")
		}, "negative row count"},
		{"unknown mode", func() (*splitter.CompatOrder, error) {
			return splitter.CompatShuffle("numpy", 10, "1")
		}, "unknown compat mode"},
		{"torch counts not summing to n", func() (*splitter.CompatOrder, error) {
			return splitter.CompatSplit(splitter.CompatTorch, 10, []splitter.Split{{Name: "a", Rows: 3}, {Name: "b", Rows: 3}}, "1")
		}, "needs them equal"},
		{"invalid split list", func() (*splitter.CompatOrder, error) {
			return splitter.CompatSplit(splitter.CompatTorch, 10, nil, "1")
		}, "no splits"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.call()
			if !errors.Is(err, splitter.ErrUsage) || o != nil {
				t.Fatalf("got %v, %v; want nil and an error wrapping ErrUsage", o, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not say %q", err, tc.want)
			}
		})
	}
}

// TestCompatTorchSeedsModulo checks torch's seeding facts through the
// mode: a negative seed is taken mod 2^64 and only its low 32 bits seed the
// engine, so -1, 2^64-1 and 2^32-1 give one order.
func TestCompatTorchSeedsModulo(t *testing.T) {
	var first []uint32
	for _, seed := range []string{"4294967295", "18446744073709551615", "-1"} {
		o, err := splitter.CompatShuffle(splitter.CompatTorch, 50, seed)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = o.Perm
		} else if !slices.Equal(o.Perm, first) {
			t.Fatalf("seed %s: %v, want %v", seed, o.Perm, first)
		}
	}
}

// ExampleCompatSplit reproduces scikit-learn's
//
//	train, test = train_test_split(np.arange(10), test_size=0.2, random_state=42, shuffle=True)
//
// which gives train [5 0 7 2 9 4 3 6] and test [8 1].
func ExampleCompatSplit() {
	splits, err := splitter.ParseTestSize("0.2")
	if err != nil {
		panic(err)
	}
	o, err := splitter.CompatSplit(splitter.CompatSklearn, 10, splits, "42")
	if err != nil {
		panic(err)
	}
	for j, p := range o.Parts {
		fmt.Println(splits[j].Name, o.Perm[p.Start:p.End])
	}
	// Output:
	// train [5 0 7 2 9 4 3 6]
	// test [8 1]
}

// ExampleCompatKFold reproduces the test folds of scikit-learn's
// KFold(3, shuffle=True, random_state=42).split(np.arange(10)).
func ExampleCompatKFold() {
	o, err := splitter.CompatKFold(splitter.CompatSklearn, 10, 3, "42")
	if err != nil {
		panic(err)
	}
	for _, p := range o.Parts {
		fmt.Println(o.Perm[p.Start:p.End])
	}
	// Output:
	// [0 1 5 8]
	// [2 7 9]
	// [3 4 6]
}
