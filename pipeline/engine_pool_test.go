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

// TestFreeListBounds checks a free list of buffers against both of its
// bounds, a nil buffer, and drop.
func TestFreeListBounds(t *testing.T) {
	for _, tc := range []struct {
		name       string
		keep       int
		most       int64
		puts       []int // capacities put (0: a nil buffer)
		wantHeld   int64
		wantCounts int
	}{
		{"by count", 2, 0, []int{10, 20, 30}, 30, 2},
		{"by bytes", 0, 25, []int{10, 20, 5}, 15, 2},
		{"both", 3, 40, []int{10, 20, 5, 1}, 35, 3},
		{"nil not kept", 2, 0, []int{0, 10}, 10, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := newSpillBuffers(tc.keep, tc.most)
			for _, c := range tc.puts {
				var b []byte
				if c > 0 {
					b = make([]byte, 0, c)
				}
				l.put(b)
			}
			if got := l.held(); got != tc.wantHeld {
				t.Fatalf("held %d bytes, want %d", got, tc.wantHeld)
			}
			n := 0
			for l.get() != nil {
				n++
			}
			if n != tc.wantCounts || l.held() != 0 {
				t.Fatalf("got %d buffers back, held %d after; want %d, 0", n, l.held(), tc.wantCounts)
			}
			l.drop()
			l.put(make([]byte, 1))
			if l.get() != nil {
				t.Fatal("a dropped list kept a buffer")
			}
		})
	}
	var none *spillBuffers
	none.put(make([]byte, 1))
	if none.get() != nil || none.held() != 0 {
		t.Fatal("a nil list kept a buffer")
	}
}
