package pipeline

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/splitdata/splitdata/internal/scratch"
)

// TestContentCounterComparesValues checks the out-of-core count against a
// map of the values, with memory so small that the files are cut again,
// and with keys that collide on purpose: distinct values under one key
// stay distinct groups and are counted as collisions.
func TestContentCounterComparesValues(t *testing.T) {
	tests := []struct {
		name    string
		keyBits uint // keys keep only their top keyBits bits: collisions
		memory  int64
	}{
		{"in memory", 64, 64 << 20},
		{"cut again", 64, 1 << 20},
		{"colliding keys", 6, 1 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			key := func(b []byte) uint64 {
				var h uint64 = 14695981039346656037
				for _, c := range b {
					h = (h ^ uint64(c)) * 1099511628211
				}
				return h >> (64 - tt.keyBits) << (64 - tt.keyBits)
			}
			c := newContentCounter(scratch.Local(t.TempDir()), 0, tt.memory, 2) // one file at first
			defer c.close()
			var loads int
			testHookContentLoad = func(bytes int64) {
				loads++
				if bytes > tt.memory {
					t.Errorf("a file of %d bytes read back under %d", bytes, tt.memory)
				}
			}
			defer func() { testHookContentLoad = nil }()
			want := map[string]int{}
			pieces := []*contentPiece{c.newPiece(), c.newPiece()}
			for i := range 60_000 {
				v := fmt.Appendf(nil, "value-%d-%s", r.IntN(40_000), make([]byte, r.IntN(40)))
				if i%1000 == 0 {
					v = []byte("hot") // one value in many pieces
				}
				want[string(v)]++
				if err := pieces[i%2].add(key(v), 0, v); err != nil {
					t.Fatal(err)
				}
			}
			for _, p := range pieces {
				if err := p.flush(); err != nil {
					t.Fatal(err)
				}
			}
			got, err := c.finish()
			if err != nil {
				t.Fatal(err)
			}
			var exp ContentStats
			keys := map[uint64]int{}
			for v, n := range want {
				exp.Groups++
				if n > 1 {
					exp.DuplicateGroups++
					exp.RowsWithDuplicate += int64(n)
				}
				keys[key([]byte(v))]++
			}
			for _, n := range keys {
				exp.KeyCollisions += int64(n - 1)
			}
			if got.ContentStats != exp {
				t.Fatalf("got %+v, want %+v", got.ContentStats, exp)
			}
			if tt.memory < 16<<20 && loads < 2 {
				t.Errorf("%d files read back: the data was not cut to fit", loads)
			}
			if tt.keyBits < 64 && exp.KeyCollisions == 0 {
				t.Fatal("no collisions: the case proves nothing")
			}
		})
	}
}

// TestContentCounterStraddling checks that one value seen in two outputs
// is reported, once per group, and that an output's own repeats are not.
func TestContentCounterStraddling(t *testing.T) {
	c := newContentCounter(scratch.Local(t.TempDir()), 0, 1<<20, 1)
	defer c.close()
	p := c.newPiece()
	for _, r := range []struct {
		split int
		v     string
	}{{0, "a"}, {0, "a"}, {0, "b"}, {1, "c"}, {1, "b"}, {2, "b"}, {2, "d"}, {2, "d"}} {
		if err := p.add(uint64(len(r.v))<<60|uint64(r.v[0]), r.split, []byte(r.v)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.flush(); err != nil {
		t.Fatal(err)
	}
	got, err := c.finish()
	if err != nil {
		t.Fatal(err)
	}
	if got.straddling != 1 || got.example.key != 1<<60|'b' || got.example.a != 0 || got.example.b != 1 {
		t.Errorf("straddling %d, example %+v; want 1, group b in outputs 0 and 1", got.straddling, got.example)
	}
	if got.Groups != 4 || got.DuplicateGroups != 3 || got.RowsWithDuplicate != 7 {
		t.Errorf("stats %+v", got.ContentStats)
	}
}

// TestContentCounterOneKeyTooLarge checks that distinct values sharing one
// key beyond the memory fail with ErrTooLarge rather than run out of
// memory.
func TestContentCounterOneKeyTooLarge(t *testing.T) {
	c := newContentCounter(scratch.Local(t.TempDir()), 0, 1<<20, 1)
	defer c.close()
	p := c.newPiece()
	for i := range 30_000 {
		if err := p.add(42, 0, fmt.Appendf(nil, "distinct value number %d", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.flush(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.finish(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
}

// BenchmarkTallyContent sorts and counts 100,000 records of distinct
// 40-byte values under distinct keys, as a file of a content count whose
// rows rarely repeat (flights' every column) is read back.
func BenchmarkTallyContent(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	recs := make([]contentRecord, 100_000)
	for i := range recs {
		recs[i] = contentRecord{key: r.Uint64(), count: 1, b: fmt.Appendf(nil, "%040d", r.Uint64())}
	}
	work := make([]contentRecord, len(recs))
	b.ReportAllocs()
	for b.Loop() {
		copy(work, recs)
		var t contentTally
		tallyContent(work, &t)
		if t.Groups != int64(len(recs)) {
			b.Fatalf("%d groups", t.Groups)
		}
	}
}
