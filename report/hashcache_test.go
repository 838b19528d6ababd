package report_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/report"
)

// stringBatch returns a batch of one optional string column holding
// vals, nil for a null.
func stringBatch(t testing.TB, vals [][]byte) *columnar.Batch {
	t.Helper()
	schema := parquet.NewSchema("t", parquet.Group{"s": parquet.Optional(parquet.String())})
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	b := columnar.New(layout, len(vals))
	for _, v := range vals {
		pv := parquet.NullValue().Level(0, 0, 0)
		if v != nil {
			pv = parquet.ByteArrayValue(v).Level(0, 1, 0)
		}
		if err := b.Cols[0].AppendValue(pv); err != nil {
			t.Fatal(err)
		}
		b.Len++
	}
	return b
}

// TestCachedHashes checks that the cache of short values' hashes gives
// every value its own metro hash: values repeated (hits), values telling
// apart only by one byte at each place or by their length (keys that
// must differ), long values, nulls, and chunks that mostly miss, after
// which the cache rests and is tried again.
func TestCachedHashes(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// Every value of 0 to 20 bytes made of zeros, and of each with one
	// byte set at each place: equal keys would mix them up.
	var tricky [][]byte
	for n := range 21 {
		tricky = append(tricky, make([]byte, n))
		for i := range n {
			v := make([]byte, n)
			v[i] = 1
			tricky = append(tricky, v)
		}
	}
	labels := [][]byte{[]byte("neg"), []byte("pos"), []byte("unsure"), []byte("spam"), []byte("")}
	cases := []struct {
		name string
		gen  func(i int) []byte
	}{
		{"few", func(i int) []byte { return labels[rng.IntN(len(labels))] }},
		{"tricky", func(i int) []byte { return tricky[rng.IntN(len(tricky))] }},
		{"distinct", func(i int) []byte { return fmt.Appendf(nil, "u%d", i) }},
		{"long", func(i int) []byte { return fmt.Appendf(nil, "user %d viewed item %x via web", i%50, i) }},
		// Distinct values for a while (the cache rests), then few.
		{"phases", func(i int) []byte {
			if i < 5000 {
				return fmt.Appendf(nil, "%d", i)
			}
			return labels[i%3]
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vals := make([][]byte, 60_000)
			for i := range vals {
				if rng.IntN(10) != 0 {
					vals[i] = tc.gen(i)
				}
			}
			var h report.ColumnHasher
			got := h.Hashes(nil, stringBatch(t, vals), 0, true)
			if len(got) != len(vals) {
				t.Fatalf("%d hashes for %d values", len(got), len(vals))
			}
			for i, v := range vals {
				want := uint64(0)
				if v != nil {
					want = report.BytesHash(v)
				}
				if got[i] != want {
					t.Fatalf("value %d (%q): hash %#x, want %#x", i, v, got[i], want)
				}
			}
		})
	}
}

// BenchmarkCachedHashes hashes 65,536 strings of a column (of few
// values, of distinct short values, of distinct 40-byte values) with
// the cache and without.
func BenchmarkCachedHashes(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	labels := []string{"neg", "neg", "neg", "neg", "neg", "neg", "neg", "pos", "pos", "unsure"}
	gens := []struct {
		name string
		gen  func(i int) []byte
	}{
		{"few", func(i int) []byte { return []byte(labels[rng.IntN(len(labels))]) }},
		{"short", func(i int) []byte { return fmt.Appendf(nil, "u%x", rng.Uint32()) }},
		{"long", func(i int) []byte {
			return fmt.Appendf(nil, "user %d viewed item %x via web", rng.IntN(500_000), rng.Uint32())
		}},
	}
	for _, g := range gens {
		vals := make([][]byte, 1<<16)
		for i := range vals {
			vals[i] = g.gen(i)
		}
		batch := stringBatch(b, vals)
		for _, cached := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/cached=%v", g.name, cached), func(b *testing.B) {
				var h report.ColumnHasher
				dst := make([]uint64, 0, len(vals))
				b.ReportAllocs()
				b.SetBytes(int64(len(vals)))
				for b.Loop() {
					dst = h.Hashes(dst[:0], batch, 0, cached)
				}
			})
		}
	}
}
