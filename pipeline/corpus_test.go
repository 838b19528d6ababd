package pipeline_test

import (
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// corpusDir returns the directory sub (data or bad_data) of the Apache
// parquet-testing corpus that ships in the repository's
// testdata/parquet-testing, and fails t when it is missing: a clone
// without the corpus must not pass by skipping its tests.
func corpusDir(t *testing.T, sub string) string {
	t.Helper()
	dir := filepath.Join("..", "testdata", "parquet-testing", sub)
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("parquet-testing corpus missing (it ships in testdata/parquet-testing): %v", err)
	}
	return dir
}

// TestSplitBadData runs every malformed file of the corpus through split:
// each must give an error that names the file, and leave no output. The one
// file mainstream readers accept (dictionary indices of bit width 0) may
// also split completely.
func TestSplitBadData(t *testing.T) {
	dir := corpusDir(t, "bad_data")
	paths, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no files in %s: %v", dir, err)
	}
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			parent := t.TempDir()
			out := filepath.Join(parent, "out")
			m, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{path}, Out: out, Seed: "1", JobOptions: pipeline.JobOptions{Workers: 2}})
			if filepath.Base(path) == "ARROW-GH-43605.parquet" && err == nil {
				if m.Rows != 21186 {
					t.Fatalf("split %d rows, want 21186", m.Rows)
				}
				var written int64
				for _, s := range m.Splits {
					written += s.Rows
				}
				if written != m.Rows {
					t.Fatalf("wrote %d of %d rows", written, m.Rows)
				}
				return
			}
			if err == nil {
				t.Fatal("split succeeded on a malformed file")
			}
			var ie *sources.InputError
			if !errors.As(err, &ie) {
				t.Errorf("error is not an InputError: %v", err)
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans several lines: %q", err)
			}
			assertOnly(t, parent)
		})
	}
}

// corpusRefusals lists the files of the corpus's data/ directory that split
// refuses, with what the error must say. Keep it in step with the README's
// list: a file refused but not listed, or listed but split, fails the test.
var corpusRefusals = map[string]string{
	// Damaged on purpose by the corpus.
	"datapage_v1-corrupt-checksum.parquet":           "crc32 checksum mismatch",
	"rle-dict-uncompressed-corrupt-checksum.parquet": "crc32 checksum mismatch",
	"nation.dict-malformed.parquet":                  "corrupt input",
	// A valid file the Parquet decoder (parquet-go) cannot read.
	"column_chunk_key_value_metadata.parquet": "reading parquet file metadata",
	// Beyond the memory bound: one column chunk of 2 GiB.
	"large_string_map.brotli.parquet": "chunks above 1073741824 bytes are refused",
}

// TestSplitCorpusData runs every file of the corpus's data/ directory
// through a 2-way split. Each either splits with every row kept (row count
// and a per-column checksum of all values equal between the input and the
// union of the outputs) or fails with an InputError naming the file and
// listed in corpusRefusals. Nothing panics.
func TestSplitCorpusData(t *testing.T) {
	dir := corpusDir(t, "data")
	paths, err := filepath.Glob(filepath.Join(dir, "*.parquet"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no files in %s: %v", dir, err)
	}
	var failed []string
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out")
			m, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{path}, Out: out, Seed: "1", JobOptions: pipeline.JobOptions{Workers: 2, RowGroupRows: 1000}})
			if err != nil {
				var ie *sources.InputError
				if !errors.As(err, &ie) || !strings.Contains(err.Error(), filepath.Base(path)) {
					t.Fatalf("error is not an InputError naming the file: %v", err)
				}
				if _, statErr := os.Stat(out); !errors.Is(statErr, os.ErrNotExist) {
					t.Fatalf("failed run left %s behind", out)
				}
				failed = append(failed, filepath.Base(path)+": "+err.Error())
				want, listed := corpusRefusals[filepath.Base(path)]
				if !listed {
					t.Fatalf("refused, but not listed as refused: %v", err)
				}
				if !strings.Contains(err.Error(), want) {
					t.Fatalf("error %q does not say %q", err, want)
				}
				return
			}
			if _, listed := corpusRefusals[filepath.Base(path)]; listed {
				t.Errorf("listed as refused, but split: update corpusRefusals and the README")
			}
			wantRows, want := columnSums(t, []string{path})
			var outs []string
			for _, s := range m.Splits {
				for _, f := range s.Files {
					outs = append(outs, filepath.Join(out, filepath.FromSlash(f.Path)))
				}
			}
			gotRows, got := columnSums(t, outs)
			if gotRows != wantRows || gotRows != m.Rows {
				t.Fatalf("outputs hold %d rows, input %d, manifest %d", gotRows, wantRows, m.Rows)
			}
			for c := range want {
				if got[c] != want[c] {
					t.Errorf("column %d: checksum of the outputs differs from the input's", c)
				}
			}
			// The same file through a shuffle under a tiny memory limit (so
			// that all but the smallest spill), checked row by row.
			shuffled := filepath.Join(t.TempDir(), "shuffled")
			if _, err := pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{path}, Out: shuffled, Seed: "1", JobOptions: pipeline.JobOptions{ShuffleMemory: 64 << 10, Workers: 2}}); err != nil {
				t.Fatalf("shuffle: %v", err)
			}
			if _, err := pipeline.VerifyWithInputs(t.Context(), shuffled, []string{path}); err != nil {
				t.Fatalf("shuffle: %v", err)
			}
		})
	}
	t.Logf("%d of %d files refused:\n%s", len(failed), len(paths), strings.Join(failed, "\n"))
}

// columnSums reads every row of the files and returns the row count and,
// per leaf column, an order-independent checksum of its values (a sum of
// per-row hashes of the column's values with their levels), so that rows
// may be reordered across files but not changed, lost or duplicated.
func columnSums(t *testing.T, paths []string) (int64, []uint64) {
	t.Helper()
	var rows int64
	var sums []uint64
	for _, path := range paths {
		p, err := sources.OpenParquetFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if sums == nil {
			sums = make([]uint64, len(p.Schema().Columns()))
		}
		for rg := range p.NumRowGroups() {
			err := p.ReadRowGroup(t.Context(), rg, 256, func(batch []parquet.Row) error {
				for _, row := range batch {
					rows++
					h := make([]*maphash.Hash, len(sums))
					for _, v := range row {
						c := v.Column()
						if h[c] == nil {
							h[c] = new(maphash.Hash)
							h[c].SetSeed(corpusSeed)
						}
						fmt.Fprintf(h[c], "%d/%d/%d/%v/", v.Kind(), v.RepetitionLevel(), v.DefinitionLevel(), v.IsNull())
						h[c].Write(v.Bytes())
					}
					for c := range sums {
						if h[c] != nil {
							sums[c] += h[c].Sum64()
						}
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		p.Close()
	}
	return rows, sums
}

var corpusSeed = maphash.MakeSeed()
