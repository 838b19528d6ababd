package pipeline_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
	"github.com/splitdata/splitdata/splitter"
)

// duckDBDir holds the DuckDB scripts and their locked dependencies (see its
// README.md).
var duckDBDir = filepath.Join("..", "sinks", "testdata", "duckdb")

// duckDBKnownFailures lists the corpus files (paths under data/) whose
// split DuckDB does not read back as the input today, with what the
// failure says. Such a file is skipped when its every problem says so; an
// entry whose output DuckDB reads as the input fails the test, so that it
// is removed with the fix.
var duckDBKnownFailures = map[string]string{}

// duckDBTypeChanges lists the corpus files whose outputs DuckDB reads with
// other column types than the input, by a documented departure of the
// sinks package from the input's schema (sinks/doc.go: the schema is
// written as parquet-go models it), with the change expected. The rows are
// still compared: on DuckDB's common types where it can cast, else on the
// columns whose types are equal. An entry whose types no longer differ
// that way fails the test.
var duckDBTypeChanges = map[string]string{
	// A converted-type-only TIMESTAMP_MICROS column gains the equivalent
	// logical type, TIMESTAMP(isAdjustedToUTC=true, MICROS), which DuckDB
	// reads as TIMESTAMP WITH TIME ZONE, the converted type alone as
	// TIMESTAMP.
	"nested_structs.rust.parquet": "sum TIMESTAMP WITH TIME ZONE, variance TIMESTAMP WITH TIME ZONE)",
	// GEOMETRY and GEOGRAPHY without a CRS are written with the CRS the
	// format defines as their default, OGC:CRS84.
	"geospatial/crs-default.parquet":         "geometry GEOMETRY -> GEOMETRY('OGC:CRS84')",
	"geospatial/crs-geography.parquet":       "geography GEOMETRY -> GEOMETRY('OGC:CRS84')",
	"geospatial/geography-lines.parquet":     "geometry GEOMETRY -> GEOMETRY('OGC:CRS84')",
	"geospatial/geography-points.parquet":    "geometry GEOMETRY -> GEOMETRY('OGC:CRS84')",
	"geospatial/geography-polygons.parquet":  "geometry GEOMETRY -> GEOMETRY('OGC:CRS84')",
	"geospatial/geospatial-with-nan.parquet": "geometry GEOMETRY -> GEOMETRY('OGC:CRS84')",
	"geospatial/geospatial.parquet":          "geometry GEOMETRY -> GEOMETRY('OGC:CRS84')",
}

// duckDBUnreadable lists the corpus files DuckDB itself cannot read, with
// what its error says. Their outputs are checked against splitdata's own
// reading of the input instead: the row count when DuckDB reads the
// output, else the same refusal (the schema, copied from the input, is
// what DuckDB refuses). An entry DuckDB reads fails the test.
var duckDBUnreadable = map[string]string{
	// A MAP_KEY_VALUE group with a key and no value column.
	"map_no_value.parquet": "MAP_KEY_VALUE requires two children",
	// BYTE_STREAM_SPLIT pages of FLOAT16, INT32, INT64 and
	// FIXED_LEN_BYTE_ARRAY columns (splitdata writes them PLAIN).
	"byte_stream_split_extended.gzip.parquet": "BYTE_STREAM_SPLIT encoding is only supported for FLOAT or DOUBLE data",
	// The deprecated LZ4 codec (5), Hadoop-framed or bare, which DuckDB
	// does not read (it reads LZ4_RAW); their values are checked in
	// sources' TestLZ4Corpus, and DuckDB reads splitdata's outputs.
	"hadoop_lz4_compressed.parquet":        `Unsupported compression codec "LZ4"`,
	"hadoop_lz4_compressed_larger.parquet": `Unsupported compression codec "LZ4"`,
	"non_hadoop_lz4_compressed.parquet":    `Unsupported compression codec "LZ4"`,
}

// duckDBConfigs are the splits each corpus file goes through: the
// defaults (the columnar path for flat files), and a shuffled split with
// small row groups, files and pages, zstd and dictionaries.
var duckDBConfigs = []struct {
	name string
	cfg  pipeline.SplitConfig
}{
	{"default", pipeline.SplitConfig{JobOptions: pipeline.JobOptions{Workers: 2}}},
	{"shuffle-zstd-dict", pipeline.SplitConfig{Shuffle: true, JobOptions: pipeline.JobOptions{
		Workers: 2, RowGroupRows: 1000, RowsPerFile: 2500,
		Parquet: sinks.ParquetOptions{Compression: "zstd", Dictionary: true, PageBufferSize: 4096},
	}}},
}

// maxDuckDBCorpusBytes leaves out of TestCorpusDuckDB the corpus files
// whose footer declares more uncompressed data than this:
// large_string_map.brotli.parquet holds 2 GiB of strings, too much for
// DuckDB to compare in a unit test.
const maxDuckDBCorpusBytes = 64 << 20

// declaredBytes returns the uncompressed size of the row groups the footer
// of path declares, or 0 when parquet-go cannot read the footer (split
// will then refuse the file).
func declaredBytes(t *testing.T, path string) int64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	p, err := parquet.OpenFile(f, st.Size(), parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return 0
	}
	var n int64
	for _, rg := range p.Metadata().RowGroups {
		n += rg.TotalByteSize
	}
	return n
}

// duckDBNode returns the path of node when node and the DuckDB package are
// installed in duckDBDir. Otherwise it skips t saying what is missing, or
// fails t under CI (CI=true), whose .ci/run installs both.
func duckDBNode(t *testing.T) string {
	t.Helper()
	missing := func(what string) {
		t.Helper()
		msg := what + ": install Node.js 18 or later and run npm ci in sinks/testdata/duckdb"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: a failure, not a skip)")
		}
		t.Skip(msg)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		missing("node is not installed")
	}
	if _, err := os.Stat(filepath.Join(duckDBDir, "node_modules", "@duckdb", "node-api")); err != nil {
		missing("the DuckDB package is not installed")
	}
	return node
}

// duckDBJob is one entry of corpus.mjs's job file.
type duckDBJob struct {
	Name    string   `json:"name"`
	Input   string   `json:"input"`
	Outputs []string `json:"outputs"`
}

// duckDBSide is DuckDB's reading of one side, input or outputs.
type duckDBSide struct {
	Rows  int64    `json:"rows"`
	Types []string `json:"types"`
	Error string   `json:"error"`
}

// duckDBVerdict is corpus.mjs's report on one entry of the job.
type duckDBVerdict struct {
	Name         string     `json:"name"`
	Input        duckDBSide `json:"input"`
	Output       duckDBSide `json:"output"`
	Missing      *int64     `json:"missing"`
	Extra        *int64     `json:"extra"`
	Partial      []string   `json:"partial"`
	CompareError string     `json:"compareError"`
}

// TestCorpusDuckDB splits every file of the corpus's data/ directory (each
// under duckDBConfigs) and has DuckDB, an independent Parquet reader, read
// the input and the union of the output files: the row counts, the column
// types and the rows as multisets must be equal. Files split refuses are
// logged (TestSplitCorpusData checks its refusals); they must be refused
// with an InputError, and by every configuration alike; files above
// maxDuckDBCorpusBytes are left out. One node process judges all files.
// -short runs the first configuration only.
func TestCorpusDuckDB(t *testing.T) {
	node := duckDBNode(t)
	dataDir, err := filepath.Abs(corpusDir(t, "data")) // node runs in duckDBDir
	if err != nil {
		t.Fatal(err)
	}
	var inputs []string
	err = filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.Contains(d.Name(), ".parquet") && !strings.HasSuffix(d.Name(), ".json") {
			inputs = append(inputs, path)
		}
		return err
	})
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no files in %s: %v", dataDir, err)
	}

	configs := duckDBConfigs
	if testing.Short() {
		configs = configs[:1]
	}
	tmp := t.TempDir()
	var jobs []duckDBJob
	manifests := map[string]*pipeline.Manifest{}
	refusedBy := map[string]string{} // corpus name -> the config refusing it
	var refused, leftOut []string
	for _, c := range configs {
		for i, path := range inputs {
			rel := corpusName(dataDir, path)
			if n := declaredBytes(t, path); n > maxDuckDBCorpusBytes {
				if c.name == configs[0].name {
					t.Logf("%s left out: %d bytes of data, more than %d", rel, n, maxDuckDBCorpusBytes)
					leftOut = append(leftOut, rel)
				}
				continue
			}
			cfg := c.cfg
			cfg.Inputs = []string{path}
			cfg.Out = filepath.Join(tmp, c.name, fmt.Sprintf("%03d", i))
			cfg.Seed = "1"
			cfg.Splits = []splitter.Split{{Name: "train", Ratio: 0.5}, {Name: "test", Ratio: 0.5}}
			cfg.InputFormat = "parquet" // the encrypted files too
			m, err := pipeline.Split(t.Context(), cfg)
			if err != nil {
				var ie *sources.InputError
				if !errors.As(err, &ie) {
					t.Errorf("%s: %s: error is not an InputError: %v", c.name, rel, err)
				}
				if c.name == configs[0].name {
					refused = append(refused, rel+": "+err.Error())
					refusedBy[rel] = c.name
				} else if refusedBy[rel] == "" {
					t.Errorf("%s: %s refused, but split under %s: %v", c.name, rel, configs[0].name, err)
				}
				continue
			}
			if by := refusedBy[rel]; by != "" {
				t.Errorf("%s: %s split, but refused under %s", c.name, rel, by)
			}
			job := duckDBJob{Name: c.name + "/" + rel, Input: path}
			for _, s := range m.Splits {
				for _, f := range s.Files {
					job.Outputs = append(job.Outputs, filepath.Join(cfg.Out, filepath.FromSlash(f.Path)))
				}
			}
			jobs = append(jobs, job)
			manifests[job.Name] = m
		}
	}
	t.Logf("split refuses %d of %d files:\n%s", len(refused), len(inputs)-len(leftOut), strings.Join(refused, "\n"))
	if len(jobs) == 0 {
		t.Fatal("split refused every file")
	}

	verdicts, version := runCorpusScript(t, node, filepath.Join(tmp, "job.json"), jobs)
	t.Logf("DuckDB %s", version)
	for _, job := range jobs {
		t.Run(job.Name, func(t *testing.T) {
			v, ok := verdicts[job.Name]
			if !ok {
				t.Fatal("corpus.mjs gave no verdict")
			}
			checkDuckDBVerdict(t, corpusName(dataDir, job.Input), manifests[job.Name].Rows, v)
		})
	}
}

// corpusName is path relative to the corpus's data directory, with
// slashes: the key of duckDBKnownFailures and duckDBUnreadable.
func corpusName(dataDir, path string) string {
	rel, err := filepath.Rel(dataDir, path)
	if err != nil {
		return path
	}
	return filepath.ToSlash(rel)
}

// runCorpusScript writes jobs to jobFile, runs corpus.mjs on it once and
// returns its verdicts by name and DuckDB's version.
func runCorpusScript(t *testing.T, node, jobFile string, jobs []duckDBJob) (map[string]duckDBVerdict, string) {
	t.Helper()
	b, err := json.Marshal(jobs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(jobFile, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), node, "corpus.mjs", jobFile)
	cmd.Dir = duckDBDir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("node corpus.mjs: %v\n%s", err, stderr.Bytes())
	}
	var report struct {
		DuckDB string          `json:"duckdb"`
		Files  []duckDBVerdict `json:"files"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &report); err != nil {
		t.Fatalf("corpus.mjs printed no report: %v\n%s\n%s", err, stdout.Bytes(), stderr.Bytes())
	}
	verdicts := make(map[string]duckDBVerdict, len(report.Files))
	for _, v := range report.Files {
		verdicts[v.Name] = v
	}
	return verdicts, report.DuckDB
}

// checkDuckDBVerdict fails t unless DuckDB read the outputs of the corpus
// file name as the input: rows rows (splitdata's count), the same column
// types (or those duckDBTypeChanges names) and the same rows. A file
// listed in duckDBUnreadable is checked against splitdata's count only;
// one listed in duckDBKnownFailures is skipped when its every problem is
// the one listed.
func checkDuckDBVerdict(t *testing.T, name string, rows int64, v duckDBVerdict) {
	if want, listed := duckDBUnreadable[name]; listed {
		if !strings.Contains(v.Input.Error, want) {
			t.Fatalf("listed in duckDBUnreadable (%q), but DuckDB reads the input (error %q): remove the entry", want, v.Input.Error)
		}
		switch {
		case v.Output.Error == "" && v.Output.Rows != rows:
			t.Errorf("DuckDB reads %d rows from the outputs, splitdata %d from the input", v.Output.Rows, rows)
		case v.Output.Error != "" && !strings.Contains(v.Output.Error, want):
			t.Errorf("DuckDB cannot read the outputs: %s", v.Output.Error)
		default:
			t.Logf("DuckDB cannot read the input (%s); outputs: %+v", v.Input.Error, v.Output)
		}
		return
	}
	if v.Input.Error != "" {
		t.Fatalf("DuckDB cannot read the input: %s (if DuckDB is at fault, list the file in duckDBUnreadable)", v.Input.Error)
	}
	change, changed := duckDBTypeChanges[name]
	problems := duckDBProblems(rows, v, changed)
	if changed {
		diff := typeDiff(v.Input.Types, v.Output.Types)
		if !strings.Contains(diff, change) {
			t.Errorf("listed in duckDBTypeChanges (%q), but the column types differ by %q: update the entry", change, diff)
		} else {
			t.Logf("column types changed as listed in duckDBTypeChanges: %s", diff)
		}
		switch {
		case v.Partial != nil:
			t.Logf("rows compared on %s only: %s", strings.Join(v.Partial, ", "), v.CompareError)
		case v.Missing == nil:
			t.Logf("no column keeps its type: no values compared (%s)", v.CompareError)
		}
	}
	known, listed := duckDBKnownFailures[name]
	if listed {
		if len(problems) == 0 {
			t.Fatalf("listed in duckDBKnownFailures (%q), but DuckDB reads the outputs as the input: remove the entry", known)
		}
		if !slices.ContainsFunc(problems, func(p string) bool { return !strings.Contains(p, known) }) {
			t.Skipf("known failure (duckDBKnownFailures): %s", strings.Join(problems, "; "))
		}
	}
	for _, p := range problems {
		t.Error(p)
	}
}

// duckDBProblems lists how DuckDB's reading of the outputs differs from
// its reading of the input, or from splitdata's count of rows. When
// changed, the column types differ as duckDBTypeChanges lists
// (checkDuckDBVerdict checks how), which is no problem, nor that no rows
// could be compared when no column keeps its type.
func duckDBProblems(rows int64, v duckDBVerdict, changed bool) []string {
	if v.Output.Error != "" {
		return []string{"DuckDB cannot read the outputs: " + v.Output.Error}
	}
	var problems []string
	if v.Input.Rows != rows || v.Output.Rows != rows {
		problems = append(problems, fmt.Sprintf("DuckDB reads %d rows from the input and %d from the outputs; splitdata split %d", v.Input.Rows, v.Output.Rows, rows))
	}
	if d := typeDiff(v.Input.Types, v.Output.Types); d != "" && !changed {
		problems = append(problems, "DuckDB reads other column types from the outputs: "+d)
	}
	switch {
	case changed && v.Missing == nil && !slices.ContainsFunc(v.Input.Types, func(c string) bool { return slices.Contains(v.Output.Types, c) }):
		// No column to compare.
	case v.Missing == nil || v.Extra == nil:
		problems = append(problems, "DuckDB cannot compare the rows: "+v.CompareError)
	case *v.Missing != 0 || *v.Extra != 0:
		problems = append(problems, fmt.Sprintf("%d input rows are not in the outputs and %d output rows not in the input (as multisets)", *v.Missing, *v.Extra))
	}
	return problems
}

// typeDiff describes how the column types out differ from in ("col IN ->
// OUT", for each column that differs), or returns "" when they are equal.
func typeDiff(in, out []string) string {
	if slices.Equal(in, out) {
		return ""
	}
	if len(in) != len(out) {
		return fmt.Sprintf("[%s] -> [%s]", strings.Join(in, ", "), strings.Join(out, ", "))
	}
	var diffs []string
	for i := range in {
		if in[i] != out[i] {
			col, _, _ := strings.Cut(in[i], " ")
			diffs = append(diffs, in[i]+" -> "+strings.TrimPrefix(out[i], col+" "))
		}
	}
	return strings.Join(diffs, ", ")
}
