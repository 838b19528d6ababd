package lint_test

import (
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/splitdata/splitdata"

// allowed lists, per package, the imports beyond the standard library it may
// have (a prefix matches the path and the packages below it): the import
// graph of docs/architecture.md. prng and splitter do no I/O and know no file
// format; sources and sinks know nothing of splits.
var allowed = map[string][]string{
	"prng":              nil,
	"splitter":          {module + "/prng"},
	"internal/columnar": {"github.com/parquet-go/parquet-go"},
	"internal/rowcheck": {"github.com/parquet-go/parquet-go"},
	"internal/gendata":  {"github.com/parquet-go/parquet-go", "github.com/apache/arrow-go/v18", "golang.org/x/sync"},
	// testinput writes the small inputs of tests; no library package
	// imports it.
	"internal/testinput": {"github.com/parquet-go/parquet-go"},
	// staging publishes directories and knows nothing of splits or
	// formats.
	"internal/staging":  {"golang.org/x/sys"},
	"internal/filemeta": nil,
	// extsort orders keyed rows through temporary files; it knows nothing
	// of splits or output formats.
	"internal/extsort": {"github.com/parquet-go/parquet-go", module + "/internal/scratch"},
	// scratch holds temporary files, locally through staging's locked
	// directories.
	"internal/scratch": {module + "/internal/staging"},
	// scratchtest is the tests every scratch.Dir passes; tests import it.
	"internal/scratch/scratchtest": {module + "/internal/scratch"},
	"sources": {"github.com/parquet-go/parquet-go", "github.com/apache/arrow-go/v18",
		"github.com/klauspost/compress", "github.com/andybalholm/brotli", "github.com/pierrec/lz4/v4",
		module + "/internal/columnar", module + "/internal/rowcheck", module + "/internal/filemeta"},
	"sinks": {"github.com/parquet-go/parquet-go", "github.com/apache/arrow-go/v18", "github.com/klauspost/compress",
		module + "/internal/columnar", module + "/internal/rowcheck", module + "/internal/filemeta"},
	"pipeline": {"github.com/parquet-go/parquet-go", "github.com/apache/arrow-go/v18", "golang.org/x/sync",
		module + "/prng", module + "/splitter", module + "/sources", module + "/sinks", module + "/internal/columnar",
		module + "/internal/staging", module + "/internal/extsort", module + "/internal/scratch",
		// sync_file_range and fadvise, for writing output files behind.
		"golang.org/x/sys"},
	// The image builder writes the OCI layout with the standard library.
	"tools/ociimage": nil,
	// report reads outputs through sources and their manifests through
	// pipeline; pipeline knows nothing of it (a job calls it through
	// JobOptions.Attach).
	// storage reaches object stores through each cloud's SDK; it knows
	// nothing of splits or formats.
	"storage": {"github.com/aws/aws-sdk-go-v2", "github.com/aws/smithy-go", "cloud.google.com/go/storage", "google.golang.org/api",
		"github.com/Azure/azure-sdk-for-go", module + "/splitter", "golang.org/x/sync",
		module + "/internal/scratch"},
	"report": {"github.com/parquet-go/parquet-go", "github.com/axiomhq/hyperloglog", "github.com/dgryski/go-metro", "golang.org/x/sync",
		module + "/pipeline", module + "/splitter", module + "/sources", module + "/internal/columnar"},
}

// TestImports fails on an import a package may not have (tests may import
// more: they are not part of the graph), and on a library package the
// table does not list.
func TestImports(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(here), "..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != "." {
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // a nested module (beam/): not this module's packages
			}
		}
		if strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || rel == "cmd" || strings.HasPrefix(rel, "cmd/") || rel == "examples" || strings.HasPrefix(rel, "examples/") || rel == "internal/lint" {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if _, err := build.ImportDir(path, 0); err == nil {
			if _, listed := allowed[rel]; !listed {
				t.Errorf("package %s is not in the import table of this test: add its allowed imports", rel)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir, ok := range allowed {
		p, err := build.ImportDir(filepath.Join(root, filepath.FromSlash(dir)), 0)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		for _, imp := range p.Imports {
			first, _, _ := strings.Cut(imp, "/")
			if !strings.Contains(first, ".") {
				continue // the standard library
			}
			if !slices.ContainsFunc(ok, func(prefix string) bool { return imp == prefix || strings.HasPrefix(imp, prefix+"/") }) {
				t.Errorf("%s imports %s, which docs/architecture.md does not allow it", dir, imp)
			}
		}
	}
}
