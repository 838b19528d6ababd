package pipeline_test

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math"
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
	"github.com/splitdata/splitdata/splitter"
)

// genInput writes a synthetic dataset of rows rows into a fresh directory.
func genInput(t *testing.T, rows int64, files int, rowGroupRows int64) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "in")
	_, err := gendata.Write(t.Context(), dir, gendata.Config{Rows: rows, Files: files, RowGroupRows: rowGroupRows, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// fingerprint is what must not change between runs: every output file's
// path and hash.
func fingerprint(m *pipeline.Manifest) string {
	var b strings.Builder
	for _, s := range m.Splits {
		for _, f := range s.Files {
			fmt.Fprintf(&b, "%s %d %s\n", f.Path, f.Rows, f.SHA256)
		}
	}
	return b.String()
}

func runSplit(t *testing.T, cfg pipeline.SplitConfig) *pipeline.Manifest {
	t.Helper()
	if cfg.Out == "" {
		cfg.Out = filepath.Join(t.TempDir(), "out")
	}
	m, err := pipeline.Split(t.Context(), cfg)
	if err != nil {
		t.Fatalf("Split: %v", err)
	}
	return m
}

func TestSplitSameBytesForAnyWorkerCount(t *testing.T) {
	in := genInput(t, 50_000, 3, 7_000)
	splits, err := splitter.ParseRatios("train=0.7,valid=0.2,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []struct{ approx, shuffle bool }{{false, false}, {true, false}, {false, true}} {
		var want string
		for _, workers := range []int{1, 2, 3, 8} {
			m := runSplit(t, pipeline.SplitConfig{
				Inputs: []string{in}, Seed: "42", Splits: splits, Approx: mode.approx, Shuffle: mode.shuffle, JobOptions: pipeline.JobOptions{Workers: workers, RowsPerFile: 20_000, RowGroupRows: 3_000},
			})
			got := fingerprint(m)
			if workers == 1 {
				want = got
				continue
			}
			if got != want {
				t.Errorf("%+v workers=%d: outputs differ from workers=1:\n%s\nvs\n%s", mode, workers, got, want)
			}
		}
	}
}

func TestSplitSameBytesForAnyChunking(t *testing.T) {
	const rows = 30_000
	layouts := []struct {
		files int
		rg    int64
	}{{1, 30_000}, {1, 1_000}, {4, 2_500}, {7, 999}}
	var want [2]string
	for i, l := range layouts {
		in := genInput(t, rows, l.files, l.rg)
		for k, shuffle := range []bool{false, true} {
			m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Seed: "42", Shuffle: shuffle, JobOptions: pipeline.JobOptions{RowGroupRows: 4_096, RowsPerFile: 10_000}})
			got := fingerprint(m)
			if i == 0 {
				want[k] = got
			} else if got != want[k] {
				t.Errorf("shuffle=%v layout %+v: outputs differ from layout %+v", shuffle, l, layouts[0])
			}
		}
	}
}

// readIDs reads the id column of every file of a split, in file order.
func readIDs(t *testing.T, dir string, s pipeline.SplitInfo) []int64 {
	t.Helper()
	return readColumn(t, dir, s, "id")
}

// expectedMembership computes, straight from the spec, the split of every
// row: rank rows by (key, i) and cut the ranking at the cumulative sizes.
func expectedMembership(t *testing.T, seed int64, n int64, sizes []int64) []int {
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
		if keys[a] != keys[b] {
			if keys[a] < keys[b] {
				return -1
			}
			return 1
		}
		return int(a - b)
	})
	split := make([]int, n)
	for i := range split {
		split[i] = len(sizes)
	}
	var rank int64
	for s, size := range sizes {
		for range size {
			split[order[rank]] = s
			rank++
		}
	}
	return split
}

func TestSplitEveryRowOnceWhereTheSpecSays(t *testing.T) {
	const n = 10_007
	in := genInput(t, n, 2, 1_500)
	for _, tc := range []struct {
		name  string
		flag  func(string) ([]splitter.Split, error)
		spec  string
		sizes []int64
	}{
		{"two", splitter.ParseRatios, "train=0.75,test=0.25", []int64{7505, 2502}}, // test = ceil(0.25*10007)
		{"three", splitter.ParseRatios, "a=0.5,b=0.3,c=0.2", nil},
		{"sizes", splitter.ParseSizes, "train=6000,test=3000", []int64{6000, 3000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			splits, err := tc.flag(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "42", Splits: splits, JobOptions: pipeline.JobOptions{RowGroupRows: 1000, RowsPerFile: 4000}})
			sizes := tc.sizes
			if sizes == nil {
				if sizes, err = splitter.Sizes(splits, n); err != nil {
					t.Fatal(err)
				}
			}
			want := expectedMembership(t, 42, n, sizes)
			seen := make([]bool, n)
			for s, info := range m.Splits {
				if info.Rows != sizes[s] {
					t.Errorf("split %s: %d rows, want %d", info.Name, info.Rows, sizes[s])
				}
				ids := readIDs(t, out, info)
				if !slices.IsSorted(ids) {
					t.Errorf("split %s: rows not in input order", info.Name)
				}
				for _, id := range ids {
					if seen[id] {
						t.Fatalf("row %d written twice", id)
					}
					seen[id] = true
					if want[id] != s {
						t.Fatalf("row %d in split %d, spec says %d", id, s, want[id])
					}
				}
			}
			var unassigned int64
			for id, ok := range seen {
				if !ok {
					if want[id] != len(sizes) {
						t.Fatalf("row %d missing", id)
					}
					unassigned++
				}
			}
			if unassigned != m.Unassigned {
				t.Errorf("manifest says %d unassigned rows, found %d", m.Unassigned, unassigned)
			}
		})
	}
}

func TestSplitApproxFollowsKeyThresholds(t *testing.T) {
	const n = 5_000
	in := genInput(t, n, 1, 1_000)
	splits, _ := splitter.ParseRatios("train=0.8,test=0.2")
	out := filepath.Join(t.TempDir(), "out")
	m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "7", Splits: splits, Approx: true})
	gen, _ := prng.NewPCG64(big.NewInt(7))
	keys := make([]uint64, n)
	gen.Fill(keys)
	threshold := uint64(math.Ldexp(0.8, 64)) // floor(float64(0.8) * 2^64)
	for s, info := range m.Splits {
		for _, id := range readIDs(t, out, info) {
			want := 1
			if keys[id] < threshold {
				want = 0
			}
			if s != want {
				t.Fatalf("row %d (key %d) in split %d, want %d", id, keys[id], s, want)
			}
		}
	}
}

func TestSplitRefusesExistingOutput(t *testing.T) {
	in := genInput(t, 100, 1, 50)
	out := filepath.Join(t.TempDir(), "out")
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	keep := filepath.Join(out, "precious.txt")
	if err := os.WriteFile(keep, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"})
	if !errors.Is(err, pipeline.ErrOutputExists) {
		t.Fatalf("err = %v, want ErrOutputExists", err)
	}
	if b, err := os.ReadFile(keep); err != nil || string(b) != "keep me" {
		t.Fatalf("existing output touched: %q, %v", b, err)
	}
	m, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1", JobOptions: pipeline.JobOptions{Overwrite: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(keep); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("--overwrite kept old content: %v", err)
	}
	if m.Rows != 100 {
		t.Errorf("rows = %d", m.Rows)
	}
	assertOnly(t, filepath.Dir(out), "out")
}

// assertOnly checks that dir holds exactly the named entries: no temporary
// directory is left behind.
func assertOnly(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	slices.Sort(names)
	if !slices.Equal(got, names) {
		t.Errorf("%s holds %q, want %q", dir, got, names)
	}
}

func TestSplitFailureLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	in := filepath.Join(parent, "in")
	if _, err := gendata.Write(t.Context(), in, gendata.Config{Rows: 3000, Files: 3, RowGroupRows: 500, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	// Damage the last file's data pages but keep its footer: the failure
	// comes mid-run, after other files were written.
	paths, _ := filepath.Glob(filepath.Join(in, "*.parquet"))
	last := paths[len(paths)-1]
	b, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	for i := 8; i < len(b)/2; i++ {
		b[i] ^= 0x5a
	}
	if err := os.WriteFile(last, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(parent, "out")
	_, err = pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1", JobOptions: pipeline.JobOptions{Workers: 2}})
	var ie *sources.InputError
	if !errors.As(err, &ie) || ie.Path != last {
		t.Fatalf("err = %v, want an InputError naming %s", err, last)
	}
	assertOnly(t, parent, "in")
}

func TestSplitCancelLeavesNothing(t *testing.T) {
	parent := t.TempDir()
	in := filepath.Join(parent, "in")
	if _, err := gendata.Write(t.Context(), in, gendata.Config{Rows: 200_000, Files: 2, RowGroupRows: 10_000, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := pipeline.Split(ctx, pipeline.SplitConfig{Inputs: []string{in}, Out: filepath.Join(parent, "out"), Seed: "1"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertOnly(t, parent, "in")
}

func TestSplitSchemaMismatchNamesBothFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, rows any) string {
		p := filepath.Join(dir, name)
		var err error
		switch r := rows.(type) {
		case []struct{ A, B int64 }:
			err = parquet.WriteFile(p, r)
		case []struct {
			A int64
			B string
		}:
			err = parquet.WriteFile(p, r)
		}
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("a.parquet", []struct{ A, B int64 }{{1, 2}})
	b := write("b.parquet", []struct {
		A int64
		B string
	}{{1, "x"}})
	_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{dir}, Out: filepath.Join(t.TempDir(), "o"), Seed: "1"})
	if !errors.Is(err, sources.ErrSchemaMismatch) {
		t.Fatalf("err = %v, want ErrSchemaMismatch", err)
	}
	for _, want := range []string{a, b, `"B"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestSplitEmptyInputWritesEmptySplits(t *testing.T) {
	in := genInput(t, 0, 1, 100)
	out := filepath.Join(t.TempDir(), "out")
	m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"})
	if m.Rows != 0 || len(m.Splits) != 2 {
		t.Fatalf("manifest: %+v", m)
	}
	for _, s := range m.Splits {
		if len(s.Files) != 1 || s.Files[0].Rows != 0 {
			t.Fatalf("split %s: files %+v, want one empty file", s.Name, s.Files)
		}
		p, err := sources.OpenParquetFile(filepath.Join(out, s.Files[0].Path))
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := p.Schema().Lookup("text"); !ok || p.NumRows() != 0 {
			t.Errorf("split %s: empty file lacks the schema or has rows", s.Name)
		}
		p.Close()
	}
}

func TestSplitManifestMatchesFiles(t *testing.T) {
	in := genInput(t, 2_000, 2, 300)
	out := filepath.Join(t.TempDir(), "out")
	m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "hello world", JobOptions: pipeline.JobOptions{RowsPerFile: 700, RowGroupRows: 200}})
	read, err := pipeline.ReadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if fingerprint(read) != fingerprint(m) {
		t.Fatal("manifest on disk differs from the one returned")
	}
	if m.SeedText != "hello world" || m.Seed == "" {
		t.Errorf("seed %q from text %q", m.Seed, m.SeedText)
	}
	for _, s := range m.Splits {
		var rows int64
		for i, f := range s.Files {
			if want := fmt.Sprintf("%s/part-%05d.parquet", s.Name, i); f.Path != want {
				t.Errorf("file %d of %s is %s, want %s", i, s.Name, f.Path, want)
			}
			if i < len(s.Files)-1 && f.Rows != 700 {
				t.Errorf("%s holds %d rows, want 700", f.Path, f.Rows)
			}
			h := sha256File(t, filepath.Join(out, f.Path))
			if h != f.SHA256 {
				t.Errorf("%s: sha256 %s, manifest says %s", f.Path, h, f.SHA256)
			}
			rows += f.Rows
		}
		if rows != s.Rows {
			t.Errorf("split %s: files hold %d rows, manifest says %d", s.Name, rows, s.Rows)
		}
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", h.Sum(nil))
}

func TestSplitShuffleWritesCanonicalOrder(t *testing.T) {
	const n = 12_345
	in := genInput(t, n, 3, 1_000)
	splits, err := splitter.ParseRatios("train=0.6,valid=0.3,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	sizes, err := splitter.Sizes(splits, n)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "out")
	m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "9", Splits: splits, Shuffle: true, JobOptions: pipeline.JobOptions{RowGroupRows: 1_000, RowsPerFile: 5_000}})
	if !m.Options.Shuffle {
		t.Error("manifest does not record --shuffle")
	}
	// Canonical order: every row ranked by (key, i); split j is the j-th
	// slice of that ranking, written in ranking order.
	gen, _ := prng.NewPCG64(big.NewInt(9))
	keys := make([]uint64, n)
	gen.Fill(keys)
	order := make([]int64, n)
	for i := range order {
		order[i] = int64(i)
	}
	slices.SortFunc(order, func(a, b int64) int { return cmp.Or(cmp.Compare(keys[a], keys[b]), cmp.Compare(a, b)) })
	var rank int64
	for s, info := range m.Splits {
		got := readIDs(t, out, info)
		want := order[rank : rank+sizes[s]]
		rank += sizes[s]
		if !slices.Equal(got, want) {
			t.Errorf("split %s: not the canonical-order slice of ranks [%d, %d)", info.Name, rank-sizes[s], rank)
		}
	}
}

func TestSplitShuffleSpillsToDiskWithSameBytes(t *testing.T) {
	in := genInput(t, 20_000, 3, 1_500)
	splits, err := splitter.ParseRatios("train=0.7,valid=0.2,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	base := pipeline.SplitConfig{Inputs: []string{in}, Seed: "5", Splits: splits, Shuffle: true, JobOptions: pipeline.JobOptions{RowsPerFile: 6_000, RowGroupRows: 1_000}}
	want := fingerprint(runSplit(t, base)) // in memory: the default limit is far above 20,000 rows
	for _, tc := range []struct {
		memory  int64
		workers int
	}{{1 << 20, 1}, {1 << 20, 3}, {300 << 10, 2}} {
		tmp := t.TempDir()
		cfg := base
		cfg.ShuffleMemory, cfg.Workers, cfg.TempDir = tc.memory, tc.workers, tmp
		if got := fingerprint(runSplit(t, cfg)); got != want {
			t.Errorf("memory %d, workers %d: spilled shuffle differs from the in-memory one", tc.memory, tc.workers)
		}
		if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
			t.Errorf("memory %d: temporary files left in %s", tc.memory, tmp)
		}
	}
	// The spill goes where it is told: a missing temporary directory fails
	// the run cleanly, which also shows that small memory does spill.
	out := filepath.Join(t.TempDir(), "out")
	cfg := base
	cfg.Out, cfg.ShuffleMemory, cfg.TempDir = out, 1<<20, filepath.Join(t.TempDir(), "missing")
	if _, err := pipeline.Split(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "shuffle: temporary directory") {
		t.Fatalf("err = %v, want a temporary-directory error", err)
	}
	assertOnly(t, filepath.Dir(out))
}

// TestSplitConcurrentRunsOnOneOutput starts two identical runs on one
// output at once: one writes it, the other fails (locked out, or finding
// the output already there), and the output is whole.
func TestSplitConcurrentRunsOnOneOutput(t *testing.T) {
	in := genInput(t, 100_000, 2, 10_000)
	out := filepath.Join(t.TempDir(), "out")
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1"})
			errs <- err
		}()
	}
	var ok int
	for range 2 {
		err := <-errs
		switch {
		case err == nil:
			ok++
		case errors.Is(err, pipeline.ErrLocked), errors.Is(err, pipeline.ErrOutputExists):
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d runs succeeded, want exactly 1", ok)
	}
	if _, err := pipeline.Verify(t.Context(), out); err != nil {
		t.Fatal(err)
	}
	assertOnly(t, filepath.Dir(out), "out")
}

func TestSplitRefusesInputsInsideOutput(t *testing.T) {
	dir := genInput(t, 100, 1, 50)
	out := filepath.Join(t.TempDir(), "out")
	runSplit(t, pipeline.SplitConfig{Inputs: []string{dir}, Out: out, Seed: "1"})
	// A second run over the first one's output, into it: refused.
	_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{out}, Out: out, Seed: "1", JobOptions: pipeline.JobOptions{Overwrite: true}})
	if !errors.Is(err, pipeline.ErrOutputHoldsInput) || !strings.Contains(err.Error(), "inside the output directory") {
		t.Fatalf("err = %v, want an error about inputs inside the output", err)
	}
	if _, err := pipeline.Verify(t.Context(), out); err != nil {
		t.Fatalf("the refused run touched the output: %v", err)
	}
}
