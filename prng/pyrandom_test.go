package prng_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

// newPy returns the generator a vector case is seeded with.
func newPy(t *testing.T, c pyCase) *prng.PyRandom {
	t.Helper()
	if c.SeedKind == "str" {
		return prng.NewPyRandomString(c.Seed)
	}
	n, ok := new(big.Int).SetString(c.Seed, 10)
	if !ok {
		t.Fatalf("bad int seed %q", c.Seed)
	}
	return prng.NewPyRandom(n)
}

// bigArg parses a decimal vector argument.
func bigArg(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 10)
	if !ok {
		t.Fatalf("bad integer %q", s)
	}
	return n
}

func TestPyRandomVectors(t *testing.T) {
	v := compatVectors(t)
	if len(v.PyRandom) == 0 {
		t.Fatal("no pyrandom vectors")
	}
	for _, c := range v.PyRandom {
		t.Run(c.Name, func(t *testing.T) {
			raw := newPy(t, c)
			checkRawWindows(t, c.Raw, func() uint32 { return uint32(raw.GetRandBits(32).Uint64()) })
			r := newPy(t, c)
			for i, op := range c.Tape {
				runPyOp(t, r, i, op.Op, op.K, op.Args, op.N, op.Result)
			}
			st := r.State()
			want := c.StateAfterTape
			if keySHA256(st.InternalState[:624]) != want.KeySHA256 || int(st.InternalState[624]) != want.Index ||
				(st.GaussNext == nil) != (want.GaussNext == nil) {
				t.Fatalf("state after tape: index %d key %s, want %+v", st.InternalState[624], keySHA256(st.InternalState[:624]), want)
			}
			for _, e := range c.Permutations {
				r := newPy(t, c)
				x := make([]int, e.N)
				for i := range x {
					x[i] = i
				}
				r.Shuffle(e.N, func(i, j int) { x[i], x[j] = x[j], x[i] })
				checkPerm(t, e, x)
			}
		})
	}
}

// runPyOp applies one tape operation to r and compares with CPython.
func runPyOp(t *testing.T, r *prng.PyRandom, i int, op string, k int, args []string, n int, result json.RawMessage) {
	t.Helper()
	var want string
	decode := func(dst any) {
		if err := json.Unmarshal(result, dst); err != nil {
			t.Fatalf("op %d %s: %v", i, op, err)
		}
	}
	switch op {
	case "random":
		var ws []float64
		decode(&ws)
		for j, w := range ws {
			if got := r.Random(); got != w {
				t.Fatalf("op %d random %d = %v, want %v", i, j, got, w)
			}
		}
		return
	case "getrandbits":
		decode(&want)
		if got := r.GetRandBits(k).String(); got != want {
			t.Fatalf("op %d getrandbits(%d) = %s, want %s", i, k, got, want)
		}
	case "randrange":
		decode(&want)
		var got string
		switch len(args) {
		case 1:
			got = r.RandRangeBig(big.NewInt(0), bigArg(t, args[0]), big.NewInt(1)).String()
		default:
			a, b, s := bigArg(t, args[0]), bigArg(t, args[1]), bigArg(t, args[2])
			if a.IsInt64() && b.IsInt64() && s.IsInt64() {
				got = big.NewInt(r.RandRange(a.Int64(), b.Int64(), s.Int64())).String()
			} else {
				got = r.RandRangeBig(a, b, s).String()
			}
		}
		if got != want {
			t.Fatalf("op %d randrange%v = %s, want %s", i, args, got, want)
		}
	case "randint":
		decode(&want)
		a, b := bigArg(t, args[0]), bigArg(t, args[1])
		if got := big.NewInt(r.RandInt(a.Int64(), b.Int64())).String(); got != want {
			t.Fatalf("op %d randint%v = %s, want %s", i, args, got, want)
		}
	case "shuffle":
		var ws []int
		decode(&ws)
		x := make([]int, n)
		for j := range x {
			x[j] = j
		}
		r.Shuffle(n, func(a, b int) { x[a], x[b] = x[b], x[a] })
		if !slices.Equal(x, ws) {
			t.Fatalf("op %d shuffle(%d) = %v, want %v", i, n, x, ws)
		}
	case "sample":
		var ws []int
		decode(&ws)
		if got := r.Sample(n, len(ws)); !slices.Equal(got, ws) {
			t.Fatalf("op %d sample(range(%d), %d) = %v, want %v", i, n, len(ws), got, ws)
		}
	default:
		t.Fatalf("op %d: unknown op %q", i, op)
	}
}

func TestPyRandomSetState(t *testing.T) {
	v := compatVectors(t)
	sv := v.PyRandomSetState
	r := prng.NewPyRandom(nil)
	if err := json.Unmarshal(sv.State, r); err != nil {
		t.Fatal(err)
	}
	if r.State().GaussNext == nil {
		t.Fatal("restored state lost gauss_next")
	}
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	q := prng.NewPyRandom(big.NewInt(5))
	if err := q.UnmarshalJSON(out); err != nil {
		t.Fatal(err)
	}
	for _, g := range []*prng.PyRandom{r, q} {
		for j, w := range sv.After.Random {
			if got := g.Random(); got != w {
				t.Fatalf("random %d after setstate = %v, want %v", j, got, w)
			}
		}
		if got := g.GetRandBits(64).String(); got != sv.After.GetRandBits64 {
			t.Fatalf("getrandbits(64) after setstate = %s, want %s", got, sv.After.GetRandBits64)
		}
	}
}

// TestPyRandomSeedWords checks the int seeding against NumPy's
// init_by_array: random.seed(n) and np.random.RandomState(words of |n|)
// share their raw words.
func TestPyRandomSeedWords(t *testing.T) {
	tests := []struct {
		name  string
		seed  *big.Int
		words []uint32
	}{
		{"0", big.NewInt(0), []uint32{0}},
		{"-42", big.NewInt(-42), []uint32{42}},
		{"2^32", new(big.Int).Lsh(big.NewInt(1), 32), []uint32{0, 1}},
		{"2^64+3", new(big.Int).Add(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(3)), []uint32{3, 0, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, m := prng.NewPyRandom(tc.seed), prng.NewMT19937FromArray(tc.words)
			for i := range 1000 {
				if a, b := p.GetRandBits(32).Uint64(), uint64(m.Uint32()); a != b {
					t.Fatalf("word %d: %d, want %d", i, a, b)
				}
			}
		})
	}
}

func TestPyRandomBadJSON(t *testing.T) {
	good, err := json.Marshal(prng.NewPyRandom(big.NewInt(3)))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, in string }{
		{"empty", ``},
		{"null", `null`},
		{"version 2", strings.Replace(string(good), `"version":3`, `"version":2`, 1)},
		{"index 625", strings.Replace(string(good), `,624],`, `,625],`, 1)},
		{"short", `{"version":3,"internalstate":[1,2,3],"gauss_next":null}`},
		{"missing internalstate", `{"version":3}`},
		{"gauss string", strings.Replace(string(good), `"gauss_next":null`, `"gauss_next":"x"`, 1)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := prng.NewPyRandom(big.NewInt(9))
			before := r.State()
			if err := r.UnmarshalJSON([]byte(tc.in)); !errors.Is(err, prng.ErrInvalidState) {
				t.Fatalf("UnmarshalJSON(%.60q) error %v, want ErrInvalidState", tc.in, err)
			}
			if !slices.Equal(r.State().InternalState, before.InternalState) {
				t.Fatal("failed UnmarshalJSON changed the state")
			}
		})
	}
}

// FuzzPyRandomUnmarshalJSON checks that any input either restores a state
// that round-trips through JSON, or fails with ErrInvalidState.
func FuzzPyRandomUnmarshalJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := prng.NewPyRandom(big.NewInt(5))
		if err := r.UnmarshalJSON(data); err != nil {
			if !errors.Is(err, prng.ErrInvalidState) {
				t.Fatalf("error %v does not wrap ErrInvalidState", err)
			}
			return
		}
		out, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		q := prng.NewPyRandom(big.NewInt(6))
		if err := q.UnmarshalJSON(out); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		if !slices.Equal(r.State().InternalState, q.State().InternalState) {
			t.Fatal("state changed in a JSON round trip")
		}
	})
}

func TestPyRandomPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func(r *prng.PyRandom)
	}{
		{"getrandbits negative", func(r *prng.PyRandom) { r.GetRandBits(-1) }},
		{"randbelow 0", func(r *prng.PyRandom) { r.RandBelow(0) }},
		{"randrange empty", func(r *prng.PyRandom) { r.RandRange(5, 5, 1) }},
		{"randrange step 0", func(r *prng.PyRandom) { r.RandRange(0, 5, 0) }},
		{"randrange wrong direction", func(r *prng.PyRandom) { r.RandRange(0, 5, -1) }},
		{"randint a > b", func(r *prng.PyRandom) { r.RandInt(2, 1) }},
		{"sample too many", func(r *prng.PyRandom) { r.Sample(3, 4) }},
		{"sample negative", func(r *prng.PyRandom) { r.Sample(3, -1) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tc.f(prng.NewPyRandom(big.NewInt(1)))
		})
	}
}

// ExamplePyRandom draws what CPython 3.11 prints for
//
//	r = random.Random("splitdata"); r.random(), r.randrange(10), r.sample(range(10), 3)
//	random.seed(42); l = list(range(10)); random.shuffle(l)
func ExamplePyRandom() {
	r := prng.NewPyRandomString("splitdata")
	fmt.Println(r.Random(), r.RandRange(0, 10, 1), r.Sample(10, 3))
	r = prng.NewPyRandom(big.NewInt(42))
	l := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	r.Shuffle(len(l), func(i, j int) { l[i], l[j] = l[j], l[i] })
	fmt.Println(l)
	// Output:
	// 0.8538662300658537 9 [4 9 8]
	// [7 3 2 8 5 6 9 4 0 1]
}
