package prng

import (
	"encoding/binary"
	"fmt"
)

// The MT19937 parameters of Matsumoto and Nishimura, "Mersenne Twister: a
// 623-dimensionally equidistributed uniform pseudo-random number generator",
// ACM TOMACS 8(1), 1998, and their mt19937ar.c (2002) seeding routines
// init_genrand and init_by_array. NumPy (numpy/random/src/mt19937/),
// CPython (Modules/_randommodule.c) and PyTorch (aten/src/ATen/core/MT19937RNGEngine.h)
// all use these constants; they differ only in seeding and in how they turn
// the 32-bit words into numbers.
const (
	mtN         = 624
	mtM         = 397
	mtMatrixA   = 0x9908b0df
	mtUpperMask = 0x80000000
	mtLowerMask = 0x7fffffff
)

// MT19937 is the 32-bit Mersenne Twister: 624 words of state and the index
// pos of the next word to temper and return. When pos reaches 624 the whole
// key is regenerated before the next draw, as in NumPy's mt19937_next and
// CPython's genrand_uint32, so its (key, pos) pair is exactly NumPy's
// MT19937 state dict and the internal state of CPython's random.getstate().
//
// The zero value is an all-zero key with pos 0: a valid state that returns
// only zeros, which no seed produces. Create generators with [NewMT19937] or
// [NewMT19937FromArray]. MT19937 is a value type of about 2.5 KB: copying it
// forks an independent generator. It must not be used by several goroutines
// at once.
type MT19937 struct {
	key [mtN]uint32
	pos int // in [0, 624]
}

// NewMT19937 returns the generator seeded with seed by init_genrand: NumPy's
// np.random.RandomState(seed) for seed in [0, 2^32-1], and PyTorch's
// torch.Generator().manual_seed(s) for seed = s mod 2^32.
func NewMT19937(seed uint32) *MT19937 {
	m := new(MT19937)
	m.Seed(seed)
	return m
}

// NewMT19937FromArray returns the generator seeded with key by
// init_by_array: NumPy's np.random.RandomState(key) for a non-empty array
// of integers in [0, 2^32-1], and CPython's random.seed(n) for key = the
// 32-bit words of |n|, least significant first. It panics if key is empty,
// where NumPy raises ValueError.
func NewMT19937FromArray(key []uint32) *MT19937 {
	m := new(MT19937)
	m.SeedArray(key)
	return m
}

// Seed reseeds m by init_genrand(seed) and sets pos to 624, so that the
// first draw regenerates the key, as NumPy's mt19937_seed does.
func (m *MT19937) Seed(seed uint32) {
	m.key[0] = seed
	for i := 1; i < mtN; i++ {
		prev := m.key[i-1]
		m.key[i] = 1812433253*(prev^prev>>30) + uint32(i)
	}
	m.pos = mtN
}

// SeedArray reseeds m by init_by_array(key), sets pos to 624 and, as in
// mt19937ar.c, forces the top bit of the first word so that the key is never
// all zero. It panics if key is empty.
func (m *MT19937) SeedArray(key []uint32) {
	if len(key) == 0 {
		panic("prng: MT19937.SeedArray called with an empty key")
	}
	m.Seed(19650218)
	i, j := 1, 0
	for k := max(mtN, len(key)); k > 0; k-- {
		prev := m.key[i-1]
		m.key[i] = (m.key[i] ^ (prev^prev>>30)*1664525) + key[j] + uint32(j)
		i++
		j++
		if i >= mtN {
			m.key[0] = m.key[mtN-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := mtN - 1; k > 0; k-- {
		prev := m.key[i-1]
		m.key[i] = (m.key[i] ^ (prev^prev>>30)*1566083941) - uint32(i)
		i++
		if i >= mtN {
			m.key[0] = m.key[mtN-1]
			i = 1
		}
	}
	m.key[0] = mtUpperMask
	m.pos = mtN
}

// regenerate computes the next 624 words of the key in place.
func (m *MT19937) regenerate() {
	k := &m.key
	for i := range mtN {
		y := k[i]&mtUpperMask | k[(i+1)%mtN]&mtLowerMask
		v := k[(i+mtM)%mtN] ^ y>>1
		if y&1 != 0 {
			v ^= mtMatrixA
		}
		k[i] = v
	}
	m.pos = 0
}

// Uint32 returns the next tempered 32-bit word: NumPy's
// MT19937.random_raw(), CPython's getrandbits(32) and PyTorch's
// generator->random().
func (m *MT19937) Uint32() uint32 {
	if m.pos >= mtN {
		m.regenerate()
	}
	y := m.key[m.pos]
	m.pos++
	y ^= y >> 11
	y ^= y << 7 & 0x9d2c5680
	y ^= y << 15 & 0xefc60000
	y ^= y >> 18
	return y
}

// Uint64 returns two words as one, the first in the high half: NumPy's
// mt19937_next64 and PyTorch's random64().
func (m *MT19937) Uint64() uint64 {
	hi := m.Uint32()
	return uint64(hi)<<32 | uint64(m.Uint32())
}

// Float64 returns a float64 in [0, 1) with 53 random bits from two words,
// (a>>5 * 2^26 + b>>6) / 2^53: NumPy's legacy random_sample and CPython's
// random.random().
func (m *MT19937) Float64() float64 {
	a := m.Uint32() >> 5
	b := m.Uint32() >> 6
	return (float64(a)*67108864 + float64(b)) / 9007199254740992
}

// MT19937State is the raw state of an [MT19937]: the 624-word key and the
// index of the next word, in [0, 624]; 624 means the key is regenerated
// before the next draw.
type MT19937State struct {
	Key [mtN]uint32
	Pos int
}

// State returns m's key and position.
func (m *MT19937) State() MT19937State { return MT19937State{Key: m.key, Pos: m.pos} }

// SetState restores a state. It returns an error wrapping
// [ErrInvalidState], and leaves m unchanged, if Pos is outside [0, 624].
// (NumPy does not check pos and reads past its key for a larger one; CPython
// raises ValueError.) An all-zero key is accepted, as both libraries do.
func (m *MT19937) SetState(s MT19937State) error {
	if s.Pos < 0 || s.Pos > mtN {
		return fmt.Errorf("prng: set mt19937 state: %w: pos %d is outside [0, %d]", ErrInvalidState, s.Pos, mtN)
	}
	m.key, m.pos = s.Key, s.Pos
	return nil
}

// mt19937Tag starts the binary form of an MT19937 state.
const mt19937Tag = "mt19937:"

// mt19937BinaryLen is the length of the binary form: tag, 624 key words and
// pos, each big-endian uint32.
const mt19937BinaryLen = len(mt19937Tag) + 4*mtN + 4

// AppendBinary appends the binary form of the state to b: the tag
// "mt19937:", the 624 key words and then pos, each a big-endian uint32. It
// implements encoding.BinaryAppender.
func (m *MT19937) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, mt19937Tag...)
	for _, w := range m.key {
		b = binary.BigEndian.AppendUint32(b, w)
	}
	return binary.BigEndian.AppendUint32(b, uint32(m.pos)), nil
}

// MarshalBinary returns the binary form described at
// [MT19937.AppendBinary]. It implements encoding.BinaryMarshaler.
func (m *MT19937) MarshalBinary() ([]byte, error) {
	return m.AppendBinary(make([]byte, 0, mt19937BinaryLen))
}

// UnmarshalBinary restores a state written by [MT19937.MarshalBinary]. It
// implements encoding.BinaryUnmarshaler. A wrong tag or length, or a pos
// above 624, give an error wrapping [ErrInvalidState]; on error m is
// unchanged.
func (m *MT19937) UnmarshalBinary(b []byte) error {
	if len(b) != mt19937BinaryLen || string(b[:len(mt19937Tag)]) != mt19937Tag {
		return fmt.Errorf("prng: decode mt19937 binary state: %w: want %d bytes starting %q, got %d bytes",
			ErrInvalidState, mt19937BinaryLen, mt19937Tag, len(b))
	}
	b = b[len(mt19937Tag):]
	var s MT19937State
	for i := range s.Key {
		s.Key[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	pos := binary.BigEndian.Uint32(b[4*mtN:])
	if pos > mtN {
		return fmt.Errorf("prng: decode mt19937 binary state: %w: pos %d is above %d", ErrInvalidState, pos, mtN)
	}
	s.Pos = int(pos)
	m.key, m.pos = s.Key, s.Pos
	return nil
}
