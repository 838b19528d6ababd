package pipeline_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/testinput"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/splitter"
)

// The columnar path writes the bytes the row path writes: every job that
// can take it, run both ways.
func TestBatchPathMatchesRowPath(t *testing.T) {
	gen := genInput(t, 3000, 2, 700)
	structs := structInput(t)
	three, err := splitter.ParseRatios("train=0.7,valid=0.2,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	var columnar []bool // what each run's OnPath said
	opts := pipeline.JobOptions{RowsPerFile: 1000, RowGroupRows: 300, Workers: 3, OnPath: func(c bool) { columnar = append(columnar, c) }}
	// The other output formats, from Parquet and from JSON Lines and
	// Arrow inputs holding the same rows.
	format := func(f string) pipeline.JobOptions {
		o := opts
		o.Format = f
		return o
	}
	jsonl := convertInput(t, gen, "jsonl")
	arrow := convertInput(t, gen, "arrow")
	jobs := []struct {
		name string
		run  func(t *testing.T, out string) (*pipeline.Manifest, error)
	}{
		{"split-3way", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{gen}, Out: out, Seed: "5", Splits: three, JobOptions: opts})
		}},
		{"split-approx-row-index", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			o := opts
			o.RowIndexColumn = "row"
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{gen}, Out: out, Seed: "5", Splits: three, Approx: true, JobOptions: o})
		}},
		{"split-stratify", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{gen}, Out: out, Seed: "6", Splits: three, Stratify: "label", JobOptions: opts})
		}},
		{"split-nulls-structs", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			o := opts
			o.Parquet.Dictionary = true
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{structs}, Out: out, Seed: "7", Splits: three, JobOptions: o})
		}},
		{"split-nulls-structs-0.7-pricing", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			o := opts
			o.Parquet.RawDictionaryPricing = true
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{structs}, Out: out, Seed: "7", Splits: three, JobOptions: o})
		}},
		{"split-3way-0.6-bytes", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			o := opts
			o.Parquet.RawDictionaryPricing, o.Parquet.AlignedIndexRuns = true, true
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{gen}, Out: out, Seed: "5", Splits: three, JobOptions: o})
		}},
		{"kfold-materialize", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{gen}, Out: out, Seed: "8", K: 3, Materialize: true, JobOptions: opts})
		}},
		{"sample-replace", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{gen}, Out: out, Seed: "9", Rows: 2500, Replace: true, JobOptions: opts})
		}},
		{"sample-fraction", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{gen}, Out: out, Seed: "9", Fraction: 0.3, JobOptions: opts})
		}},
		{"split-shuffle-in-memory", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{gen}, Out: out, Seed: "10", Splits: three, Shuffle: true, JobOptions: opts})
		}},
		{"split-shuffle-spill-row-index", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			o := opts
			o.ShuffleMemory = 256 << 10
			o.RowIndexColumn = "row"
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{gen}, Out: out, Seed: "10", Splits: three, Shuffle: true, JobOptions: o})
		}},
		{"shuffle-spill-structs", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			o := opts
			o.ShuffleMemory = 128 << 10
			return pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{structs}, Out: out, Seed: "11", Epoch: 2, JobOptions: o})
		}},
		{"kfold-compat-sklearn", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{gen}, Out: out, Seed: "12", K: 4, Compat: "sklearn", Shuffle: true, JobOptions: opts})
		}},
		{"split-3way-csv", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			o := format("csv")
			o.CSVOut = sinks.CSVWriteOptions{Delimiter: ';', Null: "NA"}
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{gen}, Out: out, Seed: "5", Splits: three, JobOptions: o})
		}},
		{"split-stratify-jsonl", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{gen}, Out: out, Seed: "6", Splits: three, Stratify: "label", JobOptions: format("jsonl")})
		}},
		{"split-3way-arrow-row-index", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			o := format("arrow")
			o.RowIndexColumn = "row"
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{gen}, Out: out, Seed: "5", Splits: three, JobOptions: o})
		}},
		{"split-nulls-structs-arrow", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{structs}, Out: out, Seed: "7", Splits: three, JobOptions: format("arrow")})
		}},
		{"shuffle-spill-csv", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			o := format("csv")
			o.ShuffleMemory = 256 << 10
			return pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{gen}, Out: out, Seed: "11", JobOptions: o})
		}},
		{"sample-replace-jsonl", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{gen}, Out: out, Seed: "9", Rows: 2500, Replace: true, JobOptions: format("jsonl")})
		}},
		{"kfold-materialize-arrow-from-jsonl", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{jsonl}, Out: out, Seed: "8", K: 3, Materialize: true, JobOptions: format("arrow")})
		}},
		{"split-csv-from-arrow", func(t *testing.T, out string) (*pipeline.Manifest, error) {
			return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{arrow}, Out: out, Seed: "5", Splits: three, JobOptions: format("csv")})
		}},
	}
	for _, job := range jobs {
		t.Run(job.name, func(t *testing.T) {
			// Columnar, row, and columnar with every other unit read as
			// rows (the fallback for units batches cannot hold).
			paths := []struct {
				name string
				set  func() func()
			}{
				{"columnar path", func() func() { return pipeline.SetRowPath(false) }},
				{"row path", func() func() { return pipeline.SetRowPath(true) }},
				{"columnar path with rows", pipeline.RefuseBatches},
			}
			fingerprints := make([]string, len(paths))
			for k, p := range paths {
				restore := p.set()
				columnar = nil
				m, err := job.run(t, filepath.Join(t.TempDir(), "out"))
				restore()
				if err != nil {
					t.Fatalf("%s: %v", p.name, err)
				}
				if want := k != 1; len(columnar) != 1 || columnar[0] != want {
					t.Fatalf("%s: the job said columnar %v, want [%v]", p.name, columnar, want)
				}
				fingerprints[k] = fingerprint(m)
				if k > 0 && fingerprints[k] != fingerprints[0] {
					t.Fatalf("%s wrote:\n%s\n%s wrote:\n%s", paths[0].name, fingerprints[0], p.name, fingerprints[k])
				}
			}
		})
	}
	for _, in := range []string{gen, structs, jsonl, arrow} {
		if ok, err := pipeline.UsesBatches(in); err != nil || !ok {
			t.Fatalf("the columnar path does not read %s (%v): the test compared the row path with itself", in, err)
		}
	}
}

// convertInput writes the rows of in, in order, as one file of format f
// (a split of them all) and returns its directory.
func convertInput(t *testing.T, in, f string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), f)
	all, err := splitter.ParseRatios("all=1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "1", Splits: all,
		JobOptions: pipeline.JobOptions{Format: f, RowsPerFile: 1 << 20}}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(out, "all")
}

// structInput writes a file of 2,500 rows of optional values and an
// optional struct with an optional field, in row groups of 400 rows.
func structInput(t *testing.T) string {
	t.Helper()
	schema := parquet.NewSchema("s", parquet.Group{
		"id":    parquet.Int(64),
		"label": parquet.Optional(parquet.String()),
		"s": parquet.Optional(parquet.Group{
			"p": parquet.Optional(parquet.Int(32)),
			"q": parquet.Leaf(parquet.DoubleType),
		}),
		"when": parquet.Optional(parquet.Timestamp(parquet.Microsecond)),
	})
	rows := make([]parquet.Row, 2500)
	for i := range rows {
		row := parquet.Row{parquet.Int64Value(int64(i)).Level(0, 0, 0)}
		if i%3 == 0 {
			row = append(row, parquet.NullValue().Level(0, 0, 1))
		} else {
			row = append(row, parquet.ByteArrayValue([]byte{'a' + byte(i%7)}).Level(0, 1, 1))
		}
		switch i % 5 {
		case 0:
			row = append(row, parquet.NullValue().Level(0, 0, 2), parquet.NullValue().Level(0, 0, 3))
		case 1:
			row = append(row, parquet.NullValue().Level(0, 1, 2), parquet.DoubleValue(float64(i)/3).Level(0, 1, 3))
		default:
			row = append(row, parquet.Int32Value(int32(i*i)).Level(0, 2, 2), parquet.DoubleValue(-float64(i)).Level(0, 1, 3))
		}
		if i%4 == 0 {
			row = append(row, parquet.NullValue().Level(0, 0, 4))
		} else {
			row = append(row, parquet.Int64Value(int64(i)*1e6).Level(0, 1, 4))
		}
		rows[i] = row
	}
	path := filepath.Join(t.TempDir(), "structs.parquet")
	testinput.Rows(t, path, schema, rows, parquet.MaxRowsPerRowGroup(400))
	return path
}

// A shuffle of dictionary-encoded categories, small encoded and large
// decoded, spills when they do not fit decoded: the footers' sizes alone
// said they would fit, and the in-memory shuffle then failed for lack of
// --memory. Every --memory gives the same bytes.
func TestShuffleExpandsDictionaries(t *testing.T) {
	schema := parquet.NewSchema("t", parquet.Group{
		"a":  parquet.Encoded(parquet.String(), &parquet.RLEDictionary),
		"b":  parquet.Encoded(parquet.String(), &parquet.RLEDictionary),
		"id": parquet.Int(64),
	})
	cats := []string{strings.Repeat("x", 100), strings.Repeat("y", 100), strings.Repeat("z", 100)}
	rows := make([]parquet.Row, 100_000)
	for i := range rows {
		rows[i] = parquet.Row{
			parquet.ByteArrayValue([]byte(cats[i%3])).Level(0, 0, 0),
			parquet.ByteArrayValue([]byte(cats[i%2])).Level(0, 0, 1),
			parquet.Int64Value(int64(i)).Level(0, 0, 2),
		}
	}
	path := filepath.Join(t.TempDir(), "cats.parquet")
	testinput.Rows(t, path, schema, rows, parquet.MaxRowsPerRowGroup(25_000))
	var first string
	for _, memory := range []int64{12 << 20, 16 << 20, 24 << 20, 64 << 20} {
		m, err := pipeline.Shuffle(t.Context(), pipeline.ShuffleConfig{Inputs: []string{path}, Out: filepath.Join(t.TempDir(), "out"), Seed: "3",
			JobOptions: pipeline.JobOptions{ShuffleMemory: memory, Workers: 2}})
		if err != nil {
			t.Fatalf("--memory %d MiB: %v", memory>>20, err)
		}
		if first == "" {
			first = fingerprint(m)
		} else if fingerprint(m) != first {
			t.Fatalf("--memory %d MiB wrote other bytes", memory>>20)
		}
	}
}
