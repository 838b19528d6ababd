package pipeline_test

import (
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/splitter"
)

var update = flag.Bool("update", false, "write new golden files (only when the algorithm version changes)")

const goldenHeader = `# Golden output of splitdata split, algorithm version 1. FROZEN: never edit
# or regenerate these lines to make a test pass. A difference means the output
# bytes for a given seed and version changed, which is a breaking change: fix
# the bug, or bump the algorithm version and add a new golden file.
`

// goldenInput is a fixed, committed input (2,000 rows of the gen table in two
// files of row groups of 300 rows), so that the golden outputs depend on
// nothing but splitdata itself.
var goldenInput = filepath.Join("testdata", "golden", "input")

// TestGoldenSplitBytes pins small outputs for seed 42: which rows each split
// holds, in which order (the assignment), and the bytes of every file (the
// layout and the Parquet encoding). Any change to either shows up here.
//
// Each case is pinned five times: NAME.txt with snappy's "better" encoder
// (compression level 2) and every column PLAIN, the files splitdata 0.1
// wrote with its default options; NAME.snappy-fast.txt with snappy's fast
// encoder and every column PLAIN (--dictionary=false), 0.2 to 0.4's
// defaults; NAME.dictionary.txt with a dictionary per column chunk where
// it pays by raw sizes and indexes as parquet-go encodes them
// (--index-runs=false --compressed-pricing=false), 0.5 and 0.6's
// defaults; NAME.index-runs.txt with indexes with runs wherever they pay
// (--compressed-pricing=false), 0.7's defaults; and
// NAME.compressed-pricing.txt with today's defaults (dictionaries where
// they pay compressed too, their pages compressed by snappy's better
// encoder, since 0.8). All hold the same assignment.
func TestGoldenSplitBytes(t *testing.T) {
	in := goldenInput
	type golden struct {
		name     string
		ratios   string
		approx   bool
		level    int
		encoding string
		aligned  bool // AlignedIndexRuns
		raw      bool // RawDictionaryPricing
	}
	var cases []golden
	for _, tc := range []golden{
		{name: "exact-80-20", ratios: "train=0.8,test=0.2"},
		{name: "exact-3way", ratios: "train=0.7,valid=0.15,test=0.15"},
		{name: "approx-80-20", ratios: "train=0.8,test=0.2", approx: true},
	} {
		better, fast, aligned, runs := tc, tc, tc, tc
		better.level, better.encoding = sinks.SnappyBetter, sinks.EncodingPlain
		fast.name, fast.encoding = tc.name+".snappy-fast", sinks.EncodingPlain
		aligned.name, aligned.aligned, aligned.raw = tc.name+".dictionary", true, true
		runs.name, runs.raw = tc.name+".index-runs", true
		tc.name += ".compressed-pricing"
		cases = append(cases, better, fast, aligned, runs, tc)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			splits, err := splitter.ParseRatios(tc.ratios)
			if err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(t.TempDir(), "out")
			m := runSplit(t, pipeline.SplitConfig{
				Inputs: []string{in}, Out: out, Seed: "42", Splits: splits, Approx: tc.approx,
				JobOptions: pipeline.JobOptions{RowsPerFile: 1000, RowGroupRows: 256, Parquet: sinks.ParquetOptions{CompressionLevel: tc.level, Encoding: tc.encoding, AlignedIndexRuns: tc.aligned, RawDictionaryPricing: tc.raw}},
			})
			got := goldenHeader + assignment(t, out, m) + fingerprint(m)
			path := filepath.Join("testdata", "golden", tc.name+".txt")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update once to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output bytes changed for seed 42 (%s):\n got:\n%s\nwant:\n%s",
					tc.name, strings.TrimPrefix(got, goldenHeader), strings.TrimPrefix(string(want), goldenHeader))
			}
		})
	}
}

// assignment describes each split's rows: count, first ids and a digest of
// all ids in output order.
func assignment(t *testing.T, dir string, m *pipeline.Manifest) string {
	var b strings.Builder
	for _, s := range m.Splits {
		ids := readIDs(t, dir, s)
		h := sha256.New()
		for _, id := range ids {
			binary.Write(h, binary.LittleEndian, id)
		}
		fmt.Fprintf(&b, "%s: %d rows, ids %v..., ids sha256 %x\n", s.Name, len(ids), ids[:min(8, len(ids))], h.Sum(nil))
	}
	return b.String()
}
