package prng_test

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"

	"github.com/splitdata/splitdata/prng"
)

// Sinks keep results alive so that the compiler cannot drop the work.
var (
	sinkU64 uint64
	sinkU32 uint32
	sinkI64 int64
	sinkF64 float64
)

func benchPCG64(b *testing.B) *prng.PCG64 {
	b.Helper()
	p, err := prng.NewPCG64(big.NewInt(42))
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkUint64 sets PCG64.Uint64 beside math/rand/v2's PCG (the same
// 128-bit LCG with a DXSM output and a fixed increment) and ChaCha8, each
// called on its concrete type as callers do.
//
// The sub-benchmarks are named impl=..., with the baseline first, so that
// benchstat -col /impl prints the ratios to math/rand/v2's PCG.
func BenchmarkUint64(b *testing.B) {
	b.Run("impl=randv2.PCG", func(b *testing.B) {
		b.ReportAllocs()
		p := rand.NewPCG(1, 2)
		var s uint64
		for b.Loop() {
			s += p.Uint64()
		}
		sinkU64 = s
	})
	b.Run("impl=PCG64", func(b *testing.B) {
		b.ReportAllocs()
		p := benchPCG64(b)
		var s uint64
		for b.Loop() {
			s += p.Uint64()
		}
		sinkU64 = s
	})
	b.Run("impl=randv2.ChaCha8", func(b *testing.B) {
		b.ReportAllocs()
		p := rand.NewChaCha8([32]byte{1})
		var s uint64
		for b.Loop() {
			s += p.Uint64()
		}
		sinkU64 = s
	})
}

// BenchmarkUint32 measures NumPy's buffered 32-bit draws: one 64-bit step
// per two calls.
func BenchmarkUint32(b *testing.B) {
	b.ReportAllocs()
	p := benchPCG64(b)
	var s uint32
	for b.Loop() {
		s += p.Uint32()
	}
	sinkU32 = s
}

// BenchmarkAdvance jumps by random 64-bit deltas (and 128-bit ones), as a
// worker does to reach its first row.
func BenchmarkAdvance(b *testing.B) {
	r := rand.New(rand.NewPCG(5, 6)) // fixed deltas
	deltas := make([]uint64, 1024)
	for i := range deltas {
		deltas[i] = r.Uint64() | 1<<63 // full 64 squarings each time
	}
	b.Run("64bit", func(b *testing.B) {
		b.ReportAllocs()
		p := benchPCG64(b)
		i := 0
		for b.Loop() {
			p.Advance(deltas[i%len(deltas)])
			i++
		}
		sinkU64 = p.Uint64()
	})
	b.Run("128bit", func(b *testing.B) {
		b.ReportAllocs()
		p := benchPCG64(b)
		i := 0
		for b.Loop() {
			p.Advance128(deltas[i%len(deltas)], deltas[(i+1)%len(deltas)])
			i++
		}
		sinkU64 = p.Uint64()
	})
}

// BenchmarkFill fills row keys through one reusable buffer. The 1e8 case is
// the target: 10^8 keys on one core in under half a second; ns/op is
// the time for all 10^8 keys.
func BenchmarkFill(b *testing.B) {
	for _, bc := range []struct {
		name string
		keys int
	}{
		{"keys=4096", 4096},
		{"keys=1e8", 100_000_000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			p := benchPCG64(b)
			buf := make([]uint64, min(bc.keys, 1<<16)) // 512 KiB: stays in L2
			b.SetBytes(int64(8 * bc.keys))
			for b.Loop() {
				for left := bc.keys; left > 0; left -= len(buf) {
					p.Fill(buf[:min(left, len(buf))])
				}
			}
			sinkU64 = buf[0]
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(bc.keys), "ns/key")
		})
	}
}

// BenchmarkGenerator measures the Generator methods on their common paths.
func BenchmarkGenerator(b *testing.B) {
	newGen := func(b *testing.B) *prng.Generator {
		b.ReportAllocs()
		return prng.NewGenerator(benchPCG64(b))
	}
	b.Run("Random", func(b *testing.B) {
		g := newGen(b)
		var s float64
		for b.Loop() {
			s += g.Random()
		}
		sinkF64 = s
	})
	for _, r := range []struct {
		name      string
		low, high int64
	}{
		{"0-10", 0, 10},
		{"0-2^32", 0, 1 << 32},
		{"0-10^15", 0, 1e15},
		{"0-2^62+1", 0, 1<<62 + 1}, // worst case for Lemire's rejection
	} {
		b.Run("Integers/"+r.name, func(b *testing.B) {
			g := newGen(b)
			var s int64
			for b.Loop() {
				s += g.Integers(r.low, r.high)
			}
			sinkI64 = s
		})
	}
	b.Run("IntegersClosed/int64", func(b *testing.B) {
		g := newGen(b)
		var s int64
		for b.Loop() {
			s += g.IntegersClosed(math.MinInt64, math.MaxInt64)
		}
		sinkI64 = s
	})
	b.Run("Shuffle/1000", func(b *testing.B) {
		g := newGen(b)
		x := make([]int, 1000)
		for b.Loop() {
			g.Shuffle(len(x), func(i, j int) { x[i], x[j] = x[j], x[i] })
		}
		sinkI64 = int64(x[0])
	})
	b.Run("Permutation/1000", func(b *testing.B) {
		g := newGen(b)
		for b.Loop() {
			sinkI64 = int64(g.Permutation(1000)[0])
		}
	})
	b.Run("StandardNormal", func(b *testing.B) {
		g := newGen(b)
		var s float64
		for b.Loop() {
			s += g.StandardNormal()
		}
		sinkF64 = s
	})
	b.Run("StandardExponential", func(b *testing.B) {
		g := newGen(b)
		var s float64
		for b.Loop() {
			s += g.StandardExponential()
		}
		sinkF64 = s
	})
	b.Run("Triangular", func(b *testing.B) {
		g := newGen(b)
		var s float64
		for b.Loop() {
			s += g.Triangular(0, 1, 3)
		}
		sinkF64 = s
	})
}
