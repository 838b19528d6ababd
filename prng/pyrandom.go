package prng

import (
	"bytes"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"math/big"
	"math/bits"
)

// pyStateVersion is the version number CPython's random.getstate() writes
// (random.Random.VERSION).
const pyStateVersion = 3

// PyRandom is CPython's random.Random (the module-level functions of
// Python's random module) as of CPython 3.11: a Mersenne Twister seeded by
// init_by_array, with integers drawn by getrandbits rejection. Every method
// returns what the Python method of the same name returns for the same
// state, and leaves the same state (checked against Debian's Python 3.11;
// Lib/random.py and Modules/_randommodule.c).
//
// The gauss cache of random.gauss is kept in the state for round trips but
// PyRandom has no gauss method. A PyRandom is owned by one goroutine. The
// zero value is not usable: create one with [NewPyRandom] or
// [NewPyRandomString].
type PyRandom struct {
	mt        MT19937
	gaussNext *float64 // random.Random.gauss_next; nil is None
}

// NewPyRandom returns random.Random(seed) for an int seed of any size: the
// generator is seeded by init_by_array with the 32-bit words of |seed|,
// least significant first (one word 0 for seed 0). A nil seed is taken as
// 0, not as Python's None, which would draw entropy from the OS.
func NewPyRandom(seed *big.Int) *PyRandom {
	r := new(PyRandom)
	r.Seed(seed)
	return r
}

// NewPyRandomString returns random.Random(s) for a str seed s: with the
// default version 2, s is encoded as UTF-8 and the int seed is
// int.from_bytes(b + sha512(b).digest(), "big") for those bytes b. The
// bytes of s are used as they are, whether or not they are valid UTF-8 (a
// Python str cannot hold invalid UTF-8; Python bytes seeds behave the same).
func NewPyRandomString(s string) *PyRandom {
	r := new(PyRandom)
	r.SeedString(s)
	return r
}

// Seed reseeds r as random.seed(seed) does for an int seed, and clears the
// gauss cache. A nil seed is taken as 0.
func (r *PyRandom) Seed(seed *big.Int) {
	var words []uint32
	if seed != nil {
		for _, w := range new(big.Int).Abs(seed).Bits() {
			if bits.UintSize == 64 {
				words = append(words, uint32(w), uint32(uint64(w)>>32))
			} else {
				words = append(words, uint32(w))
			}
		}
	}
	for len(words) > 0 && words[len(words)-1] == 0 {
		words = words[:len(words)-1]
	}
	if len(words) == 0 {
		words = []uint32{0}
	}
	r.mt.SeedArray(words)
	r.gaussNext = nil
}

// SeedString reseeds r as random.seed(s) does for a str seed; see
// [NewPyRandomString].
func (r *PyRandom) SeedString(s string) {
	b := []byte(s)
	sum := sha512.Sum512(b)
	r.Seed(new(big.Int).SetBytes(append(b, sum[:]...)))
}

// Random returns random.random(): a float64 in [0, 1) with 53 random bits
// from two words, see [MT19937.Float64].
func (r *PyRandom) Random() float64 { return r.mt.Float64() }

// GetRandBits returns random.getrandbits(k), a non-negative integer below
// 2^k: for k <= 32 the top k bits of one word; otherwise ceil(k/32) words
// fill the result from its least significant end, the last word keeping
// only its top k mod 32 bits. k = 0 gives 0 without drawing. GetRandBits
// panics if k < 0, where Python raises ValueError.
func (r *PyRandom) GetRandBits(k int) *big.Int {
	if k < 0 {
		panic(fmt.Sprintf("prng: GetRandBits called with negative k %d", k))
	}
	if k <= 64 {
		return new(big.Int).SetUint64(r.randBits64(k))
	}
	words := make([]big.Word, 0, (k+bits.UintSize-1)/bits.UintSize)
	var acc uint64
	filled := 0
	for left := k; left > 0; left -= 32 {
		w := r.mt.Uint32()
		if left < 32 {
			w >>= 32 - left
		}
		acc |= uint64(w) << filled
		filled += 32
		if filled == bits.UintSize {
			words = append(words, big.Word(acc))
			acc, filled = 0, 0
		}
	}
	if filled > 0 {
		words = append(words, big.Word(acc))
	}
	return new(big.Int).SetBits(words)
}

// randBits64 is getrandbits(k) for 0 <= k <= 64.
func (r *PyRandom) randBits64(k int) uint64 {
	switch {
	case k == 0:
		return 0
	case k <= 32:
		return uint64(r.mt.Uint32() >> (32 - k))
	}
	lo := uint64(r.mt.Uint32())
	return lo | uint64(r.mt.Uint32()>>(64-k))<<32
}

// RandBelow returns random._randbelow(n), uniform in [0, n): with k the bit
// length of n, getrandbits(k) is drawn until it is below n. (For n a power
// of two this draws one bit more than needed, as CPython 3.11 does.) It
// panics if n == 0.
func (r *PyRandom) RandBelow(n uint64) uint64 {
	if n == 0 {
		panic("prng: RandBelow called with n 0")
	}
	k := bits.Len64(n)
	for {
		if v := r.randBits64(k); v < n {
			return v
		}
	}
}

// RandBelowBig is [PyRandom.RandBelow] for an n of any size. It panics if
// n <= 0.
func (r *PyRandom) RandBelowBig(n *big.Int) *big.Int {
	if n.Sign() <= 0 {
		panic(fmt.Sprintf("prng: RandBelowBig called with n %v <= 0", n))
	}
	if n.IsUint64() {
		return new(big.Int).SetUint64(r.RandBelow(n.Uint64()))
	}
	k := n.BitLen()
	for {
		if v := r.GetRandBits(k); v.Cmp(n) < 0 {
			return v
		}
	}
}

// RandRange returns random.randrange(start, stop, step): start +
// step*_randbelow(n) for the number n of values in the range. Python's
// one-argument randrange(stop) is RandRange(0, stop, 1), which draws the
// same. RandRange panics if step is 0 or the range is empty, where Python
// raises ValueError.
func (r *PyRandom) RandRange(start, stop, step int64) int64 {
	v := r.RandRangeBig(big.NewInt(start), big.NewInt(stop), big.NewInt(step))
	return v.Int64() // in [start, stop): fits
}

// RandRangeBig is [PyRandom.RandRange] for integers of any size.
func (r *PyRandom) RandRangeBig(start, stop, step *big.Int) *big.Int {
	// n = (width + step - 1) // step for step > 0, (width + step + 1) // step
	// for step < 0, with Python's floor division.
	n := new(big.Int).Sub(stop, start)
	n.Add(n, step)
	switch step.Sign() {
	case 0:
		panic("prng: RandRange called with step 0")
	case 1:
		n.Sub(n, big.NewInt(1))
	default:
		n.Add(n, big.NewInt(1))
	}
	n = floorDiv(n, step)
	if n.Sign() <= 0 {
		panic(fmt.Sprintf("prng: RandRange called with the empty range (%v, %v, %v)", start, stop, step))
	}
	v := r.RandBelowBig(n)
	return v.Mul(v, step).Add(v, start)
}

// floorDiv returns floor(a / b) for b != 0, as Python's a // b.
func floorDiv(a, b *big.Int) *big.Int {
	q, m := new(big.Int).QuoRem(a, b, new(big.Int))
	if m.Sign() != 0 && (m.Sign() < 0) != (b.Sign() < 0) {
		q.Sub(q, big.NewInt(1))
	}
	return q
}

// RandInt returns random.randint(a, b) = randrange(a, b+1), uniform in
// [a, b]. It panics if a > b, or if b is math.MaxInt64 (use
// [PyRandom.RandRangeBig]).
func (r *PyRandom) RandInt(a, b int64) int64 {
	if b == 1<<63-1 {
		panic("prng: RandInt called with b = MaxInt64")
	}
	return r.RandRange(a, b+1, 1)
}

// Shuffle permutes n elements as random.shuffle(x) permutes a list x of
// length n: for i from n-1 down to 1 it draws j = _randbelow(i+1) and calls
// swap(i, j), also when j == i. It panics if n < 0.
func (r *PyRandom) Shuffle(n int, swap func(i, j int)) {
	if n < 0 {
		panic("prng: PyRandom.Shuffle called with negative n")
	}
	for i := n - 1; i >= 1; i-- {
		swap(i, int(r.RandBelow(uint64(i)+1)))
	}
}

// Sample returns random.sample(range(n), k): k distinct values of [0, n) in
// selection order. Like CPython it picks one of two methods by comparing n
// with the size of a set of k elements, setsize = 21 plus, for k > 5,
// 4^ceil(log4(3k)): if n <= setsize it draws from a pool (j = _randbelow(n-i)
// takes pool[j], whose slot gets the last pool element), else it draws
// _randbelow(n) until it hits a value not yet selected. (CPython computes
// the exponent with floating-point logarithms; here it is the exact
// smallest m with 4^m >= 3k, which is the same for every k a float64 log
// resolves, far beyond any sample held in memory.) Sample panics if k < 0
// or k > n, where Python raises ValueError.
func (r *PyRandom) Sample(n, k int) []int {
	if k < 0 || k > n {
		panic(fmt.Sprintf("prng: Sample called with k %d outside [0, n %d]", k, n))
	}
	out := make([]int, k)
	if n <= sampleSetSize(k) {
		pool := make([]int, n)
		for i := range pool {
			pool[i] = i
		}
		for i := range k {
			j := int(r.RandBelow(uint64(n - i)))
			out[i] = pool[j]
			pool[j] = pool[n-i-1]
		}
		return out
	}
	selected := make(map[int]struct{}, k)
	for i := range k {
		j := int(r.RandBelow(uint64(n)))
		for {
			if _, dup := selected[j]; !dup {
				break
			}
			j = int(r.RandBelow(uint64(n)))
		}
		selected[j] = struct{}{}
		out[i] = j
	}
	return out
}

// sampleSetSize is CPython's setsize of random.sample for k, saturating at
// MaxInt.
func sampleSetSize(k int) int {
	const maxInt = int(^uint(0) >> 1)
	size := 21
	if k > 5 {
		target := 3 * uint64(k)
		p := uint64(1)
		for p < target {
			if p > uint64(maxInt)/4 {
				return maxInt
			}
			p *= 4
		}
		size += int(p)
	}
	return size
}

// PyRandomState is the state of a [PyRandom] as CPython's
// random.getstate() tuple (version, internalstate, gauss_next), as a JSON
// object:
//
//	{"version":3,"internalstate":[...624 words..., index],"gauss_next":null}
//
// In Python, d = json.loads(text) is restored by
// random.setstate((d["version"], tuple(d["internalstate"]), d["gauss_next"])),
// and the same expression over random.getstate() builds the dict to dump.
type PyRandomState struct {
	Version       int      `json:"version"`       // 3
	InternalState []uint32 `json:"internalstate"` // 624 key words, then the index in [0, 624]
	GaussNext     *float64 `json:"gauss_next"`    // nil for None
}

// State returns r's state as random.getstate() does.
func (r *PyRandom) State() PyRandomState {
	s := PyRandomState{Version: pyStateVersion, InternalState: make([]uint32, 0, mtN+1)}
	s.InternalState = append(append(s.InternalState, r.mt.key[:]...), uint32(r.mt.pos))
	if r.gaussNext != nil {
		g := *r.gaussNext
		s.GaussNext = &g
	}
	return s
}

// SetState restores a state, as random.setstate does. It returns an error
// wrapping [ErrInvalidState], and leaves r unchanged, if Version is not 3,
// InternalState does not hold 625 values or its last value, the index, is
// above 624. (CPython also accepts words of 2^32 and more, truncating them;
// they cannot be expressed in a PyRandomState.)
func (r *PyRandom) SetState(s PyRandomState) error {
	if err := r.setState(s); err != nil {
		return fmt.Errorf("prng: set python random state: %w", err)
	}
	return nil
}

// setState is SetState without the error prefix.
func (r *PyRandom) setState(s PyRandomState) error {
	if s.Version != pyStateVersion {
		return fmt.Errorf("%w: version %d, want %d", ErrInvalidState, s.Version, pyStateVersion)
	}
	if len(s.InternalState) != mtN+1 {
		return fmt.Errorf("%w: internalstate has %d values, want %d", ErrInvalidState, len(s.InternalState), mtN+1)
	}
	if idx := s.InternalState[mtN]; idx > mtN {
		return fmt.Errorf("%w: index %d is above %d", ErrInvalidState, idx, mtN)
	}
	var q PyRandom
	copy(q.mt.key[:], s.InternalState[:mtN])
	q.mt.pos = int(s.InternalState[mtN])
	if s.GaussNext != nil {
		g := *s.GaussNext
		q.gaussNext = &g
	}
	*r = q
	return nil
}

// MarshalJSON encodes the state as described at [PyRandomState].
func (r *PyRandom) MarshalJSON() ([]byte, error) { return json.Marshal(r.State()) }

// UnmarshalJSON restores a state from the JSON of [PyRandomState]: version
// and internalstate are required, gauss_next may be absent or null. Errors
// wrap [ErrInvalidState]; on error r is unchanged.
func (r *PyRandom) UnmarshalJSON(b []byte) error {
	var s PyRandomState
	top, err := jsonObject(b, "state object")
	if err == nil {
		err = jsonField(top, "", "version", &s.Version)
	}
	if err == nil {
		err = jsonField(top, "", "internalstate", &s.InternalState)
	}
	if raw, ok := top["gauss_next"]; ok && err == nil && string(bytes.TrimSpace(raw)) != "null" {
		err = jsonField(top, "", "gauss_next", &s.GaussNext)
	}
	if err == nil {
		err = r.setState(s)
	}
	if err != nil {
		return fmt.Errorf("prng: decode python random state: %w", err)
	}
	return nil
}
