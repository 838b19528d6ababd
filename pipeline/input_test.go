package pipeline_test

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/splitdata/splitdata/internal/gendata"
	"github.com/splitdata/splitdata/pipeline"
	"github.com/splitdata/splitdata/sources"
)

// changedReader is data that says it changed since it was opened.
type changedReader struct{ *bytes.Reader }

func (changedReader) CheckUnchanged() error {
	return &sources.InputError{Path: "bucket/a.parquet", RowGroup: -1, Err: sources.ErrChanged}
}

// noReadAtFS serves files that cannot be read at an offset.
type noReadAtFS struct{ fstest.MapFS }

func (f noReadAtFS) Open(name string) (fs.File, error) {
	file, err := f.MapFS.Open(name)
	return struct{ fs.File }{file}, err
}

// TestSplitInputValues checks that inputs given as values (files of an
// fs.FS, io.ReaderAt data, opened sources) split into the bytes their
// files split into by path, and that their failures are reported.
func TestSplitInputValues(t *testing.T) {
	dir := t.TempDir()
	paths, err := gendata.Write(t.Context(), dir, gendata.Config{Rows: 5000, Files: 2, RowGroupRows: 700, Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	data := make([][]byte, len(paths))
	mapFS := fstest.MapFS{}
	for i, p := range paths {
		if data[i], err = os.ReadFile(p); err != nil {
			t.Fatal(err)
		}
		mapFS["in/"+filepath.Base(p)] = &fstest.MapFile{Data: data[i]}
	}
	opts := pipeline.JobOptions{RowsPerFile: 1500, RowGroupRows: 500, Workers: 2}
	split := func(t *testing.T, inputs []string, more []pipeline.Input) (*pipeline.Manifest, error) {
		o := opts
		o.Sources = more
		return pipeline.Split(t.Context(), pipeline.SplitConfig{Inputs: inputs, Out: filepath.Join(t.TempDir(), "out"), Seed: "5", JobOptions: o})
	}
	want, err := split(t, []string{dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	dirFS, err := pipeline.FSInputs(os.DirFS(dir), "*.parquet")
	if err != nil {
		t.Fatal(err)
	}
	mapInputs, err := pipeline.FSInputs(mapFS, "in/*.parquet")
	if err != nil {
		t.Fatal(err)
	}
	src, err := sources.OpenParquet("second.parquet", bytes.NewReader(data[1]), int64(len(data[1])))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		inputs []string
		more   []pipeline.Input
	}{
		{"os.DirFS", nil, dirFS},
		{"fstest.MapFS", nil, mapInputs},
		{"ReaderAt", nil, []pipeline.Input{
			pipeline.ReaderAtInput("a.parquet", bytes.NewReader(data[0]), int64(len(data[0]))),
			pipeline.ReaderAtInput("b.parquet", bytes.NewReader(data[1]), int64(len(data[1])))}},
		{"path then source", paths[:1], []pipeline.Input{pipeline.SourceInput(src)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := split(t, tc.inputs, tc.more)
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Inputs) != 2 || m.Inputs[1].Path == "" {
				t.Fatalf("manifest inputs %+v", m.Inputs)
			}
			for s := range want.Splits {
				for f := range want.Splits[s].Files {
					if got, w := m.Splits[s].Files[f].SHA256, want.Splits[s].Files[f].SHA256; got != w {
						t.Errorf("%s: SHA-256 %s, by path %s", m.Splits[s].Files[f].Path, got, w)
					}
				}
			}
		})
	}

	for _, tc := range []struct {
		name string
		more []pipeline.Input
		is   error
	}{
		{"changed", []pipeline.Input{pipeline.ReaderAtInput("bucket/a.parquet", changedReader{bytes.NewReader(data[0])}, int64(len(data[0])))}, sources.ErrChanged},
		{"no ReadAt", []pipeline.Input{pipeline.FSInput(noReadAtFS{mapFS}, "in/"+filepath.Base(paths[0]))}, sources.ErrUnsupported},
		{"zero Input", []pipeline.Input{{}}, pipeline.ErrUsage},
		{"short data", []pipeline.Input{pipeline.ReaderAtInput("a.parquet", bytes.NewReader(data[0][:100]), 100)}, sources.ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := split(t, nil, tc.more)
			if !errors.Is(err, tc.is) {
				t.Fatalf("error %v, want one wrapping %v", err, tc.is)
			}
		})
	}
	t.Run("plan", func(t *testing.T) {
		_, err := pipeline.CreatePlan(t.Context(), pipeline.SplitConfig{Out: filepath.Join(t.TempDir(), "out"), Seed: "5", JobOptions: pipeline.JobOptions{Sources: dirFS}}, 2)
		if !errors.Is(err, pipeline.ErrUsage) {
			t.Fatalf("plan of value inputs: error %v, want ErrUsage", err)
		}
	})
}
