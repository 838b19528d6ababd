package report_test

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/report"
)

// TestCountChunksMatchesAdd checks that counting a column a chunk at a
// time leaves a counter as counting its values one by one does: the same
// counts, slack, distinct count and HyperLogLog, on columns of few values,
// of distinct values (the counters emptied every MaxExactValues+1), of
// values repeated beyond the counters, of long values (cut), with nulls.
func TestCountChunksMatchesAdd(t *testing.T) {
	long := strings.Repeat("x", 120)
	for _, tc := range []struct {
		name string
		next func(i int) string
	}{
		{"few", func(i int) string { return fmt.Sprint("c", i*i%5) }},
		{"distinct", func(i int) string { return fmt.Sprint("v", i) }},
		{"hot and distinct", func(i int) string {
			if i%3 == 0 {
				return fmt.Sprint("hot", i%7)
			}
			return fmt.Sprint("v", i)
		}},
		{"repeats", func(i int) string { return fmt.Sprint("r", (i*7919)%1500) }},
		{"long", func(i int) string { return fmt.Sprint(long, i%2000) }},
		{"some long", func(i int) string {
			if i%50 == 0 {
				return fmt.Sprint(long, i%7)
			}
			return fmt.Sprint("c", i%9)
		}},
		{"many distinct", func(i int) string { return fmt.Sprint("w", i*31) }},
	} {
		for _, n := range []int{1000, 1025, 40_000} {
			t.Run(fmt.Sprintf("%s/%d", tc.name, n), func(t *testing.T) {
				vals := make([][]byte, n)
				hashes := make([]uint64, n)
				nulls := int64(0)
				one := report.NewCounterForTest()
				for i := range vals {
					if i%11 == 5 {
						nulls++
						continue
					}
					vals[i] = []byte(tc.next(i))
					hashes[i] = report.BytesHash(vals[i])
					one.Add(string(vals[i]))
				}
				chunked := report.NewCounterForTest()
				if got := report.CountChunks(chunked, stringBatch(t, vals), 0, hashes); got != nulls {
					t.Errorf("%d nulls, want %d", got, nulls)
				}
				if got, want := chunked.View(), one.View(); !maps.Equal(got, want) {
					t.Errorf("counts differ: %d values, want %d", len(got), len(want))
				}
				_, gs := chunked.Count("")
				_, ws := one.Count("")
				gd, ge := chunked.Distinct()
				wd, we := one.Distinct()
				if gs != ws || gd != wd || ge != we {
					t.Errorf("slack %d, distinct %d (exact %v); want %d, %d (%v)", gs, gd, ge, ws, wd, we)
				}
				if !bytes.Equal(chunked.SketchBytes(), one.SketchBytes()) {
					t.Error("the HyperLogLog sketches differ")
				}
			})
		}
	}
}

// BenchmarkCountChunks counts the values of a unit of 131,072 rows (a
// split's row group) a chunk at a time: of a column of few classes, and
// of a column of distinct 40-byte strings, whose counters are full and
// emptied every 1,025 values.
func BenchmarkCountChunks(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"neg", "neg", "neg", "neg", "neg", "neg", "neg", "pos", "pos", "unsure"}
	gens := []struct {
		name string
		gen  func(i int) []byte
	}{
		{"few", func(i int) []byte { return []byte(labels[rng.IntN(len(labels))]) }},
		{"distinct", func(i int) []byte {
			return fmt.Appendf(nil, "user %06d viewed item %08x via web", rng.IntN(500_000), rng.Uint32())
		}},
	}
	for _, g := range gens {
		vals := make([][]byte, 1<<17)
		hashes := make([]uint64, len(vals))
		for i := range vals {
			vals[i] = g.gen(i)
			hashes[i] = report.BytesHash(vals[i])
		}
		batch := stringBatch(b, vals)
		b.Run(g.name, func(b *testing.B) {
			c := report.NewCounterForTest()
			b.ReportAllocs()
			b.SetBytes(int64(len(vals)))
			for b.Loop() {
				c.Reset()
				report.CountChunks(c, batch, 0, hashes)
			}
		})
	}
}
