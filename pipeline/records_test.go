package pipeline_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/splitter"
)

// idRecords makes records of the ids 0..n-1 (and a string column) cut at
// sizes, which must sum to n.
func idRecords(t *testing.T, mem memory.Allocator, sizes []int) []arrow.RecordBatch {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	var recs []arrow.RecordBatch
	id := int64(0)
	for _, n := range sizes {
		b := array.NewRecordBuilder(mem, schema)
		for range n {
			b.Field(0).(*array.Int64Builder).Append(id)
			if id%3 == 0 {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append(string(rune('a' + id%26)))
			}
			id++
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	return recs
}

// writeIDParquet writes the ids 0..n-1 to a Parquet file in row groups of
// groupRows.
func writeIDParquet(t *testing.T, n, groupRows int) string {
	t.Helper()
	type row struct {
		ID int64 `parquet:"id"`
	}
	path := filepath.Join(t.TempDir(), "in.parquet")
	rows := make([]row, n)
	for i := range rows {
		rows[i].ID = int64(i)
	}
	if err := parquet.WriteFile(path, rows, parquet.MaxRowsPerRowGroup(int64(groupRows))); err != nil {
		t.Fatal(err)
	}
	return path
}

// recordIDs returns the id column of rec.
func recordIDs(rec arrow.RecordBatch) []int64 {
	return slices.Clone(rec.Column(0).(*array.Int64).Int64Values())
}

// TestSplitRecordsLikeSplit checks that splitting records in memory puts
// the same rows, in the same order, in each split as pipeline.Split does
// with the same rows in a Parquet file.
func TestSplitRecordsLikeSplit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	const n = 3000
	in := writeIDParquet(t, n, 700)
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
	counts := []splitter.Split{{Name: "a", Rows: 100}, {Name: "b", Rows: 250}} // rows left unassigned
	for _, tc := range []struct {
		name    string
		splits  []splitter.Split
		approx  bool
		shuffle bool
	}{
		{"exact", ratios, false, false},
		{"exact-shuffle", ratios, false, true},
		{"approx", ratios, true, false},
		{"approx-shuffle", ratios, true, true},
		{"counts-shuffle", counts, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := pipeline.SplitConfig{Inputs: []string{in}, Out: filepath.Join(t.TempDir(), "out"), Seed: "42",
				Splits: tc.splits, Approx: tc.approx, Shuffle: tc.shuffle}
			m := runSplit(t, cfg)
			got, err := pipeline.SplitRecords(t.Context(), recs, pipeline.RecordsConfig{
				Seed: "42", Splits: tc.splits, Approx: tc.approx, Shuffle: tc.shuffle, Workers: 2, Allocator: mem})
			if err != nil {
				t.Fatal(err)
			}
			defer func() {
				for _, s := range got {
					s.Record.Release()
				}
			}()
			if len(got) != len(m.Splits) {
				t.Fatalf("%d splits, want %d", len(got), len(m.Splits))
			}
			for j, s := range got {
				want := readIDs(t, cfg.Out, m.Splits[j])
				if ids := recordIDs(s.Record); s.Name != m.Splits[j].Name || !slices.Equal(ids, want) {
					t.Errorf("split %s: %d ids %v..., want %s: %d ids %v...", s.Name, len(ids), head(ids), m.Splits[j].Name, len(want), head(want))
				}
				if s.Record.NumCols() != 2 || s.Record.Column(1).Len() != int(s.Record.NumRows()) {
					t.Errorf("split %s: bad shape", s.Name)
				}
			}
		})
	}
}

func head(ids []int64) []int64 { return ids[:min(5, len(ids))] }

// TestSampleRecordsLikeSample checks SampleRecords against pipeline.Sample.
func TestSampleRecordsLikeSample(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := writeIDParquet(t, 500, 128)
	recs := idRecords(t, mem, []int{200, 300})
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	out := filepath.Join(t.TempDir(), "out")
	m, err := pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{in}, Out: out, Seed: "7", Rows: 37})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := pipeline.SampleRecords(t.Context(), recs, "7", 37)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	if got, want := recordIDs(rec), readIDs(t, out, m.Splits[0]); !slices.Equal(got, want) {
		t.Errorf("sample ids %v, want %v", got, want)
	}
}

func TestSplitRecordsRefuses(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	recs := idRecords(t, mem, []int{10})
	defer recs[0].Release()
	splits := []splitter.Split{{Name: "a", Rows: 5}, {Name: "b", Rows: -1}}
	for _, tc := range []struct {
		name string
		recs []arrow.RecordBatch
		cfg  pipeline.RecordsConfig
	}{
		{"no seed", recs, pipeline.RecordsConfig{Splits: splits}},
		{"no records", nil, pipeline.RecordsConfig{Seed: "1", Splits: splits}},
		{"too many rows", recs, pipeline.RecordsConfig{Seed: "1", Splits: []splitter.Split{{Name: "a", Rows: 11}}}},
	} {
		if _, err := pipeline.SplitRecords(t.Context(), tc.recs, tc.cfg); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
}
