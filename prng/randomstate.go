package prng

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
)

// mt19937Name is the bit_generator value of NumPy's MT19937 state dict.
const mt19937Name = "MT19937"

// RandomState is NumPy's legacy numpy.random.RandomState over an
// [MT19937]: the generator behind np.random.seed and the np.random.*
// functions, which NumPy keeps frozen for reproducibility. Every method
// returns the numbers the RandomState method of the same name returns for
// the same state, and leaves the same state, as checked against NumPy 1.24
// (numpy/random/mtrand.pyx, _mt19937.pyx, src/legacy/legacy-distributions.c
// and src/distributions/distributions.c).
//
// A RandomState is owned by one goroutine. The zero value is not usable:
// create one with [NewRandomState] or [NewRandomStateFromArray].
type RandomState struct {
	mt       *MT19937
	hasGauss bool    // a second normal from the polar method is cached
	gauss    float64 // the cached normal
}

// NewRandomState returns np.random.RandomState(seed), seed in
// [0, 2^32-1] (the range NumPy accepts), seeded by init_genrand.
func NewRandomState(seed uint32) *RandomState {
	return &RandomState{mt: NewMT19937(seed)}
}

// NewRandomStateFromArray returns np.random.RandomState(key) for a
// non-empty array of integers in [0, 2^32-1], seeded by init_by_array. It
// panics if key is empty, where NumPy raises ValueError.
func NewRandomStateFromArray(key []uint32) *RandomState {
	return &RandomState{mt: NewMT19937FromArray(key)}
}

// MT19937 returns the bit generator r draws from (not a copy).
func (r *RandomState) MT19937() *MT19937 { return r.mt }

// Rand returns a float64 in [0, 1), NumPy's rs.rand() and
// rs.random_sample(): two 32-bit words give 53 bits, see [MT19937.Float64].
func (r *RandomState) Rand() float64 { return r.mt.Float64() }

// Randint returns an int64 in [low, high), NumPy's rs.randint(low, high)
// with the default int64 dtype. The legacy draw is masked rejection: with
// rng = high-1-low, a range below 2^32 takes 32-bit words masked to the
// smallest all-ones mask covering rng until one is at most rng (rng = 0
// draws nothing); a larger range does the same with 64-bit values made of
// two words, the first in the high half. (NumPy's "buffered" 32-bit draws
// buffer nothing for 32- and 64-bit dtypes: every word is a fresh draw, so
// array and scalar calls consume the same words.) The full int64 span,
// which NumPy writes with high = 2^63, cannot be expressed here. Randint
// panics if low >= high, where NumPy raises ValueError.
func (r *RandomState) Randint(low, high int64) int64 {
	if low >= high {
		panic(fmt.Sprintf("prng: Randint called with low %d >= high %d", low, high))
	}
	return int64(uint64(low) + r.masked(uint64(high)-uint64(low)-1))
}

// masked is NumPy's legacy bounded draw in [0, rng]
// (random_bounded_uint64_fill with use_masked=True). It is also
// random_interval, the draw of the legacy shuffle.
func (r *RandomState) masked(rng uint64) uint64 { return maskedInterval(r.mt, rng) }

// Shuffle permutes n elements as NumPy's rs.shuffle(x) permutes a sequence
// or one-dimensional array x of length n: for i from n-1 down to 1 it draws
// j uniform in [0, i] by the masked rejection of [RandomState.Randint] and
// calls swap(i, j), also when j == i. Shuffle panics if n < 0.
func (r *RandomState) Shuffle(n int, swap func(i, j int)) {
	if n < 0 {
		panic("prng: RandomState.Shuffle called with negative n")
	}
	shuffleBy(n, r.masked, swap)
}

// Permutation returns NumPy's rs.permutation(n): 0, 1, ..., n-1 shuffled by
// [RandomState.Shuffle]. It panics if n < 0.
func (r *RandomState) Permutation(n int) []int {
	if n < 0 {
		panic("prng: RandomState.Permutation called with negative n")
	}
	return permutationBy(n, r.masked)
}

// StandardExponential returns NumPy's legacy rs.standard_exponential():
// -log(1 - U) for one [RandomState.Rand] draw U (inversion, not the
// ziggurat of [Generator.StandardExponential]). The logarithm is correctly
// rounded, as glibc's log is for all but very rare arguments.
func (r *RandomState) StandardExponential() float64 {
	return -legacyLog(1 - r.Rand())
}

// StandardNormal returns NumPy's legacy rs.standard_normal(): the polar
// Box-Muller method. Pairs (x1, x2) of 2U-1 are drawn until
// 0 < r2 = x1²+x2² < 1; then f = sqrt(-2 log(r2)/r2), f*x2 is returned and
// f*x1 is cached for the next call, which returns it without drawing. The
// cache is the has_gauss and gauss of the state.
func (r *RandomState) StandardNormal() float64 {
	if r.hasGauss {
		r.hasGauss = false
		g := r.gauss
		r.gauss = 0
		return g
	}
	for {
		x1 := 2*r.Rand() - 1
		x2 := 2*r.Rand() - 1
		r2 := x1*x1 + x2*x2
		if r2 >= 1 || r2 == 0 {
			continue
		}
		// float64() keeps each product rounded, forbidding the fused
		// multiply-adds that the C compiler does not emit here either.
		f := math.Sqrt(-2 * legacyLog(r2) / r2)
		r.gauss = float64(f * x1)
		r.hasGauss = true
		return float64(f * x2)
	}
}

// Triangular returns NumPy's legacy rs.triangular(left, mode, right), by
// inverting the distribution function on one [RandomState.Rand] draw.
// Like NumPy it requires left <= mode <= right and left < right, and panics
// otherwise (NumPy raises ValueError).
func (r *RandomState) Triangular(left, mode, right float64) float64 {
	checkTriangular(left, mode, right)
	return triangular(left, mode, right, r.Rand())
}

// legacyLog is log(x) correctly rounded, x > 0, for the legacy
// distributions. NumPy calls the C library's log, which glibc rounds
// correctly on all but very rare arguments, while math.Log may be one ulp
// off; see docs/prng.md.
func legacyLog(x float64) float64 {
	if x == 1 {
		return 0
	}
	return roundedLog(x)
}

// RandomStateState is the state of a [RandomState] as NumPy's
// rs.get_state(legacy=False) dict, with the key as a list:
//
//	{"bit_generator":"MT19937","state":{"key":[...624 words...],"pos":624},"has_gauss":0,"gauss":0.0}
//
// json.loads of this text can be passed to rs.set_state in NumPy. The
// legacy tuple ("MT19937", key, pos, has_gauss, cached_gaussian) holds the
// same fields; [RandomState.UnmarshalJSON] also reads it as a JSON array.
type RandomStateState struct {
	BitGenerator string        `json:"bit_generator"` // "MT19937"
	State        MT19937Fields `json:"state"`
	HasGauss     int           `json:"has_gauss"` // 1 if Gauss holds a cached normal, else 0
	Gauss        float64       `json:"gauss"`     // the cached normal, 0 if none
}

// MT19937Fields is the inner "state" dict of [RandomStateState]: the 624
// key words and the position, in [0, 624].
type MT19937Fields struct {
	Key []uint32 `json:"key"`
	Pos int      `json:"pos"`
}

// State returns r's state as NumPy's rs.get_state(legacy=False) dict.
func (r *RandomState) State() RandomStateState {
	s := RandomStateState{
		BitGenerator: mt19937Name,
		State:        MT19937Fields{Key: append([]uint32(nil), r.mt.key[:]...), Pos: r.mt.pos},
		Gauss:        r.gauss,
	}
	if r.hasGauss {
		s.HasGauss = 1
	}
	return s
}

// SetState restores a state, as rs.set_state does in NumPy. It returns an
// error wrapping [ErrInvalidState], and leaves r unchanged, if BitGenerator
// is not "MT19937", the key does not have 624 words, Pos is outside
// [0, 624] or HasGauss is not 0 or 1.
func (r *RandomState) SetState(s RandomStateState) error {
	if err := r.setState(s); err != nil {
		return fmt.Errorf("prng: set random state: %w", err)
	}
	return nil
}

// setState is SetState without the error prefix.
func (r *RandomState) setState(s RandomStateState) error {
	if s.BitGenerator != mt19937Name {
		return fmt.Errorf("%w: bit_generator is %.40q, want %q", ErrInvalidState, s.BitGenerator, mt19937Name)
	}
	if len(s.State.Key) != mtN {
		return fmt.Errorf("%w: key has %d words, want %d", ErrInvalidState, len(s.State.Key), mtN)
	}
	if s.State.Pos < 0 || s.State.Pos > mtN {
		return fmt.Errorf("%w: pos %d is outside [0, %d]", ErrInvalidState, s.State.Pos, mtN)
	}
	if s.HasGauss != 0 && s.HasGauss != 1 {
		return fmt.Errorf("%w: has_gauss is %d, want 0 or 1", ErrInvalidState, s.HasGauss)
	}
	mt := new(MT19937)
	copy(mt.key[:], s.State.Key)
	mt.pos = s.State.Pos
	*r = RandomState{mt: mt, hasGauss: s.HasGauss == 1, gauss: s.Gauss}
	return nil
}

// MarshalJSON encodes the state as described at [RandomStateState].
func (r *RandomState) MarshalJSON() ([]byte, error) { return json.Marshal(r.State()) }

// UnmarshalJSON restores a state from JSON: the dict of [RandomStateState]
// (bit_generator, state.key and state.pos required; has_gauss and gauss
// default to 0 when absent, as in NumPy's set_state) or the legacy tuple as
// an array of 3 or 5 elements ["MT19937", key, pos, has_gauss, gauss].
// Errors wrap [ErrInvalidState]; on error r is unchanged.
func (r *RandomState) UnmarshalJSON(b []byte) error {
	s, err := decodeRandomStateState(b)
	if err == nil {
		err = r.setState(s)
	}
	if err != nil {
		return fmt.Errorf("prng: decode random state: %w", err)
	}
	return nil
}

// decodeRandomStateState parses either JSON form of a RandomState state,
// checking types but not values.
func decodeRandomStateState(b []byte) (RandomStateState, error) {
	var s RandomStateState
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal(t, &items); err != nil {
			return s, fmt.Errorf("%w: state tuple: %w", ErrInvalidState, err)
		}
		if len(items) != 3 && len(items) != 5 {
			return s, fmt.Errorf("%w: state tuple has %d items, want 3 or 5", ErrInvalidState, len(items))
		}
		m := map[string]json.RawMessage{"bit_generator": items[0], "key": items[1], "pos": items[2]}
		if len(items) == 5 {
			m["has_gauss"], m["gauss"] = items[3], items[4]
		}
		return s, decodeMTFields(&s, m, m, "")
	}
	top, err := jsonObject(b, "state dict")
	if err != nil {
		return s, err
	}
	var rawInner json.RawMessage
	if err := jsonField(top, "", "state", &rawInner); err != nil {
		return s, err
	}
	inner, err := jsonObject(rawInner, `"state"`)
	if err != nil {
		return s, err
	}
	return s, decodeMTFields(&s, top, inner, "state.")
}

// decodeMTFields fills s from the members of the top-level object (or tuple)
// and of the inner state object.
func decodeMTFields(s *RandomStateState, top, inner map[string]json.RawMessage, prefix string) error {
	if err := jsonField(top, "", "bit_generator", &s.BitGenerator); err != nil {
		return err
	}
	if err := jsonField(inner, prefix, "key", &s.State.Key); err != nil {
		return err
	}
	if err := jsonField(inner, prefix, "pos", &s.State.Pos); err != nil {
		return err
	}
	if _, ok := top["has_gauss"]; ok {
		if err := jsonField(top, "", "has_gauss", &s.HasGauss); err != nil {
			return err
		}
	}
	if _, ok := top["gauss"]; ok {
		if err := jsonField(top, "", "gauss", &s.Gauss); err != nil {
			return err
		}
	}
	return nil
}
