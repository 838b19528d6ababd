package pipeline_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// TestStratifyClassCaps checks that a --stratify column with more
// distinct values (or value bytes) than the caps is refused with a usage
// error naming the column, and that the refusal does not first allocate a
// count per unit and class as the read did before the caps: the old read
// took units x classes x 8 bytes here, the bound checked below is a
// quarter of that.
func TestStratifyClassCaps(t *testing.T) {
	const units = 1_000
	many := splitter.MaxStratifyClasses + splitter.MaxStratifyClasses/16
	idClass := func(i int) *string { s := fmt.Sprintf("c%07d", i); return &s }
	manyIn := writeStratInput(t, many, many, many/units+1, idClass)
	// Few classes, but long ones: 300 x 64 KiB passes the 16 MiB cap.
	const long = 300
	longIn := writeStratInput(t, long, long, 10, func(i int) *string {
		s := fmt.Sprintf("%06d", i) + strings.Repeat("x", 64<<10)
		return &s
	})
	splits := mustRatios(t, "train=0.8,test=0.2")
	for _, tc := range []struct {
		name, in string
		cfg      pipeline.SplitConfig
		kfold    bool
		want     string
		maxAlloc uint64
	}{
		{"string ids", manyIn, pipeline.SplitConfig{Stratify: "class"}, false,
			fmt.Sprintf(`--stratify "class": more than %d distinct values; --stratify wants a class column (to keep an id column's rows together, use --group)`, splitter.MaxStratifyClasses),
			units * uint64(many) * 8 / 4},
		{"integer ids, kfold", manyIn, pipeline.SplitConfig{Stratify: "id"}, true,
			fmt.Sprintf(`--stratify "id": more than %d distinct values`, splitter.MaxStratifyClasses),
			units * uint64(many) * 8 / 4},
		{"with group", manyIn, pipeline.SplitConfig{Stratify: "id", Group: "flag"}, false,
			fmt.Sprintf(`--stratify "id" with --group: more than %d distinct values`, splitter.MaxStratifiedGroupClasses), 0},
		{"long values", longIn, pipeline.SplitConfig{Stratify: "class"}, false,
			fmt.Sprintf(`--stratify "class": its distinct values take more than %d MiB`, splitter.MaxStratifyClassBytes>>20), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, workers := range []int{1, 3} {
				cfg := tc.cfg
				cfg.Inputs, cfg.Out, cfg.Seed, cfg.Splits = []string{tc.in}, filepath.Join(t.TempDir(), "out"), "1", splits
				cfg.Workers = workers
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				var err error
				if tc.kfold {
					_, err = pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: cfg.Inputs, Out: cfg.Out, Seed: "1", K: 5, Stratify: cfg.Stratify,
						JobOptions: pipeline.JobOptions{Workers: workers}})
				} else {
					_, err = pipeline.Split(t.Context(), cfg)
				}
				runtime.ReadMemStats(&after)
				if !errors.Is(err, pipeline.ErrUsage) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("workers %d: err = %v, want a usage error saying %q", workers, err, tc.want)
				}
				alloc := after.TotalAlloc - before.TotalAlloc
				t.Logf("workers %d: %d bytes allocated", workers, alloc)
				if tc.maxAlloc > 0 && alloc > tc.maxAlloc {
					t.Errorf("workers %d: %d bytes allocated, want at most %d", workers, alloc, tc.maxAlloc)
				}
			}
		})
	}
}

// TestStratifyManyClassesSameBytes checks that a class column at the cap
// (every class a few rows, one of them null) gives the rows the spec gives
// them and the same bytes whatever the files, row groups and workers: the
// shared numbering, met in a different order by each worker, is rewritten
// to the classes' ranks before anything depends on it.
func TestStratifyManyClassesSameBytes(t *testing.T) {
	const n = 100_000
	classOf := func(i int) *string {
		c := (i * 7919) % splitter.MaxStratifyClasses
		if c == 0 {
			return nil
		}
		s := fmt.Sprintf("k%d", c)
		return &s
	}
	classes := make([]*string, n)
	for i := range classes {
		classes[i] = classOf(i)
	}
	splits := mustRatios(t, "train=0.7,valid=0.2,test=0.1")
	want, _ := stratExpected(t, 4, classes, func(counts []int64) ([][]int64, error) {
		if len(counts) != splitter.MaxStratifyClasses {
			t.Fatalf("%d classes, the test wants %d", len(counts), splitter.MaxStratifyClasses)
		}
		return splitter.StratifiedSizes(counts, splits)
	})
	var first string
	for i, layout := range []struct{ perFile, rg, workers int }{{n, n, 1}, {40_000, 3_000, 2}, {n, 1_001, 3}, {25_000, 2_500, 8}} {
		in := writeStratInput(t, n, layout.perFile, layout.rg, classOf)
		out := filepath.Join(t.TempDir(), "out")
		m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "4", Splits: splits, Stratify: "class",
			JobOptions: pipeline.JobOptions{Workers: layout.workers}})
		if i == 0 {
			for s, info := range m.Splits {
				for _, id := range readIDs(t, out, info) {
					if want[id] != s {
						t.Fatalf("row %d in %s, the spec puts it in split %d", id, info.Name, want[id])
					}
				}
			}
			first = fingerprint(m)
		} else if fingerprint(m) != first {
			t.Fatalf("layout %+v: different bytes than one file, one row group, one worker", layout)
		}
	}
}

// TestStratifyClassCachesBounded checks the bounds of the class read by
// its counters, with the bounds lowered so that a small input passes
// them: each worker's cache holds at most its share of the names (and
// does fill it: the test reaches the bound), and the classes are counted
// into no more arrays than the count bound allows; the bytes are those of
// caches and counts without bounds, for workers 1, 2, 3 and 8.
func TestStratifyClassCachesBounded(t *testing.T) {
	const n, classes = 40_000, 8_192
	// 7919 is odd: 1,000 consecutive rows (a row group) hold 1,000
	// classes, and every class appears.
	in := writeStratInput(t, n, n/2, 1_000, func(i int) *string { s := fmt.Sprintf("k%05d", i*7919%classes); return &s })
	splits := mustRatios(t, "train=0.7,valid=0.2,test=0.1")
	run := func(workers int) (string, pipeline.ClassReadStats) {
		var stats []pipeline.ClassReadStats
		defer pipeline.OnClassRead(func(s pipeline.ClassReadStats) { stats = append(stats, s) })()
		m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Seed: "8", Splits: splits, Stratify: "class",
			JobOptions: pipeline.JobOptions{Workers: workers}})
		if len(stats) != 1 {
			t.Fatalf("workers %d: %d class reads, want 1", workers, len(stats))
		}
		return fingerprint(m), stats[0]
	}
	restore := pipeline.SetClassBudgets(1<<30, 1<<30) // a cache and a count array per worker, never emptied
	want, _ := run(8)
	restore()

	const names, counts = 4_096, 2 * classes
	defer pipeline.SetClassBudgets(names, counts)()
	for _, workers := range []int{1, 2, 3, 8} {
		got, s := run(workers)
		if got != want {
			t.Errorf("workers %d: other bytes than with unbounded caches and counts", workers)
		}
		if s.Workers != workers || s.Classes != classes || s.CacheLimit != names/workers {
			t.Errorf("workers %d: stats %+v, want %d workers, %d classes, caches of %d", workers, s, workers, classes, names/workers)
		}
		if s.CachePeak != s.CacheLimit || s.Workers*s.CacheLimit > names {
			t.Errorf("workers %d: caches of %d names held at most %d (want their limit reached, and %d names in all at most)", workers, s.CacheLimit, s.CachePeak, names)
		}
		if s.CountArrays < 1 || s.CountArrays > min(workers, counts/classes) {
			t.Errorf("workers %d: %d count arrays of %d classes, want 1 to %d", workers, s.CountArrays, classes, min(workers, counts/classes))
		}
	}
}

// TestStratifyClassReadMemory checks the memory of the class read at the
// most workers and the most classes: reading 65,536 classes on 256
// workers allocates little more than on one. Before the counts were
// bounded, each of the 256 workers counted into an array of its own (128
// MiB here), and each cache could grow to every class.
func TestStratifyClassReadMemory(t *testing.T) {
	const classes = splitter.MaxStratifyClasses
	// 256 row groups of 512 rows, each of 512 classes; every class twice.
	in := writeStratInput(t, 2*classes, 2*classes, 512, func(i int) *string { s := fmt.Sprintf("c%05d", i*7919%classes); return &s })
	alloc := func(workers int) (uint64, []string, []int64) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		names, counts, err := pipeline.ReadClasses(t.Context(), []string{in}, "class", workers)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		return after.TotalAlloc - before.TotalAlloc, names, counts
	}
	one, names, counts := alloc(1)
	many, names256, counts256 := alloc(pipeline.MaxWorkers)
	if len(names) != classes || !slices.Equal(names, names256) || !slices.Equal(counts, counts256) {
		t.Fatalf("%d classes on 1 worker, %d on %d: the classes or counts differ", len(names), len(names256), pipeline.MaxWorkers)
	}
	// Over one worker's: the count arrays (16 of 512 KiB), the caches
	// (here 512 names a worker, 128 Ki in all; at most 2^18 names, about
	// 15 MiB of maps, allocated up to twice over as they grow) and each
	// worker's reading state. The unbounded read took 128 MiB more for
	// the counts alone.
	const bound = 48 << 20
	t.Logf("allocated %d bytes on 1 worker, %d on %d", one, many, pipeline.MaxWorkers)
	if many > one+bound {
		t.Errorf("%d workers allocated %d bytes, one worker %d: more than %d over", pipeline.MaxWorkers, many, one, bound)
	}
}
