package pipeline_test

import (
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
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
