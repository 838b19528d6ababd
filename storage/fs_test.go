package storage_test

import (
	"errors"
	"io"
	"io/fs"
	"reflect"
	"testing"
	"testing/fstest"

	"github.com/splitdata/splitdata/storage"
)

// TestFS checks a prefix as an fs.FS with the standard library's checker,
// on S3 and GCS: names, directories, reads, seeks, ReadDir and Stat.
func TestFS(t *testing.T) {
	for _, mk := range []func(*testing.T) fixture{s3Fixture, gcsFixture} {
		f := mk(t)
		t.Run(f.name, func(t *testing.T) {
			files := map[string]string{
				"out/manifest.json":            "{}",
				"out/train/part-00000.parquet": "train rows",
				"out/test/part-00000.parquet":  "test rows",
				"out/test/deep/x":              "deeper",
				"outside":                      "not under the prefix",
			}
			for k, v := range files {
				f.put(t, k, []byte(v))
			}
			s := f.open(t, storage.Options{})
			fsys := s.FS(t.Context(), "out")
			if err := fstest.TestFS(fsys, "manifest.json", "train/part-00000.parquet", "test/part-00000.parquet", "test/deep/x"); err != nil {
				t.Fatal(err)
			}
			b, err := fs.ReadFile(fsys, "test/deep/x")
			if err != nil || string(b) != "deeper" {
				t.Fatalf("ReadFile: %q, %v", b, err)
			}
			file, err := fsys.Open("train/part-00000.parquet")
			if err != nil {
				t.Fatal(err)
			}
			defer file.Close()
			buf := make([]byte, 4)
			if n, err := file.(io.ReaderAt).ReadAt(buf, 6); n != 4 || string(buf) != "rows" || (err != nil && err != io.EOF) {
				t.Errorf("ReadAt: %d %q %v", n, buf, err)
			}
			if _, err := fsys.Open("nothing"); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("Open of a missing name: %v, want fs.ErrNotExist", err)
			}
		})
	}
}

// TestOpenListed reads objects opened from a listing (the identity the
// listing gives, not a HEAD's): Azure lists ETags bare and answers GETs
// with them quoted, which once failed every such read as a change.
func TestOpenListed(t *testing.T) {
	for _, mk := range []func(*testing.T) fixture{s3Fixture, gcsFixture, azureFixture} {
		t.Run(fixtureName(mk), func(t *testing.T) {
			f := mk(t)
			f.put(t, "in/a.bin", []byte("listed then read"))
			s := f.open(t, storage.Options{})
			infos, err := s.List(t.Context(), "in/")
			if err != nil || len(infos) != 1 {
				t.Fatalf("List: %v, %v", infos, err)
			}
			o := s.OpenInfo(t.Context(), infos[0])
			defer o.Close()
			buf := make([]byte, o.Size())
			if _, err := o.ReadAt(buf, 0); err != nil && err != io.EOF {
				t.Fatalf("read of a listed object: %v", err)
			}
			if string(buf) != "listed then read" {
				t.Errorf("read %q", buf)
			}
			if err := o.CheckUnchanged(t.Context()); err != nil {
				t.Errorf("CheckUnchanged of a listed object: %v", err)
			}
		})
	}
}

// fixtureName names a fixture maker before it runs (Azure's may skip).
func fixtureName(mk func(*testing.T) fixture) string {
	switch reflect.ValueOf(mk).Pointer() {
	case reflect.ValueOf(s3Fixture).Pointer():
		return "s3"
	case reflect.ValueOf(gcsFixture).Pointer():
		return "gcs"
	}
	return "azure"
}
