package pipeline_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"math"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/sources"
)

// groupKeyFromScratch computes docs/algorithm.md section 19's key of a
// group of values, each already canonical (0x00, or 0x01 and its text or
// bytes), as groupsv1.py does: one value's bytes, or each value's length
// (4 bytes big-endian) and bytes.
func groupKeyFromScratch(seed string, canon ...[]byte) uint64 {
	var b []byte
	if len(canon) == 1 {
		b = canon[0]
	} else {
		for _, c := range canon {
			b = binary.BigEndian.AppendUint32(b, uint32(len(c)))
			b = append(b, c...)
		}
	}
	mac := hmac.New(sha256.New, []byte(seed))
	mac.Write(b)
	return binary.BigEndian.Uint64(mac.Sum(nil))
}

// canonFromScratch is a Parquet value's canonical bytes by section 19's
// rules, from its kind.
func canonFromScratch(v parquet.Value) []byte {
	if v.IsNull() {
		return []byte{0}
	}
	switch v.Kind() {
	case parquet.Boolean:
		return append([]byte{1}, strconv.FormatBool(v.Boolean())...)
	case parquet.Int32:
		return append([]byte{1}, strconv.FormatInt(int64(v.Int32()), 10)...)
	case parquet.Int64:
		return append([]byte{1}, strconv.FormatInt(v.Int64(), 10)...)
	case parquet.Double:
		f := v.Double()
		bits := math.Float64bits(f + 0) // -0.0 + 0 is 0.0
		if f != f {
			bits = 0x7ff8000000000000
		}
		return binary.BigEndian.AppendUint64([]byte{1}, bits)
	}
	return append([]byte{1}, v.ByteArray()...)
}

// splitOfKey is section 7's split of a key under ratios.
func splitOfKey(key uint64, ratios ...float64) int {
	c := 0.0
	for j, r := range ratios[:len(ratios)-1] {
		c += r
		if c >= 1 || key < uint64(math.Ldexp(c, 64)) {
			return j
		}
	}
	return len(ratios) - 1
}

// eachOutputRow calls fn with every row of a split's files and the
// files' schema.
func eachOutputRow(t *testing.T, dir string, s pipeline.SplitInfo, fn func(schema *parquet.Schema, row parquet.Row)) {
	t.Helper()
	for _, f := range s.Files {
		p, err := sources.OpenParquetFile(filepath.Join(dir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Fatal(err)
		}
		for rg := range p.NumRowGroups() {
			err := p.ReadRowGroup(t.Context(), rg, 256, func(rows []parquet.Row) error {
				for _, r := range rows {
					fn(p.Schema(), r)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		p.Close()
	}
}

// TestGroupSeveralColumns checks --group user_id,label against section
// 19's rule computed from scratch, the same bytes under workers 1, 2, 3, 8
// and re-chunked inputs, verify, and kfold.
func TestGroupSeveralColumns(t *testing.T) {
	const n = 6_000
	splits := mustRatios(t, "train=0.7,valid=0.2,test=0.1")
	var first string
	for i, layout := range []struct {
		files   int
		rg      int64
		workers int
	}{{1, 6_000, 1}, {3, 400, 2}, {5, 77, 3}, {2, 1_000, 8}} {
		in := genInput(t, n, layout.files, layout.rg)
		out := filepath.Join(t.TempDir(), "out")
		m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Out: out, Seed: "31", Splits: splits, Group: "user_id,label",
			JobOptions: pipeline.JobOptions{Workers: layout.workers}})
		if i > 0 {
			if fingerprint(m) != first {
				t.Fatalf("layout %+v: different bytes", layout)
			}
			continue
		}
		first = fingerprint(m)
		if m.Options.Group != "user_id,label" || !m.Options.Approx {
			t.Errorf("manifest options %+v", m.Options)
		}
		var rows int64
		for s, info := range m.Splits {
			eachOutputRow(t, out, info, func(schema *parquet.Schema, row parquet.Row) {
				user, _ := schema.Lookup("user_id")
				label, _ := schema.Lookup("label")
				key := groupKeyFromScratch("31", canonFromScratch(row[user.ColumnIndex]), canonFromScratch(row[label.ColumnIndex]))
				if want := splitOfKey(key, 0.7, 0.2, 0.1); want != s {
					t.Fatalf("row %v in split %d, section 19 says %d", row, s, want)
				}
				rows++
			})
		}
		if rows != n {
			t.Fatalf("%d rows in the splits, want %d", rows, n)
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), out, []string{in}); err != nil {
			t.Fatal(err)
		}
		fold := filepath.Join(t.TempDir(), "folds")
		if _, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: []string{in}, Out: fold, Seed: "31", K: 4, Group: "user_id,label", Materialize: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), fold, []string{in}); err != nil {
			t.Fatal(err)
		}
	}
	in := genInput(t, 2_000, 2, 300)
	for _, bad := range []string{"user_id,nope", "user_id,x1", "user_id,user_id", "user_id,", ",label"} {
		_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{in}, Out: filepath.Join(t.TempDir(), "o"), Seed: "1", Group: bad})
		if !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("--group %s: err = %v, want a usage error", bad, err)
		}
	}
}

// dupInput writes gen rows plus copies of some of them (two samples, so
// some rows have three copies), in three directories made in the same
// order every time (inputs are sorted by path), and returns them with
// each id's number of copies.
func dupInput(t *testing.T, n int64, files int, rg int64) ([]string, map[int64]int) {
	t.Helper()
	base := genInput(t, n, files, rg)
	inputs := []string{base}
	copies := map[int64]int{}
	for id := range n {
		copies[id] = 1
	}
	for _, s := range []struct {
		seed     string
		fraction float64
	}{{"9", 0.1}, {"10", 0.05}} {
		out := filepath.Join(t.TempDir(), "dup")
		m, err := pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: []string{base}, Out: out, Seed: prng.Seed(s.seed), Fraction: s.fraction,
			JobOptions: pipeline.JobOptions{RowGroupRows: 333}})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range readColumn(t, out, m.Splits[0], "id") {
			copies[id]++
		}
		inputs = append(inputs, out)
	}
	return inputs, copies
}

// TestGroupByContent checks --group-by-content on rows with planted
// duplicates: the manifest's counts, no duplicate in two splits, each
// row where section 19 puts it (from scratch), the same bytes for any
// workers, chunking and memory (the count through temporary files), and
// verify; then --ratio-by rows, kfold and the usage errors.
func TestGroupByContent(t *testing.T) {
	const n = 5_000
	splits := mustRatios(t, "train=0.8,test=0.2")
	var first string
	for i, layout := range []struct {
		files   int
		rg      int64
		workers int
		memory  int64 // ShuffleMemory: the count's share
	}{{1, 5_000, 1, 0}, {3, 400, 2, 1 << 20}, {5, 77, 3, 0}, {2, 1_000, 8, 1 << 20}} {
		inputs, copies := dupInput(t, n, layout.files, layout.rg)
		out := filepath.Join(t.TempDir(), "out")
		m := runSplit(t, pipeline.SplitConfig{Inputs: inputs, Out: out, Seed: "31", Splits: splits, GroupByContent: true,
			JobOptions: pipeline.JobOptions{Workers: layout.workers, ShuffleMemory: layout.memory}})
		var want pipeline.ContentStats
		for _, c := range copies {
			want.Groups++
			if c > 1 {
				want.DuplicateGroups++
				want.RowsWithDuplicate += int64(c)
			}
		}
		if m.Content == nil || *m.Content != want {
			t.Fatalf("layout %+v: manifest counts %+v, want %+v", layout, m.Content, want)
		}
		if want.DuplicateGroups < 100 {
			t.Fatalf("only %d duplicated rows planted", want.DuplicateGroups)
		}
		if i > 0 {
			if fingerprint(m) != first {
				t.Fatalf("layout %+v: different bytes", layout)
			}
			continue
		}
		first = fingerprint(m)
		if !m.Options.GroupByContent || m.Options.ContentColumns != "" || !m.Options.Approx {
			t.Errorf("manifest options %+v", m.Options)
		}
		where := map[int64]int{}
		for s, info := range m.Splits {
			eachOutputRow(t, out, info, func(schema *parquet.Schema, row parquet.Row) {
				canon := make([][]byte, len(row))
				for k, v := range row {
					canon[k] = canonFromScratch(v)
				}
				if want := splitOfKey(groupKeyFromScratch("31", canon...), 0.8, 0.2); want != s {
					t.Fatalf("row %v in split %d, section 19 says %d", row, s, want)
				}
				id := row[0].Int64()
				if prev, ok := where[id]; ok && prev != s {
					t.Fatalf("copies of row %d in splits %d and %d", id, prev, s)
				}
				where[id] = s
			})
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), out, inputs); err != nil {
			t.Fatal(err)
		}
		byRows := filepath.Join(t.TempDir(), "rows")
		mr := runSplit(t, pipeline.SplitConfig{Inputs: inputs, Out: byRows, Seed: "31", Splits: splits, GroupByContent: true, ContentColumns: "id,text", RatioBy: pipeline.RatioByRows})
		if *mr.Content != want || mr.Options.ContentColumns != "id,text" {
			t.Errorf("--ratio-by rows: counts %+v, options %+v", mr.Content, mr.Options)
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), byRows, inputs); err != nil {
			t.Fatal(err)
		}
		fold := filepath.Join(t.TempDir(), "folds")
		if _, err := pipeline.KFold(t.Context(), pipeline.KFoldConfig{Inputs: inputs, Out: fold, Seed: "31", K: 3, GroupByContent: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), fold, inputs); err != nil {
			t.Fatal(err)
		}
		// A sample draws a duplicate with all its copies, about K rows.
		sample := filepath.Join(t.TempDir(), "sample")
		ms, err := pipeline.Sample(t.Context(), pipeline.SampleConfig{Inputs: inputs, Out: sample, Seed: "31", Rows: 700, GroupByContent: true})
		if err != nil {
			t.Fatal(err)
		}
		drawn := map[int64]int{}
		for _, id := range readColumn(t, sample, ms.Splits[0], "id") {
			drawn[id]++
		}
		for id, c := range drawn {
			if c != copies[id] {
				t.Fatalf("row %d drawn %d times, it has %d copies", id, c, copies[id])
			}
		}
		if rows := ms.Splits[0].Rows; rows < 700 || rows > 702 || ms.Options.RatioBy != pipeline.RatioByRows {
			t.Errorf("sample of %d rows (want 700 to 702: the last group whole), options %+v", rows, ms.Options)
		}
		if _, err := pipeline.VerifyWithInputs(t.Context(), sample, inputs); err != nil {
			t.Fatal(err)
		}
	}

	in := genInput(t, 500, 1, 100)
	for _, bad := range []pipeline.SplitConfig{
		{GroupByContent: true, ContentColumns: "nope"},
		{GroupByContent: true, ContentColumns: "id,id"},
		{GroupByContent: true, Group: "user_id"},
		{ContentColumns: "id"},
		{GroupByContent: true, Stratify: "label"},
		{GroupByContent: true, Splits: mustSizes(t, "a=10,b=20")},
		{GroupByContent: true, IndexOnly: true},
	} {
		bad.Inputs, bad.Out, bad.Seed = []string{in}, filepath.Join(t.TempDir(), "out"), "1"
		if _, err := pipeline.Split(t.Context(), bad); !errors.Is(err, pipeline.ErrUsage) {
			t.Errorf("%+v: err = %v, want a usage error", bad, err)
		}
	}
	// A repeated column is refused, by name, unless the columns are listed.
	type tagged struct {
		ID   int64   `parquet:"id"`
		Tags []int32 `parquet:"tags,list"`
	}
	lists := filepath.Join(t.TempDir(), "lists.parquet")
	if err := parquet.WriteFile(lists, []tagged{{1, []int32{1}}, {1, []int32{1}}, {2, nil}}); err != nil {
		t.Fatal(err)
	}
	_, err := pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: []string{lists}, Out: filepath.Join(t.TempDir(), "o"), Seed: "1", GroupByContent: true})
	if !errors.Is(err, pipeline.ErrUsage) || !strings.Contains(err.Error(), `"tags.list.element" is repeated`) {
		t.Errorf("repeated column: err = %v, want a usage error naming it", err)
	}
	m := runSplit(t, pipeline.SplitConfig{Inputs: []string{lists}, Seed: "1", GroupByContent: true, ContentColumns: "id"})
	if want := (pipeline.ContentStats{Groups: 2, DuplicateGroups: 1, RowsWithDuplicate: 2}); *m.Content != want {
		t.Errorf("listed columns: counts %+v, want %+v", *m.Content, want)
	}
}

// TestContentValueRules checks section 19's rules on values: -0.0 is 0.0,
// NaNs are equal, nulls are equal, floats are compared, not refused.
func TestContentValueRules(t *testing.T) {
	type row struct {
		F *float64 `parquet:"f,optional"`
		G float32  `parquet:"g"`
	}
	f := func(x float64) *float64 { return &x }
	nan := math.NaN()
	rows := []row{
		{f(0), 1}, {f(math.Copysign(0, -1)), 1}, // one group
		{f(nan), 2}, {f(-nan), 2}, // one group
		{nil, 3}, {nil, 3}, // one group
		{f(1), 4}, {f(1), float32(math.Copysign(0, -1))}, // two groups
	}
	in := filepath.Join(t.TempDir(), "floats.parquet")
	if err := parquet.WriteFile(in, rows); err != nil {
		t.Fatal(err)
	}
	m := runSplit(t, pipeline.SplitConfig{Inputs: []string{in}, Seed: "1", GroupByContent: true})
	if want := (pipeline.ContentStats{Groups: 5, DuplicateGroups: 3, RowsWithDuplicate: 6}); *m.Content != want {
		t.Errorf("counts %+v, want %+v", *m.Content, want)
	}
}
