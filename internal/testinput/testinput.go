// Package testinput writes the small Parquet inputs that the tests of
// several packages build: rows of a Go type in one file or cut into files
// and row groups, or parquet.Rows of a schema. Every writer and file is
// closed and its error checked, so a test never reads a file cut short.
//
// It is for tests only: each function takes the test's testing.TB and
// stops the test (t.Fatal) on any error. Outputs go under t.TempDir() or a
// path the test chose.
package testinput

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// Parquet writes rows, in the schema of their type T, to a new Parquet
// file at path, making its directory if missing. opts go to the writer,
// e.g. parquet.MaxRowsPerRowGroup.
func Parquet[T any](t testing.TB, path string, rows []T, opts ...parquet.WriterOption) {
	t.Helper()
	f := create(t, path)
	defer f.Close()
	w := parquet.NewGenericWriter[T](f, opts...)
	if _, err := w.Write(rows); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	closeAll(t, path, w, f)
}

// Parts writes n rows, row(i) for i from 0 to n-1 in order, into a new
// directory "in" under t.TempDir() as part-000.parquet, part-001.parquet,
// ... of rowsPerFile rows each (the last may hold fewer), and returns the
// directory. opts go to every file's writer. n = 0 gives an empty
// directory; rowsPerFile must be positive.
func Parts[T any](t testing.TB, n, rowsPerFile int, row func(i int) T, opts ...parquet.WriterOption) string {
	t.Helper()
	if rowsPerFile <= 0 {
		t.Fatalf("testinput.Parts: %d rows per file, want > 0", rowsPerFile)
	}
	dir := filepath.Join(t.TempDir(), "in")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rows := make([]T, 0, min(n, rowsPerFile))
	for f := 0; f*rowsPerFile < n; f++ {
		rows = rows[:0]
		for i := f * rowsPerFile; i < min(n, (f+1)*rowsPerFile); i++ {
			rows = append(rows, row(i))
		}
		Parquet(t, filepath.Join(dir, fmt.Sprintf("part-%03d.parquet", f)), rows, opts...)
	}
	return dir
}

// Rows writes rows of schema to a new Parquet file at path, making its
// directory if missing. opts go to the writer.
func Rows(t testing.TB, path string, schema *parquet.Schema, rows []parquet.Row, opts ...parquet.WriterOption) {
	t.Helper()
	f := create(t, path)
	defer f.Close()
	w := parquet.NewWriter(f, append([]parquet.WriterOption{schema}, opts...)...)
	if _, err := w.WriteRows(rows); err != nil {
		t.Fatalf("write %s: %v", path, err)
	}
	closeAll(t, path, w, f)
}

// create makes a new file at path, and its directory if missing.
func create(t testing.TB, path string) *os.File {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// closer is a writer or a file.
type closer interface{ Close() error }

// closeAll closes the writer, then the file, failing the test on the first
// error: the writer's Close writes the footer, the file's reports what the
// system lost.
func closeAll(t testing.TB, path string, w, f closer) {
	t.Helper()
	if err := w.Close(); err != nil {
		t.Fatalf("close writer of %s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("close %s: %v", path, err)
	}
}
