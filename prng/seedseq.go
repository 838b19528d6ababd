package prng

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"
)

// Constants of NumPy's SeedSequence, numpy/random/bit_generator.pyx
// (numpy/numpy@1f90bbb55e65e7de68921bc3f1a2d94492fdf689). They come from
// Melissa O'Neill's seed_seq_fe design; NumPy fixes them and so do we.
const (
	poolSize  = 4 // DEFAULT_POOL_SIZE: a 128-bit entropy pool
	initA     = 0x43b0d7e5
	multA     = 0x931e8875
	initB     = 0x8b51f9dd
	multB     = 0x58f38ded
	mixMultL  = 0xca01f9dd
	mixMultR  = 0x4973f715
	xshift    = 16 // half the width of a uint32 word
	wordBits  = 32
	maxSpawns = 1 << 32 // spawn-key words are uint32
)

// ErrNegativeEntropy is returned when a seed or entropy value is negative:
// NumPy only accepts non-negative integers.
var ErrNegativeEntropy = errors.New("entropy must be a non-negative integer")

// ErrNilEntropy is returned when a nil *big.Int is passed as seed or entropy.
// NumPy would draw fresh OS entropy for None; splitdata never does, so that
// every run is reproducible from a seed the user gave.
var ErrNilEntropy = errors.New("entropy must not be nil")

// SeedSequence is NumPy's numpy.random.SeedSequence with the default pool
// size of 4 words: it hashes an arbitrary-size non-negative integer (the
// entropy) and a spawn key into a 128-bit pool, from which it generates
// well-mixed seed words for bit generators such as [PCG64].
//
// NewSeedSequence(e, k...) equals numpy.random.SeedSequence(e, spawn_key=k):
// [SeedSequence.GenerateState32], [SeedSequence.GenerateState64] and
// [SeedSequence.Spawn] return exactly NumPy's numbers.
//
// A SeedSequence is immutable except for its count of spawned children, which
// Spawn advances; it must not be used by several goroutines at once while
// spawning. The zero value is not usable; create one with [NewSeedSequence].
type SeedSequence struct {
	entropy  *big.Int // owned copy; never mutated
	spawnKey []uint32 // owned copy; never mutated
	pool     [poolSize]uint32
	spawned  uint64 // n_children_spawned
}

// NewSeedSequence returns NumPy's SeedSequence(entropy, spawn_key=spawnKey).
// entropy may be any non-negative integer, including values of 2^64 and
// beyond; it is split into 32-bit words, least significant first, exactly as
// NumPy does. It returns [ErrNilEntropy] or [ErrNegativeEntropy] (wrapped) for
// a nil or negative entropy.
func NewSeedSequence(entropy *big.Int, spawnKey ...uint32) (*SeedSequence, error) {
	if entropy == nil {
		return nil, fmt.Errorf("prng: new seed sequence: %w", ErrNilEntropy)
	}
	if entropy.Sign() < 0 {
		return nil, fmt.Errorf("prng: new seed sequence from %s: %w", entropy, ErrNegativeEntropy)
	}
	s := &SeedSequence{
		entropy:  new(big.Int).Set(entropy),
		spawnKey: append([]uint32(nil), spawnKey...),
	}
	s.mixEntropy(s.assembledEntropy())
	return s, nil
}

// Entropy returns a copy of the entropy the sequence was created with
// (NumPy's SeedSequence.entropy).
func (s *SeedSequence) Entropy() *big.Int { return new(big.Int).Set(s.entropy) }

// SpawnKey returns a copy of the spawn key (NumPy's SeedSequence.spawn_key):
// empty for a root sequence, the parent's key plus the child index for a
// spawned one.
func (s *SeedSequence) SpawnKey() []uint32 { return append([]uint32(nil), s.spawnKey...) }

// Pool returns the mixed entropy pool (NumPy's SeedSequence.pool).
func (s *SeedSequence) Pool() [4]uint32 { return s.pool }

// NChildrenSpawned returns how many children [SeedSequence.Spawn] has made so
// far (NumPy's SeedSequence.n_children_spawned).
func (s *SeedSequence) NChildrenSpawned() uint64 { return s.spawned }

// entropyWords is NumPy's _int_to_uint32_array: 32-bit words, least
// significant first; zero is one zero word.
func entropyWords(x *big.Int) []uint32 {
	if x.Sign() == 0 {
		return []uint32{0}
	}
	var words []uint32
	for _, w := range x.Bits() { // little-endian big.Word limbs
		for shift := 0; shift < bits.UintSize; shift += wordBits {
			words = append(words, uint32(uint(w)>>shift))
		}
	}
	for len(words) > 1 && words[len(words)-1] == 0 {
		words = words[:len(words)-1]
	}
	return words
}

// assembledEntropy is NumPy's get_assembled_entropy: the entropy words,
// zero-padded to the pool size when a spawn key follows, then the spawn key.
func (s *SeedSequence) assembledEntropy() []uint32 {
	run := entropyWords(s.entropy)
	if len(s.spawnKey) > 0 && len(run) < poolSize {
		run = append(run, make([]uint32, poolSize-len(run))...)
	}
	return append(run, s.spawnKey...)
}

// hashmix is NumPy's hashmix; h is the running hash constant.
func hashmix(value uint32, h *uint32) uint32 {
	value ^= *h
	*h *= multA
	value *= *h
	value ^= value >> xshift
	return value
}

// mix is NumPy's mix.
func mix(x, y uint32) uint32 {
	r := mixMultL*x - mixMultR*y
	return r ^ r>>xshift
}

// mixEntropy is NumPy's SeedSequence.mix_entropy into s.pool.
func (s *SeedSequence) mixEntropy(entropy []uint32) {
	h := uint32(initA)
	for i := range s.pool {
		var v uint32
		if i < len(entropy) {
			v = entropy[i]
		}
		s.pool[i] = hashmix(v, &h)
	}
	for src := range s.pool {
		for dst := range s.pool {
			if src != dst {
				s.pool[dst] = mix(s.pool[dst], hashmix(s.pool[src], &h))
			}
		}
	}
	for src := poolSize; src < len(entropy); src++ {
		for dst := range s.pool {
			s.pool[dst] = mix(s.pool[dst], hashmix(entropy[src], &h))
		}
	}
}

// GenerateState32 returns n seed words, equal to NumPy's
// seed_seq.generate_state(n, np.uint32). It panics if n < 0.
func (s *SeedSequence) GenerateState32(n int) []uint32 {
	if n < 0 {
		panic("prng: GenerateState32 called with negative n")
	}
	out := make([]uint32, n)
	s.generate(out)
	return out
}

// GenerateState64 returns n seed words, equal to NumPy's
// seed_seq.generate_state(n, np.uint64): 2n 32-bit words paired
// little-endian, the first of each pair being the low half. It panics if
// n < 0.
func (s *SeedSequence) GenerateState64(n int) []uint64 {
	if n < 0 {
		panic("prng: GenerateState64 called with negative n")
	}
	words := make([]uint32, 2*n)
	s.generate(words)
	out := make([]uint64, n)
	for i := range out {
		out[i] = uint64(words[2*i]) | uint64(words[2*i+1])<<32
	}
	return out
}

// generate fills out with NumPy's generate_state words, cycling over the pool.
func (s *SeedSequence) generate(out []uint32) {
	h := uint32(initB)
	for i := range out {
		v := s.pool[i%poolSize]
		v ^= h
		h *= multB
		v *= h
		v ^= v >> xshift
		out[i] = v
	}
}

// Spawn returns n child sequences, equal to NumPy's seed_seq.spawn(n): child
// i has the parent's entropy and the spawn key of the parent extended by its
// index, counting on from the children spawned before. Spawn panics if n < 0
// or if more than 2^32 children would be spawned in total, since spawn-key
// words are uint32.
func (s *SeedSequence) Spawn(n int) []*SeedSequence {
	if n < 0 {
		panic("prng: Spawn called with negative n")
	}
	if uint64(n) > maxSpawns-s.spawned {
		panic("prng: Spawn would exceed 2^32 children")
	}
	children := make([]*SeedSequence, n)
	for i := range children {
		key := make([]uint32, len(s.spawnKey)+1)
		copy(key, s.spawnKey)
		key[len(s.spawnKey)] = uint32(s.spawned + uint64(i))
		c := &SeedSequence{entropy: s.entropy, spawnKey: key}
		c.mixEntropy(c.assembledEntropy())
		children[i] = c
	}
	s.spawned += uint64(n)
	return children
}
