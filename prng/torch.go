package prng

// TorchGenerator is PyTorch's CPU generator (CPUGeneratorImpl, an
// mt19937 engine) as in PyTorch 1.13 (Debian's python3-torch 1.13.1;
// aten/src/ATen/CPUGeneratorImpl.cpp, core/MT19937RNGEngine.h,
// core/TransformationHelper.h, native/TensorFactories.cpp). Its methods
// return what torch returns for a generator made by
// torch.Generator().manual_seed(seed), on CPU.
//
// Only the uniform draws splitdata needs are provided: no normal cache and
// no get_state/set_state. A TorchGenerator is owned by one goroutine. The
// zero value is not usable: create one with [NewTorchGenerator].
type TorchGenerator struct {
	mt   MT19937
	seed uint64
}

// NewTorchGenerator returns torch.Generator().manual_seed(seed). PyTorch
// takes seeds in [-2^63, 2^64-1] and stores a negative seed s as
// s + 2^64, which is uint64(s) in Go. Only the low 32 bits seed the
// engine, by init_genrand, so seeds equal mod 2^32 give the same numbers.
func NewTorchGenerator(seed uint64) *TorchGenerator {
	g := new(TorchGenerator)
	g.ManualSeed(seed)
	return g
}

// ManualSeed reseeds g as generator.manual_seed(seed) does.
func (g *TorchGenerator) ManualSeed(seed uint64) {
	g.seed = seed
	g.mt.Seed(uint32(seed))
}

// InitialSeed returns generator.initial_seed(): the seed last given.
func (g *TorchGenerator) InitialSeed() uint64 { return g.seed }

// Uint32 returns the next 32-bit word, the CPU generator's random().
func (g *TorchGenerator) Uint32() uint32 { return g.mt.Uint32() }

// Uint64 returns random64(): two words, the first in the high half.
// torch.empty(n, dtype=torch.int64).random_(-2**63, None, generator=g)
// fills a tensor with these values.
func (g *TorchGenerator) Uint64() uint64 { return g.mt.Uint64() }

// Float32 returns one element of torch.rand(n, dtype=torch.float32,
// generator=g): the low 24 bits of one word times 2^-24.
func (g *TorchGenerator) Float32() float32 {
	return float32(float64(g.mt.Uint32()&(1<<24-1)) / (1 << 24))
}

// Float64 returns one element of torch.rand(n, dtype=torch.float64,
// generator=g): the low 53 bits of [TorchGenerator.Uint64] times 2^-53.
func (g *TorchGenerator) Float64() float64 {
	return float64(g.mt.Uint64()&(1<<53-1)) / (1 << 53)
}

// Shuffle permutes n elements as torch.randperm(n, generator=g) permutes
// 0, ..., n-1 on CPU in PyTorch 1.13, for every n: for i from 0 to n-2 it
// draws z = random() mod (n-i), a 32-bit word reduced by the modulo (so
// slightly biased for large n), and calls swap(i, i+z), also when z == 0.
// (Later PyTorch versions keep this for n < (2^32-1)/20 but use 64-bit
// draws and an inside-out shuffle above.) Shuffle panics if n < 0.
func (g *TorchGenerator) Shuffle(n int, swap func(i, j int)) {
	if n < 0 {
		panic("prng: TorchGenerator.Shuffle called with negative n")
	}
	for i := 0; i < n-1; i++ {
		z := uint64(g.mt.Uint32()) % uint64(n-i)
		swap(i, i+int(z))
	}
}

// Randperm returns torch.randperm(n, generator=g).tolist() on CPU: 0, ...,
// n-1 shuffled by [TorchGenerator.Shuffle]. It panics if n < 0.
func (g *TorchGenerator) Randperm(n int) []int {
	if n < 0 {
		panic("prng: Randperm called with negative n")
	}
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	g.Shuffle(n, func(i, j int) { p[i], p[j] = p[j], p[i] })
	return p
}
