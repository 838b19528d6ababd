//go:build linux && !race

// Peak RSS is read from the child's rusage (ru_maxrss, KiB on Linux), and
// the race detector multiplies memory use, hence the build constraint.

package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sources"
)

// Sizes of the shuffle memory test. The rows, held decoded the way the
// engine holds them, take more than 10x what the shuffle orders in memory,
// a quarter of shuffleTestMemory's heap budget (the test checks this);
// output row groups of shuffleTestRowGroupRows rows fit in it.
const (
	shuffleTestRows         = 2_000_000
	shuffleTestRowGroupRows = 16_384
	shuffleTestMemory       = 56 << 20
	// shuffleTestHeap is shuffleTestMemory less the reserve for the
	// process's baseline, an eighth under 256 MiB (pipeline.MemoryReserve).
	shuffleTestHeap    = shuffleTestMemory - shuffleTestMemory/8
	shuffleTestWorkers = 2
)

// nonHeapRSS is what the process's resident set holds beyond the memory the
// Go runtime manages and its soft limit counts: the binary's text and data
// pages (this test binary, run as splitdata, is larger than bin/splitdata;
// `splitdata version` peaks at about 40 MiB) and the C library's allocations.
const nonHeapRSS = 32 << 20

// shuffleRSSBound is the peak RSS allowed for `splitdata shuffle --memory M
// --workers W` on the columnar path (gen data: flat Parquet): M + 64 MiB,
// the promise of docs/architecture.md ("Memory"), plus nonHeapRSS for
// this test binary. The engine sizes what it holds from M (units, row
// groups in flight, the shuffle's half) and M is the runtime's soft limit.
func shuffleRSSBound(memory int64, workers int) int64 {
	_ = workers // the budget is the whole process's, whatever W
	return memory + 64<<20 + nonHeapRSS
}

// TestShuffleMemory runs `splitdata shuffle` on data more than 10x its
// --memory as a child process and checks its peak RSS against
// [shuffleRSSBound], then that the output verifies against its manifest and
// holds every id of the input exactly once, in canonical order (recomputed
// here from PCG64 keys). That the other columns survive the spill is
// checked at small sizes by pipeline's shuffle tests (verify --input).
func TestShuffleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("shuffles 2M rows in a child process")
	}
	work := t.TempDir()
	in := filepath.Join(work, "in")
	if _, err := gendata.Write(t.Context(), in, gendata.Config{Rows: shuffleTestRows, Files: 4, RowGroupRows: shuffleTestRowGroupRows, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	decoded := decodedSize(t, in)
	if decoded < 10*shuffleTestHeap/4 {
		t.Fatalf("input holds %d MiB decoded, want at least 10x a quarter of --memory's heap budget (%d MiB)", decoded>>20, 10*shuffleTestHeap/4>>20)
	}

	cmd, peakRSS := splitdataPeakCmd(t, work, "shuffle", "in", "--out", "out", "--seed", "42",
		"--memory", fmt.Sprintf("%dMiB", shuffleTestMemory>>20), "--row-group-rows", "16384", "--workers", "2", "-q")
	// The command's own soft memory limit is part of what is tested.
	cmd.Env = slices.DeleteFunc(cmd.Env, func(kv string) bool {
		return strings.HasPrefix(kv, "GOMEMLIMIT=") || strings.HasPrefix(kv, "GOGC=")
	})
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("splitdata shuffle: %v\n%s", err, out)
	}
	peak := peakRSS()
	bound := shuffleRSSBound(shuffleTestMemory, shuffleTestWorkers)
	t.Logf("peak RSS %d MiB for %d MiB of decoded rows with --memory %d MiB (bound %d MiB)",
		peak>>20, decoded>>20, shuffleTestMemory>>20, bound>>20)
	if peak > bound {
		t.Errorf("peak RSS %d MiB, want at most --memory + %d MiB = %d MiB",
			peak>>20, (bound-shuffleTestMemory)>>20, bound>>20)
	}

	out := filepath.Join(work, "out")
	if _, err := pipeline.Verify(t.Context(), out); err != nil {
		t.Fatalf("verify: %v", err)
	}
	m, err := pipeline.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != shuffleTestRows || len(m.Splits) != 1 || m.Splits[0].Rows != shuffleTestRows {
		t.Fatalf("manifest: %d rows, splits %+v; want all %d rows in one split", m.Rows, m.Splits, shuffleTestRows)
	}
	got := outputIDs(t, out, m)
	if want := canonicalOrder(t, 42, shuffleTestRows); !slices.Equal(got, want) {
		k := 0
		for k < min(len(got), len(want)) && got[k] == want[k] {
			k++
		}
		t.Fatalf("output is not in canonical order: %d ids, first difference at position %d", len(got), k)
	}
}

// decodedSize is the memory the rows of the Parquet files in dir take held
// as the engine's columnar path holds them: the batches their row groups
// decode into.
func decodedSize(t *testing.T, dir string) int64 {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no input files in %s: %v", dir, err)
	}
	var total int64
	for _, path := range paths {
		p, err := sources.OpenParquetFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for rg := range p.NumRowGroups() {
			b, err := p.ReadBatch(t.Context(), rg)
			if err != nil {
				t.Fatalf("read %s: %v", path, err)
			}
			total += b.Size()
		}
		p.Close()
	}
	return total
}

// outputIDs reads the id column of every output file, in manifest order.
func outputIDs(t *testing.T, dir string, m *pipeline.Manifest) []int64 {
	t.Helper()
	type idRow struct {
		ID int64 `parquet:"id"`
	}
	var ids []int64
	buf := make([]idRow, 4096)
	for _, s := range m.Splits {
		for _, fi := range s.Files {
			f := openParquet(t, filepath.Join(dir, fi.Path))
			r := parquet.NewGenericReader[idRow](f)
			for {
				n, err := r.Read(buf)
				for _, row := range buf[:n] {
					ids = append(ids, row.ID)
				}
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatalf("read %s: %v", fi.Path, err)
				}
			}
			if err := r.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ids
}

// openParquet opens a Parquet file for the test's lifetime.
func openParquet(t *testing.T, path string) *parquet.File {
	t.Helper()
	osf, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { osf.Close() })
	st, err := osf.Stat()
	if err != nil {
		t.Fatal(err)
	}
	f, err := parquet.OpenFile(osf, st.Size())
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	return f
}

// canonicalOrder is rows 0..n-1 ordered by (key, i), the keys the first n
// outputs of numpy.random.PCG64(seed).random_raw, as the specification says;
// the gen dataset's id is the global row index.
func canonicalOrder(t *testing.T, seed int64, n int) []int64 {
	t.Helper()
	gen, err := prng.NewPCG64(big.NewInt(seed))
	if err != nil {
		t.Fatal(err)
	}
	keys := make([]uint64, n)
	gen.Fill(keys)
	order := make([]int64, n)
	for i := range order {
		order[i] = int64(i)
	}
	slices.SortFunc(order, func(a, b int64) int {
		return cmp.Or(cmp.Compare(keys[a], keys[b]), cmp.Compare(a, b))
	})
	return order
}
