package pipeline

import (
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// poolBatch returns a batch of one int64 column with room for rows rows:
// 8*rows bytes by Size.
func poolBatch(rows int) *columnar.Batch {
	return columnar.New(columnar.Layout{{Kind: parquet.Int64, Width: 8}}, rows)
}

// The pool keeps released batches up to its bound, in bytes when it has
// one, else in batches, leaves the rest to the collector, and hands the
// kept ones out, the last kept first.
func TestBatchPool(t *testing.T) {
	tests := []struct {
		name  string
		limit int64
		count int
		puts  []int // rows of each batch put
		kept  []int // rows of the batches get returns, in order
	}{
		{"bytes: all fit", 8000, 1, []int{300, 300, 300}, []int{300, 300, 300}},
		{"bytes: the one past the bound is dropped", 8000, 1, []int{500, 400, 200, 100}, []int{100, 400, 500}},
		{"bytes: larger than the bound", 800, 1, []int{101, 100}, []int{100}},
		{"count: one per worker", 0, 2, []int{10, 20, 30}, []int{20, 10}},
		{"count: at least one", 0, 0, []int{10, 20}, []int{10}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := newBatchPool(tc.limit, tc.count)
			var want int64
			for _, rows := range tc.kept {
				want += int64(8 * rows)
			}
			for _, rows := range tc.puts {
				p.put(poolBatch(rows))
			}
			if got := p.held(); got != want {
				t.Fatalf("held %d bytes after putting %v, want %d", got, tc.puts, want)
			}
			for k, rows := range tc.kept {
				b := p.get()
				if b == nil || b.Size() != int64(8*rows) {
					t.Fatalf("get %d: %v, want a batch of %d bytes", k, b, 8*rows)
				}
			}
			if b := p.get(); b != nil || p.held() != 0 {
				t.Fatalf("after every kept batch: get %v, held %d; want nil, 0", b, p.held())
			}
		})
	}
	var none *batchPool
	none.put(poolBatch(1))
	if none.get() != nil {
		t.Fatal("a nil pool handed out a batch")
	}
}

// BenchmarkRecycledRead measures what the pool saves per unit: a batch
// decoded into fresh memory against one decoded into a batch from the
// pool (the copy into the columns, as the decoder makes it).
func BenchmarkRecycledRead(b *testing.B) {
	const rows = 128 << 10
	page := make([]byte, 8*1024)
	fill := func(dst *columnar.Batch) *columnar.Batch {
		if dst == nil {
			dst = poolBatch(rows)
		}
		col := &dst.Cols[0]
		col.Fixed = col.Fixed[:0]
		for len(col.Fixed) < 8*rows {
			if err := col.AppendFixed(1024, nil, page); err != nil {
				b.Fatal(err)
			}
		}
		dst.Len = rows
		return dst
	}
	for _, tc := range []struct {
		name  string
		limit int64
	}{{"fresh", 1}, {"pooled", 64 << 20}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(8 * rows)
			p := newBatchPool(tc.limit, 1)
			for b.Loop() {
				p.put(fill(p.get()))
			}
		})
	}
}
