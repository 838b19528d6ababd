package prng_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

// newRS returns the RandomState a vector case is seeded with.
func newRS(c rsCase) *prng.RandomState {
	if c.Seed != nil {
		return prng.NewRandomState(*c.Seed)
	}
	return prng.NewRandomStateFromArray(c.SeedArray)
}

func TestRandomStateVectors(t *testing.T) {
	v := compatVectors(t)
	if len(v.RandomState) == 0 {
		t.Fatal("no randomstate vectors")
	}
	for _, c := range v.RandomState {
		t.Run(c.Name, func(t *testing.T) {
			checkRawWindows(t, c.Raw, newRS(c).MT19937().Uint32)
			r := newRS(c)
			for i, op := range c.Tape {
				runRSOp(t, r, i, op.Op, op.Low, op.High, op.Args, op.N, op.Result)
			}
			st := r.State()
			got := c.StateAfterTape
			if keySHA256(st.State.Key) != got.KeySHA256 || st.State.Pos != got.Pos ||
				st.HasGauss != got.HasGauss || st.Gauss != got.Gauss {
				t.Fatalf("state after tape: pos %d has_gauss %d gauss %v key %s, want %+v",
					st.State.Pos, st.HasGauss, st.Gauss, keySHA256(st.State.Key), got)
			}
			for _, e := range c.Permutations {
				checkPerm(t, e, newRS(c).Permutation(e.N))
			}
		})
	}
}

// runRSOp applies one tape operation to r and compares with NumPy.
func runRSOp(t *testing.T, r *prng.RandomState, i int, op, low, high string, args []float64, n int, result json.RawMessage) {
	t.Helper()
	floats := func(draw func() float64) {
		var want []float64
		if err := json.Unmarshal(result, &want); err != nil {
			t.Fatalf("op %d %s: %v", i, op, err)
		}
		for k, w := range want {
			if got := draw(); got != w && !(math.IsNaN(got) && math.IsNaN(w)) {
				t.Fatalf("op %d %s%v value %d = %v, want %v", i, op, args, k, got, w)
			}
		}
	}
	ints := func(draw func(n int) []int) {
		var want []int
		if err := json.Unmarshal(result, &want); err != nil {
			t.Fatalf("op %d %s: %v", i, op, err)
		}
		if got := draw(n); !slices.Equal(got, want) {
			t.Fatalf("op %d %s(%d) = %v, want %v", i, op, n, got, want)
		}
	}
	switch op {
	case "rand":
		floats(r.Rand)
	case "standard_exponential":
		floats(r.StandardExponential)
	case "standard_normal":
		floats(r.StandardNormal)
	case "triangular":
		floats(func() float64 { return r.Triangular(args[0], args[1], args[2]) })
	case "randint":
		lo, err1 := strconv.ParseInt(low, 10, 64)
		hi, err2 := strconv.ParseInt(high, 10, 64)
		var want []string
		if err := errors.Join(err1, err2, json.Unmarshal(result, &want)); err != nil {
			t.Fatalf("op %d: %v", i, err)
		}
		for k, w := range want {
			if got := strconv.FormatInt(r.Randint(lo, hi), 10); got != w {
				t.Fatalf("op %d randint(%d, %d) value %d = %s, want %s", i, lo, hi, k, got, w)
			}
		}
	case "shuffle":
		ints(func(n int) []int {
			x := make([]int, n)
			for k := range x {
				x[k] = k
			}
			r.Shuffle(n, func(a, b int) { x[a], x[b] = x[b], x[a] })
			return x
		})
	case "permutation":
		ints(r.Permutation)
	default:
		t.Fatalf("op %d: unknown op %q", i, op)
	}
}

func TestRandomStateSetState(t *testing.T) {
	v := compatVectors(t)
	sv := v.RandomStateSetState
	r := prng.NewRandomState(0)
	if err := json.Unmarshal(sv.State, r); err != nil {
		t.Fatal(err)
	}
	if st := r.State(); st.HasGauss != 1 {
		t.Fatalf("restored state has has_gauss %d, want 1", st.HasGauss)
	}
	// Export and re-import: the same draws follow.
	out, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	q := prng.NewRandomState(1)
	if err := q.UnmarshalJSON(out); err != nil {
		t.Fatal(err)
	}
	for _, g := range []*prng.RandomState{r, q} {
		for k, w := range sv.After.StandardNormal {
			if got := g.StandardNormal(); got != w {
				t.Fatalf("standard_normal %d after set_state = %v, want %v", k, got, w)
			}
		}
		for k, w := range sv.After.Rand {
			if got := g.Rand(); got != w {
				t.Fatalf("rand %d after set_state = %v, want %v", k, got, w)
			}
		}
	}
}

func TestRandomStateTupleJSON(t *testing.T) {
	r := prng.NewRandomState(42)
	r.Rand()
	r.StandardNormal()
	st := r.State()
	key, _ := json.Marshal(st.State.Key)
	tuple := `["MT19937",` + string(key) + `,` + strconv.Itoa(st.State.Pos) + `,1,` +
		strconv.FormatFloat(st.Gauss, 'g', -1, 64) + `]`
	q := prng.NewRandomState(7)
	if err := q.UnmarshalJSON([]byte(tuple)); err != nil {
		t.Fatal(err)
	}
	if q.StandardNormal() != r.StandardNormal() || q.Rand() != r.Rand() {
		t.Fatal("tuple state does not continue like the original")
	}
}

func TestRandomStateBadJSON(t *testing.T) {
	good, err := json.Marshal(prng.NewRandomState(3))
	if err != nil {
		t.Fatal(err)
	}
	key623 := strings.Repeat("1,", 622) + "1"
	tests := []struct {
		name, in string
	}{
		{"empty", ``},
		{"null", `null`},
		{"other generator", strings.Replace(string(good), `"MT19937"`, `"PCG64"`, 1)},
		{"short key", `{"bit_generator":"MT19937","state":{"key":[` + key623 + `],"pos":0}}`},
		{"pos 625", strings.Replace(string(good), `"pos":624`, `"pos":625`, 1)},
		{"negative pos", strings.Replace(string(good), `"pos":624`, `"pos":-1`, 1)},
		{"has_gauss 2", strings.Replace(string(good), `"has_gauss":0`, `"has_gauss":2`, 1)},
		{"missing pos", strings.Replace(string(good), `,"pos":624`, ``, 1)},
		{"key word too big", strings.Replace(string(good), `"key":[`, `"key":[4294967296,`, 1)},
		{"tuple of 4", `["MT19937",[1],624,0]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := prng.NewRandomState(9)
			before := r.State()
			err := r.UnmarshalJSON([]byte(tc.in))
			if !errors.Is(err, prng.ErrInvalidState) {
				t.Fatalf("UnmarshalJSON(%.60q) error %v, want ErrInvalidState", tc.in, err)
			}
			if after := r.State(); !slices.Equal(after.State.Key, before.State.Key) || after.State.Pos != before.State.Pos {
				t.Fatal("failed UnmarshalJSON changed the state")
			}
		})
	}
}

// FuzzRandomStateUnmarshalJSON checks that any input either restores a
// state that round-trips through JSON, or fails with ErrInvalidState.
func FuzzRandomStateUnmarshalJSON(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		r := prng.NewRandomState(5)
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
		q := prng.NewRandomState(6)
		if err := q.UnmarshalJSON(out); err != nil {
			t.Fatalf("re-decoding %s: %v", out, err)
		}
		a, b := r.State(), q.State()
		if !slices.Equal(a.State.Key, b.State.Key) || a.State.Pos != b.State.Pos || a.HasGauss != b.HasGauss ||
			math.Float64bits(a.Gauss) != math.Float64bits(b.Gauss) {
			t.Fatal("state changed in a JSON round trip")
		}
	})
}

func TestRandomStatePanics(t *testing.T) {
	tests := []struct {
		name string
		f    func(r *prng.RandomState)
	}{
		{"randint empty", func(r *prng.RandomState) { r.Randint(3, 3) }},
		{"permutation negative", func(r *prng.RandomState) { r.Permutation(-1) }},
		{"triangular left>mode", func(r *prng.RandomState) { r.Triangular(1, 0, 2) }},
		{"triangular left==right", func(r *prng.RandomState) { r.Triangular(1, 1, 1) }},
		{"empty seed array", func(*prng.RandomState) { prng.NewRandomStateFromArray(nil) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			tc.f(prng.NewRandomState(1))
		})
	}
}

// ExampleRandomState draws what NumPy prints for
//
//	rs = np.random.RandomState(42)
//	rs.rand(), rs.randint(0, 10), rs.randint(0, 10), np.random.RandomState(42).permutation(10)
func ExampleRandomState() {
	rs := prng.NewRandomState(42)
	fmt.Println(rs.Rand(), rs.Randint(0, 10), rs.Randint(0, 10))
	fmt.Println(prng.NewRandomState(42).Permutation(10))
	// Output:
	// 0.3745401188473625 7 4
	// [8 1 5 0 7 2 9 4 3 6]
}
