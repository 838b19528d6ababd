package sources_test

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sources"
)

func TestInputErrorFormat(t *testing.T) {
	base := fmt.Errorf("%w: bad page", sources.ErrCorrupt)
	for _, tc := range []struct {
		err  sources.InputError
		want string
	}{
		{sources.InputError{Path: "a.parquet", RowGroup: -1, Err: base}, "a.parquet: corrupt input: bad page"},
		{sources.InputError{Path: "a.parquet", RowGroup: 3, Err: base}, "a.parquet: row group 3: corrupt input: bad page"},
		{sources.InputError{Path: "a.parquet", RowGroup: 3, Column: "x.y", Err: base}, `a.parquet: row group 3, column "x.y": corrupt input: bad page`},
		{sources.InputError{Path: "a.parquet", RowGroup: -1, Column: "x", Err: base}, `a.parquet: column "x": corrupt input: bad page`},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
		if !errors.Is(&tc.err, sources.ErrCorrupt) {
			t.Errorf("%q does not wrap ErrCorrupt", tc.want)
		}
	}
}

func TestSchemaDiff(t *testing.T) {
	type A struct {
		ID    int64  `parquet:"id"`
		Label string `parquet:"label"`
	}
	type B struct {
		ID    int64 `parquet:"id"`
		Label int64 `parquet:"label"`
	}
	type C struct {
		ID int64 `parquet:"id"`
	}
	type D struct {
		ID    int64   `parquet:"id"`
		Label *string `parquet:"label,optional"`
	}
	a := parquet.SchemaOf(A{})
	for _, tc := range []struct {
		name string
		b    *parquet.Schema
		want string // "" for equal
	}{
		{"equal", parquet.SchemaOf(A{}), ""},
		{"type", parquet.SchemaOf(B{}), `column "label"`},
		{"missing column", parquet.SchemaOf(C{}), "label"},
		{"repetition", parquet.SchemaOf(D{}), `column "label"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := sources.SchemaDiff(a, tc.b)
			if tc.want == "" && got != "" || tc.want != "" && !bytes.Contains([]byte(got), []byte(tc.want)) {
				t.Fatalf("SchemaDiff = %q, want %q", got, tc.want)
			}
		})
	}
}

// tinyParquet returns a small valid Parquet file with nulls, strings and a
// repeated column, in two row groups.
func tinyParquet(t testing.TB) []byte {
	type row struct {
		ID   int64    `parquet:"id"`
		Name *string  `parquet:"name,optional"`
		Tags []string `parquet:"tags,list"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[row](&buf, parquet.MaxRowsPerRowGroup(3))
	name := "n"
	rows := []row{{1, &name, []string{"a", "b"}}, {2, nil, nil}, {3, &name, []string{"c"}}, {4, nil, []string{}}, {5, &name, []string{"d", "e", "f"}}}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadRowGroups(t *testing.T) {
	b := tinyParquet(t)
	p, err := sources.OpenParquet("tiny.parquet", bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if p.NumRows() != 5 || p.NumRowGroups() != 2 {
		t.Fatalf("%d rows in %d row groups, want 5 in 2", p.NumRows(), p.NumRowGroups())
	}
	var ids []int64
	for rg := range p.NumRowGroups() {
		err := p.ReadRowGroup(t.Context(), rg, 2, func(rows []parquet.Row) error {
			for _, r := range rows {
				ids = append(ids, r[0].Int64())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if fmt.Sprint(ids) != "[1 2 3 4 5]" {
		t.Fatalf("ids %v", ids)
	}
	if err := p.ReadRowGroup(t.Context(), 2, 2, func([]parquet.Row) error { return nil }); err == nil {
		t.Fatal("row group 2 of 2: no error")
	}
}

func TestOpenParquetFileRejectsNonParquet(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{
		"empty.parquet":     {},
		"text.parquet":      []byte("id,name\n1,a\n"),
		"truncated.parquet": tinyParquet(t)[:100],
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, content, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := sources.OpenParquetFile(path)
		var ie *sources.InputError
		if !errors.As(err, &ie) || ie.Path != path {
			t.Errorf("%s: err = %v, want an InputError naming the file", name, err)
		}
	}
	if _, err := sources.OpenParquetFile(dir); err == nil {
		t.Error("a directory opened as Parquet")
	}
}

// FuzzOpenAndRead feeds damaged Parquet files to the reader: it may refuse
// them, but only with an InputError, and never panic or hang. Opening may
// allocate no more than the footer check allows for a footer of that size,
// whatever the footer claims.
func FuzzOpenAndRead(f *testing.F) {
	good := tinyParquet(f)
	f.Add(good)
	f.Add(good[:len(good)-9])
	flipped := bytes.Clone(good)
	flipped[len(flipped)/3] ^= 0xff
	f.Add(flipped)
	f.Add(flatParquet(f)) // no repeated fields: ReadBatch decodes it
	// Many small pages and an offset index: ranges read from it.
	f.Add(writeWide(f, wideRows(60, 2), nil, parquet.PageBufferSize(64)))
	f.Add(parquetFile(footerSpec{leaves: 2, depth: 3, rowGroups: 2, kv: 1}.write()))
	hostile := hostileFiles()
	for _, name := range slices.Sorted(maps.Keys(hostile)) {
		if b := hostile[name]; len(b) < 1<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		// runtime/metrics, unlike ReadMemStats, does not stop the world.
		allocs := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
		metrics.Read(allocs)
		before := allocs[0].Value.Uint64()
		p, err := sources.OpenParquet("fuzz.parquet", bytes.NewReader(b), int64(len(b)))
		metrics.Read(allocs)
		// Each footer byte may stand for a schema element or column chunk
		// (under 2 KiB decoded, see TestFooterMemoryEstimate).
		if got, limit := allocs[0].Value.Uint64()-before, uint64(1<<20+len(b)<<11); got > limit {
			t.Fatalf("opening %d bytes allocated %d, more than %d", len(b), got, limit)
		}
		if err != nil {
			var ie *sources.InputError
			if !errors.As(err, &ie) {
				t.Fatalf("open: error is not an InputError: %v", err)
			}
			return
		}
		if p.NumRows() > 1<<20 {
			return // a damaged footer may promise many rows; reading them proves nothing more
		}
		for _, c := range p.Columns() {
			// A footer may also claim chunks of up to MaxColumnChunkBytes,
			// which the decoder then allocates: legitimate for real files,
			// but a few such inputs exhaust a fuzzing worker's memory.
			if c.UncompressedBytes > 16<<20 {
				return
			}
		}
		for rg := range p.NumRowGroups() {
			err := p.ReadRowGroup(t.Context(), rg, 64, func([]parquet.Row) error { return nil })
			var ie *sources.InputError
			if err != nil && !errors.As(err, &ie) {
				t.Fatalf("read: error is not an InputError: %v", err)
			}
			// The columnar decoder refuses at least what the row path
			// refuses, and else reads the same rows.
			compareRowGroup(t, p, rg)
			// A range inside the row group, found by its offset index
			// or its page headers: refused only with an InputError.
			if n := p.RowGroupNumRows(rg); n >= 3 {
				_, err := p.ReadBatchRangeInto(t.Context(), rg, 1, n-2, nil)
				if err != nil && !errors.As(err, &ie) {
					t.Fatalf("read a range as a batch: error is not an InputError: %v", err)
				}
				err = p.ReadRowGroupRange(t.Context(), rg, 1, n-2, 64, func([]parquet.Row) error { return nil })
				if err != nil && !errors.As(err, &ie) {
					t.Fatalf("read a range: error is not an InputError: %v", err)
				}
				if _, err := p.PageStarts(rg); err != nil && !errors.As(err, &ie) {
					t.Fatalf("page starts: error is not an InputError: %v", err)
				}
			}
		}
	})
}
