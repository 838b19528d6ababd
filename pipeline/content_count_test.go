package pipeline

import (
	"fmt"
	"math/big"
	"path/filepath"
	"sync"
	"testing"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/internal/scratch"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// TestContentReadsColumnsOnce checks that a --group-by-content job reads
// the group bytes of each unit once: the pass that gives each row its
// group key also counts the manifest's groups (main before session 20
// read them twice, once to count and once for the keys), with every
// placing of a content job and any number of workers.
func TestContentReadsColumnsOnce(t *testing.T) {
	in := filepath.Join(t.TempDir(), "in")
	if _, err := gendata.Write(t.Context(), in, gendata.Config{Rows: 3000, Files: 3, RowGroupRows: 400, Seed: 5}); err != nil {
		t.Fatal(err)
	}
	const units = 9 // 3 files of 1,000 rows in row groups of 400
	ratios, err := splitter.ParseRatios("train=0.7,test=0.3")
	if err != nil {
		t.Fatal(err)
	}
	jobs := []struct {
		name string
		run  func(out string, o JobOptions) (*Manifest, error)
	}{
		{"every column", func(out string, o JobOptions) (*Manifest, error) {
			return Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "1", Splits: ratios, GroupByContent: true, JobOptions: o})
		}},
		{"two columns", func(out string, o JobOptions) (*Manifest, error) {
			return Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "1", Splits: ratios, GroupByContent: true, ContentColumns: "user_id,label", JobOptions: o})
		}},
		{"ratio by rows", func(out string, o JobOptions) (*Manifest, error) {
			return Split(t.Context(), SplitConfig{Inputs: []string{in}, Out: out, Seed: "1", Splits: ratios, GroupByContent: true, ContentColumns: "label", RatioBy: RatioByRows, JobOptions: o})
		}},
		{"kfold", func(out string, o JobOptions) (*Manifest, error) {
			return KFold(t.Context(), KFoldConfig{Inputs: []string{in}, Out: out, Seed: "1", K: 3, GroupByContent: true, ContentColumns: "user_id", JobOptions: o})
		}},
		{"sample", func(out string, o JobOptions) (*Manifest, error) {
			return Sample(t.Context(), SampleConfig{Inputs: []string{in}, Out: out, Seed: "1", Fraction: 0.4, GroupByContent: true, ContentColumns: "user_id", JobOptions: o})
		}},
	}
	for _, job := range jobs {
		for _, workers := range []int{1, 3} {
			t.Run(fmt.Sprintf("%s/workers %d", job.name, workers), func(t *testing.T) {
				var mu sync.Mutex
				reads := map[[2]int]int{}
				testHookGroupRead = func(u unit) {
					mu.Lock()
					reads[[2]int{u.input, u.rg}]++
					mu.Unlock()
				}
				defer func() { testHookGroupRead = nil }()
				m, err := job.run(filepath.Join(t.TempDir(), "out"), JobOptions{Workers: workers})
				if err != nil {
					t.Fatal(err)
				}
				if m.Content == nil || m.Content.Groups == 0 {
					t.Fatalf("manifest counts %+v, want some groups", m.Content)
				}
				if len(reads) != units {
					t.Errorf("%d units read, want %d", len(reads), units)
				}
				for u, n := range reads {
					if n != 1 {
						t.Errorf("input %d row group %d: group columns read %d times, want once", u[0], u[1], n)
					}
				}
			})
		}
	}
}

// TestContentKeysAndCountsCollide checks the one pass against a count by
// values and a key of every row's bytes computed apart, with keys cut to
// their top bits so that distinct values collide: a piece gives a value
// the key of the record of its bytes, never of another value's key, and
// the counts tell groups apart by bytes (collisions counted, not merged),
// with pieces that fit every value or flush every few hundred.
func TestContentKeysAndCountsCollide(t *testing.T) {
	var ins []string
	for range 2 { // the same rows twice
		in := filepath.Join(t.TempDir(), "in")
		if _, err := gendata.Write(t.Context(), in, gendata.Config{Rows: 6000, Files: 2, RowGroupRows: 1000, Seed: 9}); err != nil {
			t.Fatal(err)
		}
		ins = append(ins, in)
	}
	p, err := openJobInputs(ins, nil, sources.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.close()
	h := splitter.NewGroupHasher(big.NewInt(7))
	tests := []struct {
		columns string
		bits    int   // of the keys kept
		memory  int64 // 1 MiB: pieces of 64 KiB, flushed again and again
	}{
		{"label", 1, 64 << 20}, // 4 values, 2 keys
		{"user_id,label", 6, 64 << 20},
		{"user_id,label", 6, 1 << 20},
		{"", 6, 1 << 20}, // every column: pieces of 128 KiB fill and flush
	}
	for _, tt := range tests {
		cut := func(b []byte) uint64 { return h.Key(b) >> (64 - tt.bits) << (64 - tt.bits) }
		t.Run(fmt.Sprintf("%q bits %d memory %d", tt.columns, tt.bits, tt.memory), func(t *testing.T) {
			g, err := contentColumns(p.schema, tt.columns)
			if err != nil {
				t.Fatal(err)
			}
			count, err := newContentCount(p, 2, tt.memory, scratch.Local(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			defer count.close()
			values := map[string]int64{}
			for _, u := range p.units {
				got := make([]uint64, u.rows)
				if err := readContentKeys(t.Context(), p, u, g, cut, count.newPiece(), got); err != nil {
					t.Fatal(err)
				}
				err := readGroupBytes(t.Context(), p, u, g, func(k int, b []byte) {
					values[string(b)]++
					if want := cut(b); got[k] != want {
						t.Fatalf("unit %d row %d: key %#x, want %#x", u.seq, k, got[k], want)
					}
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			stats, err := count.finish()
			if err != nil {
				t.Fatal(err)
			}
			var want ContentStats
			keys := map[uint64]int64{}
			for v, n := range values {
				want.Groups++
				if n > 1 {
					want.DuplicateGroups++
					want.RowsWithDuplicate += n
				}
				keys[cut([]byte(v))]++
			}
			for _, n := range keys {
				want.KeyCollisions += n - 1
			}
			if stats != want {
				t.Fatalf("one pass counts %+v, by values %+v", stats, want)
			}
			if want.KeyCollisions == 0 || want.DuplicateGroups == 0 {
				t.Fatalf("counts %+v: no collision or no duplicate, the case proves nothing", want)
			}
		})
	}
}
