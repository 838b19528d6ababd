package pipeline

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dustin/go-humanize"

	"github.com/splitdata/splitdata/sinks"
)

// w300 is the shape of `splitdata gen --rows 300000 --string-columns 300`
// split in two: 300 string columns, about 4367 encoded bytes a row, the
// page writer's every column (no finished row group is read back).
var w300 = outputShape{rowBytes: 9000, encodedBytes: 4367, rowGroupRows: 131072, rows: 300_000, pageBytes: sinks.DefaultPageBufferSize,
	leaves: 300, byteArrays: 300, outputs: 2, workers: 2, canStream: true, noReadBack: true}

// A streaming job's plan counts a finished row group read back whole only
// where one can be: not on the columnar path when every column is the
// page writer's (its pages stay in blocks and a temporary file), but on
// the columnar path with a column parquet-go writes and on the row path.
// Counting it everywhere (up to session 20) made the least budget of wide
// rows grow with the row group: w300's was 1210 MiB, its peak RSS under
// the default 1.09 GB; 665 MiB now, its peak 606-622 MB (under the
// default and under 665MiB).
func TestStreamPlanCountsReadBackWhereItIs(t *testing.T) {
	narrow := outputShape{rowBytes: 90, encodedBytes: 49, rowGroupRows: 131072, rows: 5_000_000, pageBytes: sinks.DefaultPageBufferSize,
		leaves: 7, byteArrays: 2, outputs: 2, workers: 2, canStream: true}
	wide := w300
	wide.noReadBack = false
	tests := []struct {
		name      string
		o         outputShape
		rowPath   bool
		readBack  bool
		leastUpTo int64 // the least budget is at most this (0: not checked)
		leastFrom int64 // and at least this
	}{
		{"narrow, columnar, page writer", narrow, false, false, 100 << 20, 0},
		{"narrow, columnar, a parquet-go column", narrow, false, true, 0, 0},
		{"narrow, row path", narrow, true, true, 0, 0},
		{"wide, columnar, page writer", wide, false, false, 665 << 20, 600 << 20},
		{"wide, columnar, a parquet-go column", wide, false, true, 0, 1200 << 20},
		{"wide, row path", wide, true, true, 0, 1100 << 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.o
			o.rowPath, o.noReadBack = tc.rowPath, !tc.readBack
			group := min(o.rowGroupRows, o.rows) * o.readBackBytes()
			term := streamGroupTerm(o)
			switch {
			case !tc.readBack && term != 0:
				t.Errorf("no row group is read back, but the plan counts %d bytes for one", term)
			case tc.readBack && term < group:
				t.Errorf("a read-back row group of %d bytes is counted at %d", group, term)
			}
			least := streamNeed(o)
			if tc.leastUpTo > 0 && least > tc.leastUpTo {
				t.Errorf("least budget %d MiB, want at most %d MiB", least>>20, tc.leastUpTo>>20)
			}
			if least < tc.leastFrom {
				t.Errorf("least budget %d MiB, want at least %d MiB", least>>20, tc.leastFrom>>20)
			}
			// The pages are counted either way.
			pages := 2 * int64(o.leaves) * o.pageBytes * int64(o.outputs+o.workers)
			if o.rowPath {
				pages = pages * 2 / 3
			}
			if streamPagesTerm(o) < pages {
				t.Errorf("the pages are counted at %d bytes, want at least %d", streamPagesTerm(o), pages)
			}
			if stream, need := outputMemory(least, o); !stream || need > least {
				t.Errorf("outputMemory(%d MiB) = %v, %d MiB: want streamed within its least budget", least>>20, stream, need>>20)
			}
			// Under its least budget the blocks, the kept pages and the
			// plan fit in the heap budget wherever the blocks get room.
			if blocks := spoolBudget(least, o); blocks > 0 && streamHeap(o)+keptPages(o)+blocks > heapBudget(least) {
				t.Errorf("under %d MiB: plan %d + kept pages %d + blocks %d MiB exceed the heap budget", least>>20, streamHeap(o)>>20, keptPages(o)>>20, blocks>>20)
			}
		})
	}
}

// leverValue matches the value a refusal suggests for a flag.
var leverValue = regexp.MustCompile(`or (--page-size|--row-group-rows) ([0-9A-Za-z]+) or (smaller|fewer)$`)

// A refusal names the lever that fits the budget as it is: a smaller
// --page-size where the pages take most of the need, fewer
// --row-group-rows where a row group does (read back whole, or held as
// decoded rows), with a value that fits, checked here by planning again
// with it; none where neither alone fits.
func TestRefusalNamesTheLeverThatFits(t *testing.T) {
	wideReadBack := w300
	wideReadBack.noReadBack = false
	wideReadBack.pageBytes = 32 << 10
	narrowRows := w300
	narrowRows.noReadBack, narrowRows.encodedBytes = false, 300
	rowPath := wideReadBack
	rowPath.rowPath = true
	held := outputShape{rowBytes: 2000, encodedBytes: 600, rowGroupRows: 131072, rows: 1_000_000, pageBytes: sinks.DefaultPageBufferSize,
		leaves: 20, outputs: 2, workers: 2}
	tests := []struct {
		name   string
		o      outputShape
		memory int64
		want   string // the end of the message
	}{
		{"pages dominate", w300, 240 << 20, ", or --page-size 64KiB or smaller"},
		{"pages dominate, less memory", w300, 100 << 20, ", or --page-size 16KiB or smaller"},
		{"pages dominate, nothing fits", w300, 40 << 20, "use --memory 665 MiB or more"},
		{"pages dominate a read-back job", narrowRows, 240 << 20, ", or --page-size 32KiB or smaller"},
		{"row group dominates", wideReadBack, 240 << 20, "or --row-group-rows 24000 or fewer"},
		{"row group dominates, row path", rowPath, 240 << 20, "or --row-group-rows 25000 or fewer"},
		{"held row groups", held, 128 << 20, "or --row-group-rows 1900 or fewer"},
		{"row groups of a few rows held", wideReadBack, 60 << 20, "or --row-group-rows 35 or fewer"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkMemory(tc.memory, tc.o)
			if err == nil {
				t.Fatalf("under %d MiB: no refusal", tc.memory>>20)
			}
			msg := err.Error()
			if !strings.HasSuffix(msg, tc.want) {
				t.Errorf("refusal %q, want it to end in %q", msg, tc.want)
			}
			if tc.o.noReadBack && strings.Contains(msg, "row group of") {
				t.Errorf("refusal %q names a row group, none of which is read back", msg)
			}
			m := leverValue.FindStringSubmatch(msg)
			if m == nil {
				return
			}
			o := tc.o
			if m[1] == "--page-size" {
				size, err := humanize.ParseBytes(m[2])
				if err != nil {
					t.Fatal(err)
				}
				o.pageBytes = int64(size)
			} else {
				rows, err := strconv.ParseInt(m[2], 10, 64)
				if err != nil {
					t.Fatal(err)
				}
				o.rowGroupRows = rows
			}
			if err := checkMemory(tc.memory, o); err != nil {
				t.Errorf("with the suggested %s %s: %v", m[1], m[2], err)
			}
		})
	}
}

// Three decimal digits and more are rounded down to two significant
// ones, and a page size is written as the flag takes it.
func TestRefusalRounding(t *testing.T) {
	for _, tc := range []struct{ n, want int64 }{{1, 1}, {99, 99}, {100, 100}, {129, 120}, {24_576, 24_000}, {131_071, 130_000}} {
		if got := roundDown2(tc.n); got != tc.want {
			t.Errorf("roundDown2(%d) = %d, want %d", tc.n, got, tc.want)
		}
	}
	for _, tc := range []struct {
		n    int64
		want string
	}{{64 << 10, "64KiB"}, {1 << 20, "1MiB"}, {1500, "1500"}, {3 << 19, "1536KiB"}} {
		if got := flagSize(tc.n); got != tc.want {
			t.Errorf("flagSize(%d) = %q, want %q", tc.n, got, tc.want)
		}
		if size, err := humanize.ParseBytes(flagSize(tc.n)); err != nil || int64(size) != tc.n {
			t.Errorf("%q parses to %d, %v; want %d", flagSize(tc.n), size, err, tc.n)
		}
	}
}
