package prng_test

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

var (
	_ encoding.BinaryMarshaler   = (*prng.PCG64)(nil)
	_ encoding.BinaryUnmarshaler = (*prng.PCG64)(nil)
	_ encoding.BinaryAppender    = (*prng.PCG64)(nil)
	_ json.Marshaler             = (*prng.PCG64)(nil)
	_ json.Unmarshaler           = (*prng.PCG64)(nil)
	_ rand.Source                = (*prng.PCG64)(nil)
)

// jsonValue decodes JSON text keeping numbers as their decimal text, so that
// 128-bit integers compare exactly.
func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// checkStateJSON checks that p exports a state equal, as JSON values, to
// NumPy's bit_generator.state text want.
func checkStateJSON(t *testing.T, p *prng.PCG64, want string) {
	t.Helper()
	got, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("marshal state: %v", err)
	}
	if g, w := jsonValue(t, got), jsonValue(t, []byte(want)); !reflect.DeepEqual(g, w) {
		t.Errorf("exported state\n  %s\nwant NumPy's\n  %s", got, want)
	}
}

// loadState restores NumPy's state text into a fresh PCG64.
func loadState(t *testing.T, s string) *prng.PCG64 {
	t.Helper()
	p := new(prng.PCG64)
	if err := json.Unmarshal([]byte(s), p); err != nil {
		t.Fatalf("restore NumPy state %s: %v", s, err)
	}
	return p
}

// uint32Op applies one op of a uint32_ops vector to p and returns the
// generator to continue with and the draw, if any.
func uint32Op(t *testing.T, p *prng.PCG64, op string) (*prng.PCG64, *uint64) {
	t.Helper()
	var v uint64
	switch op {
	case "u32":
		v = uint64(p.Uint32())
	case "u64":
		v = p.Uint64()
	case "adv0":
		p.Advance(0)
		return p, nil
	case "adv1":
		p.Advance(1)
		return p, nil
	case "jump":
		return p.Jumped(1), nil
	default:
		t.Fatalf("unknown op %q in vectors", op)
	}
	return p, &v
}

// TestUint32Buffering replays interleaved Uint32, Uint64, Advance and Jumped
// calls against NumPy, checking each draw and the whole state (including
// has_uint32 and uinteger) after every op. Then, from the state NumPy had
// after each op, it restores a fresh generator and checks that it continues
// exactly as NumPy did.
func TestUint32Buffering(t *testing.T) {
	for _, v := range loadVectors(t).Uint32Ops {
		t.Run(v.Name, func(t *testing.T) {
			p, err := prng.NewPCG64(bigInt(t, v.Seed))
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range v.Steps {
				var got *uint64
				p, got = uint32Op(t, p, s.Op)
				if (got == nil) != (s.Value == nil) || got != nil && *got != *s.Value {
					t.Errorf("step %d (%s) drew %v, want %v", i, s.Op, deref(got), deref(s.Value))
				}
				checkState(t, p, s.State)
				checkStateJSON(t, p, s.State)
			}
			for i := range v.Steps {
				q := loadState(t, v.Steps[i].State)
				for j, s := range v.Steps[i+1:] {
					var got *uint64
					q, got = uint32Op(t, q, s.Op)
					if got != nil && *got != *s.Value {
						t.Errorf("restored after step %d: step %d (%s) drew %d, want %d", i, i+1+j, s.Op, *got, *s.Value)
					}
				}
			}
		})
	}
}

func deref(p *uint64) any {
	if p == nil {
		return nil
	}
	return *p
}

// numpyStates returns every NumPy state in the vectors with the raw outputs
// that follow it, where known.
func numpyStates(t *testing.T) []stateVector {
	var out []stateVector
	v := loadVectors(t)
	for _, p := range v.PCG64 {
		out = append(out, stateVector{State: p.State, Raw: p.Raw})
		for _, a := range p.Advance {
			out = append(out, a.stateVector)
		}
		for _, j := range p.Jumped {
			out = append(out, j.stateVector)
		}
	}
	for _, u := range v.Uint32Ops {
		for _, s := range u.Steps {
			out = append(out, stateVector{State: s.State})
		}
	}
	return out
}

// TestStateJSONRoundTrip checks both directions: a NumPy state loads in Go
// (by json.Unmarshal into a PCG64, and through PCG64State and SetState) and
// continues with NumPy's outputs, and Go exports it back as a JSON value
// equal to NumPy's.
func TestStateJSONRoundTrip(t *testing.T) {
	for i, s := range numpyStates(t) {
		p := loadState(t, s.State)
		checkState(t, p, s.State)
		checkStateJSON(t, p, s.State)

		var st prng.PCG64State
		if err := json.Unmarshal([]byte(s.State), &st); err != nil {
			t.Fatalf("state %d: decode PCG64State: %v", i, err)
		}
		q := new(prng.PCG64)
		if err := q.SetState(st); err != nil {
			t.Fatalf("state %d: SetState: %v", i, err)
		}
		if q.State() != st {
			t.Errorf("state %d: State() = %+v after SetState(%+v)", i, q.State(), st)
		}
		checkRaw(t, p, s.Raw)
		checkRaw(t, q, s.Raw)
	}
}

// TestBinaryRoundTrip checks that MarshalBinary and UnmarshalBinary restore
// every state exactly, buffer included, and that AppendBinary appends the
// same bytes.
func TestBinaryRoundTrip(t *testing.T) {
	for i, s := range numpyStates(t) {
		p := loadState(t, s.State)
		b, err := p.MarshalBinary()
		if err != nil {
			t.Fatalf("state %d: MarshalBinary: %v", i, err)
		}
		prefix := []byte("prefix")
		ab, err := p.AppendBinary(bytes.Clone(prefix))
		if err != nil || !bytes.Equal(ab, append(prefix, b...)) {
			t.Errorf("state %d: AppendBinary = %q, %v; want prefix then %q", i, ab, err, b)
		}
		q := new(prng.PCG64)
		if err := q.UnmarshalBinary(b); err != nil {
			t.Fatalf("state %d: UnmarshalBinary(%x): %v", i, b, err)
		}
		checkState(t, q, s.State)
		checkRaw(t, q, s.Raw)
	}
}

// TestRandSource checks that a PCG64 drives math/rand/v2: rand.New(p)
// draws NumPy's raw stream from p itself.
func TestRandSource(t *testing.T) {
	for _, v := range loadVectors(t).PCG64 {
		t.Run(v.Name, func(t *testing.T) {
			p, err := prng.NewPCG64(bigInt(t, v.Seed))
			if err != nil {
				t.Fatal(err)
			}
			r := rand.New(p)
			for i, w := range v.Raw[:len(v.Raw)-1] {
				if got := r.Uint64(); got != w {
					t.Errorf("rand.New(p).Uint64() #%d = %#x, want %#x", i, got, w)
				}
			}
			if got, w := p.Uint64(), v.Raw[len(v.Raw)-1]; got != w {
				t.Errorf("p.Uint64() after rand.New(p) draws = %#x, want %#x", got, w)
			}
		})
	}
}

// validState is NumPy's state for PCG64(42) as Python's json.dumps writes it.
const validState = `{"bit_generator": "PCG64", "state": {"state": 274674114334540486603088602300644985544, "inc": 332724090758049132448979897138935081983}, "has_uint32": 0, "uinteger": 0}`

// TestStateJSONBadInput feeds malformed and mismatched states: each must
// give an error wrapping ErrInvalidState, without panicking and without
// changing the generator.
func TestStateJSONBadInput(t *testing.T) {
	replace := func(old, new string) string {
		if !strings.Contains(validState, old) {
			panic("test table: " + old + " not in validState")
		}
		return strings.Replace(validState, old, new, 1)
	}
	tests := []struct {
		name, in, wantMsg string
	}{
		{"empty", ``, "not a JSON object"},
		{"not JSON", `{"bit_generator": `, "not a JSON object"},
		{"null", `null`, "null"},
		{"array", `[1, 2]`, "not a JSON object"},
		{"trailing data", validState + ` {}`, "not a JSON object"},
		{"empty object", `{}`, `missing "bit_generator"`},
		{"other bit generator", replace(`"PCG64"`, `"MT19937"`), `bit_generator is "MT19937", want "PCG64"`},
		{"PCG64DXSM", replace(`"PCG64"`, `"PCG64DXSM"`), `bit_generator is "PCG64DXSM"`},
		{"bit_generator not a string", replace(`"PCG64"`, `64`), `"bit_generator"`},
		{"bit_generator null", replace(`"PCG64"`, `null`), `"bit_generator" is null`},
		{"key in other case", replace(`"bit_generator"`, `"Bit_Generator"`), `missing "bit_generator"`},
		{"state missing", `{"bit_generator": "PCG64", "has_uint32": 0, "uinteger": 0}`, `missing "state"`},
		{"state not an object", replace(`{"state": 274674114334540486603088602300644985544, "inc": 332724090758049132448979897138935081983}`, `[1, 3]`), `"state" is not a JSON object`},
		{"state.state missing", replace(`"state": 274674114334540486603088602300644985544, `, ``), `missing "state.state"`},
		{"state.inc missing", replace(`, "inc": 332724090758049132448979897138935081983`, ``), `missing "state.inc"`},
		{"state.inc null", replace(`332724090758049132448979897138935081983`, `null`), `"state.inc" is null`},
		{"state as string", replace(`274674114334540486603088602300644985544`, `"274674114334540486603088602300644985544"`), "not a non-negative integer"},
		{"state negative", replace(`274674114334540486603088602300644985544`, `-1`), "not a non-negative integer"},
		{"state fraction", replace(`274674114334540486603088602300644985544`, `1.5`), "not a non-negative integer"},
		{"state exponent", replace(`274674114334540486603088602300644985544`, `1e3`), "not a non-negative integer"},
		{"state 2^128", replace(`274674114334540486603088602300644985544`, `340282366920938463463374607431768211456`), "does not fit in 128 bits"},
		{"state 10^40", replace(`274674114334540486603088602300644985544`, `10000000000000000000000000000000000000000`), "does not fit in 128 bits"},
		{"inc 2^128+1", replace(`332724090758049132448979897138935081983`, `340282366920938463463374607431768211457`), "does not fit in 128 bits"},
		{"inc even", replace(`332724090758049132448979897138935081983`, `332724090758049132448979897138935081982`), "is even"},
		{"inc zero", replace(`332724090758049132448979897138935081983`, `0`), "is even"},
		{"has_uint32 2", replace(`"has_uint32": 0`, `"has_uint32": 2`), "has_uint32 is 2, want 0 or 1"},
		{"has_uint32 -1", replace(`"has_uint32": 0`, `"has_uint32": -1`), "has_uint32 is -1"},
		{"has_uint32 bool", replace(`"has_uint32": 0`, `"has_uint32": true`), `"has_uint32"`},
		{"has_uint32 float", replace(`"has_uint32": 0`, `"has_uint32": 1.0`), `"has_uint32"`},
		{"uinteger 2^32", replace(`"uinteger": 0`, `"uinteger": 4294967296`), `"uinteger"`},
		{"uinteger negative", replace(`"uinteger": 0`, `"uinteger": -1`), `"uinteger"`},
		{"uinteger missing", replace(`, "uinteger": 0`, ``), `missing "uinteger"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPCG64(t, 7)
			before := *p
			err := p.UnmarshalJSON([]byte(tt.in))
			if !errors.Is(err, prng.ErrInvalidState) {
				t.Fatalf("UnmarshalJSON(%s) error = %v, want one wrapping ErrInvalidState", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not say %q", err, tt.wantMsg)
			}
			if *p != before {
				t.Errorf("failed UnmarshalJSON(%s) changed the generator", tt.in)
			}
			// json.Unmarshal checks the syntax itself before it calls
			// UnmarshalJSON, so it reports bad syntax as a *json.SyntaxError.
			err = json.Unmarshal([]byte(tt.in), p)
			var syntax *json.SyntaxError
			if !errors.Is(err, prng.ErrInvalidState) && !errors.As(err, &syntax) {
				t.Errorf("json.Unmarshal(%s) error = %v, want ErrInvalidState or a syntax error", tt.in, err)
			}
			if *p != before {
				t.Errorf("failed json.Unmarshal(%s) changed the generator", tt.in)
			}
		})
	}
	t.Run("valid control", func(t *testing.T) {
		p := loadState(t, validState)
		checkRaw(t, p, []uint64{0xc621fbcd16d92688, 0x705a5661a791ffc1})
	})
}

// TestSetStateBadInput checks SetState's value checks on a decoded struct.
func TestSetStateBadInput(t *testing.T) {
	good := prng.PCG64State{
		BitGenerator: "PCG64",
		State:        prng.PCG64Fields{State: prng.Uint128{Hi: 1, Lo: 2}, Inc: prng.Uint128{Lo: 3}},
	}
	tests := []struct {
		name   string
		modify func(s *prng.PCG64State)
	}{
		{"empty name", func(s *prng.PCG64State) { s.BitGenerator = "" }},
		{"other name", func(s *prng.PCG64State) { s.BitGenerator = "Philox" }},
		{"even inc", func(s *prng.PCG64State) { s.State.Inc = prng.Uint128{Hi: 1, Lo: 2} }},
		{"has_uint32 3", func(s *prng.PCG64State) { s.HasUint32 = 3 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := good
			tt.modify(&s)
			p := newPCG64(t, 1)
			before := *p
			if err := p.SetState(s); !errors.Is(err, prng.ErrInvalidState) {
				t.Errorf("SetState(%+v) error = %v, want one wrapping ErrInvalidState", s, err)
			}
			if *p != before {
				t.Errorf("failed SetState changed the generator")
			}
		})
	}
	p := new(prng.PCG64)
	if err := p.SetState(good); err != nil || p.State() != good {
		t.Errorf("SetState(%+v) = %v, State() = %+v", good, err, p.State())
	}
}

// TestBinaryBadInput checks that damaged binary states give an error
// wrapping ErrInvalidState and leave the generator unchanged.
func TestBinaryBadInput(t *testing.T) {
	good, err := newPCG64(t, 42).MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	with := func(i int, b byte) []byte {
		c := bytes.Clone(good)
		c[i] = b
		return c
	}
	n := len(good)
	tests := []struct {
		name string
		in   []byte
	}{
		{"nil", nil},
		{"tag only", []byte("numpy-pcg64:")},
		{"truncated by one", good[:n-1]},
		{"one byte too many", append(bytes.Clone(good), 0)},
		{"wrong tag", append([]byte("numpy-pcg32:"), good[12:]...)},
		{"math/rand/v2 PCG", mustMarshal(t, rand.NewPCG(1, 2))},
		{"even increment", with(n-6, good[n-6]&^1)},
		{"has_uint32 2", with(n-5, 2)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newPCG64(t, 7)
			before := *p
			if err := p.UnmarshalBinary(tt.in); !errors.Is(err, prng.ErrInvalidState) {
				t.Errorf("UnmarshalBinary(%q) error = %v, want one wrapping ErrInvalidState", tt.in, err)
			}
			if *p != before {
				t.Errorf("failed UnmarshalBinary changed the generator")
			}
		})
	}
}

func mustMarshal(t *testing.T, m encoding.BinaryMarshaler) []byte {
	t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
