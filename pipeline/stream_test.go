package pipeline_test

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// recordReader returns a reader of recs, which stay the caller's.
func recordReader(t *testing.T, recs []arrow.RecordBatch) array.RecordReader {
	t.Helper()
	r, err := array.NewRecordReader(recs[0].Schema(), recs)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestSplitStreamLikeSplitRecords checks that a stream split puts the same
// rows in each split, in the same order, as SplitRecords over the same
// records (itself checked against Split), and leaks no byte.
func TestSplitStreamLikeSplitRecords(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	recs := idRecords(t, mem, []int{1000, 0, 1, 1499, 500})
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	ratios, err := splitter.ParseRatios("train=0.7,valid=0.2,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		splits []splitter.Split
		approx bool
		rows   int64
	}{
		{"exact", ratios, false, 3000},
		{"approx", ratios, true, 0},
		{"approx counted", ratios, true, 3000},
		{"counts", []splitter.Split{{Name: "a", Rows: 100}, {Name: "b", Rows: 250}}, false, 3000},
		{"one split", []splitter.Split{{Name: "all", Ratio: 1}}, false, 3000},
		{"default splits", nil, false, 3000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := pipeline.SplitRecords(t.Context(), recs, pipeline.RecordsConfig{Seed: "42", Splits: tc.splits, Approx: tc.approx, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				for _, s := range want {
					s.Record.Release()
				}
			}()
			r := recordReader(t, recs)
			defer r.Release()
			got := make([][]int64, len(want))
			for b, err := range pipeline.SplitStream(t.Context(), r, pipeline.StreamConfig{Seed: "42", Splits: tc.splits, Approx: tc.approx, Rows: tc.rows, Workers: 2, Allocator: mem}) {
				if err != nil {
					t.Fatal(err)
				}
				if b.Name != want[b.Split].Name || b.Record.NumRows() == 0 || b.Record.NumCols() != 2 {
					t.Fatalf("batch of split %d %q, %d rows", b.Split, b.Name, b.Record.NumRows())
				}
				got[b.Split] = append(got[b.Split], recordIDs(b.Record)...)
			}
			for j, s := range want {
				if ids := recordIDs(s.Record); !slices.Equal(got[j], ids) {
					t.Errorf("split %s: %d ids %v..., want %d ids %v...", s.Name, len(got[j]), head(got[j]), len(ids), head(ids))
				}
			}
		})
	}
}

// TestSplitStreamErrors checks that bad configs and streams of the wrong
// length end the sequence with an error, and that stopping early leaks
// nothing.
func TestSplitStreamErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	recs := idRecords(t, mem, []int{10, 10})
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	counts := []splitter.Split{{Name: "a", Rows: 5}}
	for _, tc := range []struct {
		name string
		cfg  pipeline.StreamConfig
		want string
	}{
		{"no seed", pipeline.StreamConfig{Rows: 20}, "usage: a stream split needs a seed"},
		{"bad seed", pipeline.StreamConfig{Seed: "a\xff", Rows: 20}, `usage: seed "a\xff" is not valid UTF-8 text`},
		{"too few rows given", pipeline.StreamConfig{Seed: "1", Rows: 15}, "usage: the stream holds more than the 15 rows the config gives"},
		{"too many rows given", pipeline.StreamConfig{Seed: "1", Rows: 25}, "usage: the stream holds 20 rows, the config gives 25"},
		{"approx with counts", pipeline.StreamConfig{Seed: "1", Splits: counts, Approx: true}, `usage: approximate splits take ratios, not sizes (split "a")`},
		{"negative rows", pipeline.StreamConfig{Seed: "1", Rows: -1}, "usage: stream of -1 rows: want 0 or more"},
		{"group with counts", pipeline.StreamConfig{Seed: "1", Splits: counts, Group: "id"}, `usage: grouped splits take ratios, not row counts (split "a")`},
		{"no group column", pipeline.StreamConfig{Seed: "1", Group: "nope"}, `usage: group column "nope": the stream has 0 top-level columns of that name, want 1`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := recordReader(t, recs)
			defer r.Release()
			cfg := tc.cfg
			cfg.Allocator = mem
			var last error
			for _, err := range pipeline.SplitStream(t.Context(), r, cfg) {
				last = err
			}
			if last == nil || last.Error() != tc.want || !errors.Is(last, pipeline.ErrUsage) {
				t.Fatalf("error %v, want %q wrapping ErrUsage", last, tc.want)
			}
		})
	}
	t.Run("break", func(t *testing.T) {
		r := recordReader(t, recs)
		defer r.Release()
		for b, err := range pipeline.SplitStream(t.Context(), r, pipeline.StreamConfig{Seed: "1", Rows: 20, Allocator: mem}) {
			if err != nil {
				t.Fatal(err)
			}
			b.Record.Retain() // kept past the loop
			defer b.Record.Release()
			break
		}
	})
}

// TestSampleStreamLikeSampleRecords checks SampleStream against
// SampleRecords, and ShuffleKeys against the canonical order SplitRecords
// writes with Shuffle.
func TestSampleStreamLikeSampleRecords(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	recs := idRecords(t, mem, []int{200, 300})
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	want, err := pipeline.SampleRecords(t.Context(), recs, "7", 37)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	r := recordReader(t, recs)
	defer r.Release()
	var got []int64
	for rec, err := range pipeline.SampleStream(t.Context(), r, pipeline.StreamConfig{Seed: "7", Rows: 500, Allocator: mem}, 37) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, recordIDs(rec)...)
	}
	if w := recordIDs(want); !slices.Equal(got, w) {
		t.Errorf("sample %v, want %v", got, w)
	}

	shuffled, err := pipeline.SplitRecords(t.Context(), recs, pipeline.RecordsConfig{Seed: "7", Splits: []splitter.Split{{Name: "all", Ratio: 1}}, Shuffle: true, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	defer shuffled[0].Record.Release()
	type keyed struct{ key, id uint64 }
	var rows []keyed
	r2 := recordReader(t, recs)
	defer r2.Release()
	for b, err := range pipeline.ShuffleKeys(t.Context(), r2, "7", 0) {
		if err != nil {
			t.Fatal(err)
		}
		for k, id := range recordIDs(b.Record) {
			if id != b.Start+int64(k) {
				t.Fatalf("row %d of the batch at %d has id %d", k, b.Start, id)
			}
			rows = append(rows, keyed{b.Keys[k], uint64(id)})
		}
	}
	slices.SortFunc(rows, func(a, b keyed) int { return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.id, b.id)) })
	order := make([]int64, len(rows))
	for i, r := range rows {
		order[i] = int64(r.id)
	}
	if w := recordIDs(shuffled[0].Record); !slices.Equal(order, w) {
		t.Errorf("shuffle order %v..., want %v...", head(order), head(w))
	}
}

// writeArrowFile writes the records of r to an Arrow IPC file at path.
func writeArrowFile(t *testing.T, path string, schema *arrow.Schema, recs func(yield func(arrow.RecordBatch) bool)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(schema))
	if err != nil {
		t.Fatal(err)
	}
	for rec := range recs {
		if err := w.Write(rec); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSplitStreamBytesLikeSplit checks the promise of SplitStream: the
// batches of each split, written out, are byte for byte the files Split
// writes from a file of the same rows. The stream is gen's rows; Split
// reads them from an Arrow IPC file; each split's batches are written to an
// Arrow IPC file of their own and put through Split as a single split of
// ratio 1 (input order, every row), with the same output options.
func TestSplitStreamBytesLikeSplit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const n = 20000
	gen := gendata.Config{Rows: n, Seed: 3}
	dir := t.TempDir()
	in := filepath.Join(dir, "in.arrow")
	writeArrowFile(t, in, gendata.Schema, func(yield func(arrow.RecordBatch) bool) {
		r := gendata.NewReader(mem, gen, 3000)
		defer r.Release()
		for r.Next() && yield(r.RecordBatch()) {
		}
	})
	opts := pipeline.JobOptions{RowsPerFile: 4000, RowGroupRows: 1500, Workers: 2}
	ratios, err := splitter.ParseRatios("train=0.7,valid=0.2,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		approx bool
		group  string
	}{{false, ""}, {true, ""}, {false, "user_id"}, {false, "label"}, {false, "user_id,label"}} {
		approx := tc.approx
		t.Run(fmt.Sprintf("approx=%v,group=%s", approx, tc.group), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "42", Splits: ratios, Approx: approx, Group: tc.group, JobOptions: opts})

			r := gendata.NewReader(mem, gen, 1111) // other record sizes than the file's
			defer r.Release()
			parts := make([]string, len(ratios))
			writers := make([]*ipc.FileWriter, len(ratios))
			for j, s := range ratios {
				parts[j] = filepath.Join(t.TempDir(), s.Name+".arrow")
				f, err := os.Create(parts[j])
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if writers[j], err = ipc.NewFileWriter(f, ipc.WithSchema(gendata.Schema)); err != nil {
					t.Fatal(err)
				}
			}
			for b, err := range pipeline.SplitStream(t.Context(), r, pipeline.StreamConfig{Seed: "42", Splits: ratios, Approx: approx, Group: tc.group, Rows: n, Allocator: mem}) {
				if err != nil {
					t.Fatal(err)
				}
				if err := writers[b.Split].Write(b.Record); err != nil {
					t.Fatal(err)
				}
			}
			for j, s := range ratios {
				if err := writers[j].Close(); err != nil {
					t.Fatal(err)
				}
				one := filepath.Join(t.TempDir(), "one")
				mj := runSplit(t, pipeline.SplitConfig{Inputs: []string{parts[j]}, Out: one, Seed: "42", Splits: []splitter.Split{{Name: s.Name, Ratio: 1}}, JobOptions: opts})
				want, got := m.Splits[j], mj.Splits[0]
				if got.Rows != want.Rows || len(got.Files) != len(want.Files) || len(want.Files) == 0 {
					t.Fatalf("split %s: stream %d rows in %d files, Split %d in %d", s.Name, got.Rows, len(got.Files), want.Rows, len(want.Files))
				}
				for k := range want.Files {
					a, err := os.ReadFile(filepath.Join(out, want.Files[k].Path))
					if err != nil {
						t.Fatal(err)
					}
					b, err := os.ReadFile(filepath.Join(one, got.Files[k].Path))
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(a, b) {
						t.Errorf("split %s: %s differs from Split's %s", s.Name, got.Files[k].Path, want.Files[k].Path)
					}
				}
			}
		})
	}
}

// streamRSSRows is how many gen rows the child process of
// TestSplitStreamPeakRSS splits: SPLITDATA_STREAM_ROWS, else 1M (200k with
// -short). `SPLITDATA_STREAM_ROWS=10000000 go test -run PeakRSS ./pipeline/`
// runs the 10M check.
func streamRSSRows(t *testing.T) int64 {
	if s := os.Getenv("SPLITDATA_STREAM_ROWS"); s != "" {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 1 {
			t.Fatalf("SPLITDATA_STREAM_ROWS=%q: want a positive row count", s)
		}
		return n
	}
	if testing.Short() {
		return 200_000
	}
	return 1_000_000
}

// maxStreamRSS is the peak resident memory a stream split may reach,
// whatever the number of rows. The child takes 59-65 MiB under its soft
// limit (streamRSSLimit), also beside 8 busy loops on 2 cores; keeping
// every batch of 1M gen rows instead of discarding it peaks above 124 MiB.
const maxStreamRSS = 112 << 20

// TestSplitStreamPeakRSS runs a stream split of gen rows in a child
// process (this test binary again) that encodes every batch as Arrow IPC
// and discards it, and checks the child's peak resident memory (VmHWM):
// memory must not grow with the stream.
func TestSplitStreamPeakRSS(t *testing.T) {
	if os.Getenv("SPLITDATA_STREAM_CHILD") == "1" {
		streamRSSChild(t)
		return
	}
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skip("no /proc/self/status to read peak memory from")
	}
	if raceEnabled {
		t.Skip("the race detector's shadow memory inflates peak RSS: measured without it")
	}
	n := streamRSSRows(t)
	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestSplitStreamPeakRSS$", "-test.count=1", "-test.v")
	cmd.Env = append(os.Environ(), "SPLITDATA_STREAM_CHILD=1", "SPLITDATA_STREAM_ROWS="+strconv.FormatInt(n, 10))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	var hwm, rows int64 = -1, -1
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if _, after, ok := strings.Cut(sc.Text(), "stream split: "); ok {
			fmt.Sscanf(after, "%d rows, VmHWM %d kB", &rows, &hwm)
		}
	}
	if hwm < 0 || rows != n {
		t.Fatalf("child did not report %d rows and its VmHWM:\n%s", n, out)
	}
	t.Logf("stream split of %d gen rows: peak RSS %.1f MiB", n, float64(hwm)/1024)
	if hwm*1024 > maxStreamRSS {
		// The child's output says where the memory was: the Go
		// runtime's (heap, stacks) or outside it.
		t.Errorf("stream split of %d rows: peak RSS %d kB, want at most %d kB; child:\n%s", n, hwm, maxStreamRSS>>10, out)
	}
}

// streamRSSLimit is the child's soft memory limit, as the CLI sets one
// from --memory: the peak then measures the memory the stream holds, not
// how far garbage piles up while a starved collector marks (without a
// limit, two runs under a load of about 13 on 2 cores peaked once each at
// 150.6 and 233 MiB, where runs here take 72-99 MiB, also under a load of
// 10). Memory the stream kept would be live and past the limit.
const streamRSSLimit = 48 << 20

// streamRSSChild is the child of TestSplitStreamPeakRSS.
func streamRSSChild(t *testing.T) {
	debug.SetMemoryLimit(streamRSSLimit)
	n := streamRSSRows(t)
	r := gendata.NewReader(memory.DefaultAllocator, gendata.Config{Rows: n, Seed: 1}, 65536)
	defer r.Release()
	ratios, err := splitter.ParseRatios("train=0.8,valid=0.1,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	writers := make([]*ipc.Writer, len(ratios))
	for j := range writers {
		writers[j] = ipc.NewWriter(io.Discard, ipc.WithSchema(gendata.Schema))
	}
	var rows int64
	for b, err := range pipeline.SplitStream(t.Context(), r, pipeline.StreamConfig{Seed: "42", Splits: ratios, Rows: n}) {
		if err != nil {
			t.Fatal(err)
		}
		if err := writers[b.Split].Write(b.Record); err != nil {
			t.Fatal(err)
		}
		rows += b.Record.NumRows()
	}
	for _, w := range writers {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	fmt.Printf("runtime: Sys %d MiB, HeapSys %d MiB, HeapReleased %d MiB, StackSys %d MiB, TotalAlloc %d MiB, NumGC %d\n",
		ms.Sys>>20, ms.HeapSys>>20, ms.HeapReleased>>20, ms.StackSys>>20, ms.TotalAlloc>>20, ms.NumGC)
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			fmt.Printf("stream split: %d rows, VmHWM %s kB\n", rows, strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
		}
	}
}
