package splitbeam

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/passert"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/prng"
	"github.com/splitdata/splitdata/splitter"
)

// genRow is a row of `splitdata gen`, less the columns a test does not
// need (parquet-go reads the named ones).
type genRow struct {
	ID     int64  `parquet:"id"`
	UserID int64  `parquet:"user_id"`
	Label  string `parquet:"label"`
	Text   string `parquet:"text"`
}

// oddRow has a key of each kind the CLI groups by, nulls included.
type oddRow struct {
	ID    int64   `parquet:"id"`
	Name  *string `parquet:"name,optional"`
	Small int8    `parquet:"small"`
	Big   uint64  `parquet:"big"`
	Word  uint32  `parquet:"word"`
	Flag  bool    `parquet:"flag"`
	Blob  []byte  `parquet:"blob"`
}

func init() {
	beam.RegisterType(reflect.TypeFor[genRow]())
	beam.RegisterType(reflect.TypeFor[oddRow]())
}

// readRows reads every row of the Parquet files under dir (or the file
// dir), in path order.
func readRows[T any](t *testing.T, dir string) []T {
	t.Helper()
	var paths []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(path) == ".parquet" {
			paths = append(paths, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	var rows []T
	for _, path := range paths {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		r := parquet.NewGenericReader[T](f)
		buf := make([]T, 1024)
		for {
			n, err := r.Read(buf)
			rows = append(rows, buf[:n]...)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("read %s: %v", path, err)
			}
		}
		r.Close()
		f.Close()
	}
	return rows
}

// oddRows writes n rows with keys of every kind to dir/odd.parquet.
func oddRows(t *testing.T, dir string, n int) {
	t.Helper()
	rows := make([]oddRow, n)
	for i := range rows {
		r := oddRow{
			ID:    int64(i),
			Small: int8(i%7 - 3),
			Big:   uint64(i%11) << 60, // some beyond MaxInt64
			Word:  uint32(i%13) << 28, // some beyond MaxInt32
			Flag:  i%3 == 0,
			Blob:  []byte{byte(i % 17), 0xff},
		}
		if i%5 != 0 {
			name := fmt.Sprintf("n%d", i%23)
			r.Name = &name
		}
		rows[i] = r
	}
	f, err := os.Create(filepath.Join(dir, "odd.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[oddRow](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSplitMatchesCLI checks, on Prism, that Split puts every row in the
// split `splitdata split --group` puts it in: each split's PCollection
// holds exactly the rows of the CLI's split directory.
func TestSplitMatchesCLI(t *testing.T) {
	dir := t.TempDir()
	gen := filepath.Join(dir, "gen")
	run(t, "gen", "--rows", "20000", "--files", "3", "--row-group-rows", "4096", "--seed", "3", "--out", gen, "-q")
	odd := filepath.Join(dir, "odd")
	if err := os.Mkdir(odd, 0o755); err != nil {
		t.Fatal(err)
	}
	oddRows(t, odd, 3000)

	splits, err := splitter.ParseRatios("train=0.7,valid=0.2,test=0.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, input, key, seed string
		rows                   func(t *testing.T, dir string) []any
	}{
		{"int64", gen, "user_id", "42", rowsOf[genRow]},
		{"dictionary string", gen, "label", "text seed", rowsOf[genRow]},
		{"nullable string", odd, "name", "7", rowsOf[oddRow]},
		{"int8", odd, "small", "7", rowsOf[oddRow]},
		{"uint64", odd, "big", "7", rowsOf[oddRow]},
		{"uint32", odd, "word", "7", rowsOf[oddRow]},
		{"bool", odd, "flag", "7", rowsOf[oddRow]},
		{"bytes", odd, "blob", "7", rowsOf[oddRow]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "cli")
			run(t, "split", tt.input, "--out", out, "--seed", tt.seed, "--ratios", "train=0.7,valid=0.2,test=0.1", "--group", tt.key, "-q")
			p, s, rows := ptest.CreateList(tt.rows(t, tt.input))
			parts, err := TrySplit(s, KeyedConfig{Seed: prng.Seed(tt.seed), Splits: splits, Key: tt.key}, rows)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for j, sp := range splits {
				want := tt.rows(t, filepath.Join(out, sp.Name))
				total += len(want)
				passert.Equals(s, parts[j], want...)
			}
			if total == 0 {
				t.Fatal("the CLI wrote no rows")
			}
			ptest.RunAndValidate(t, p)
		})
	}
}

// rowsOf reads the rows under dir as values of T, boxed.
func rowsOf[T any](t *testing.T, dir string) []any {
	rows := readRows[T](t, dir)
	out := make([]any, len(rows))
	for i, r := range rows {
		out[i] = r
	}
	return out
}

func TestSplitRefuses(t *testing.T) {
	ratios := []splitter.Split{{Name: "a", Ratio: 0.5}, {Name: "b", Ratio: 0.5}}
	type row struct {
		Key  float64
		Next *struct{ Inner []string }
	}
	tests := []struct {
		name string
		cfg  KeyedConfig
	}{
		{"no seed", KeyedConfig{Splits: ratios, Key: "Key"}},
		{"row counts", KeyedConfig{Seed: "1", Splits: []splitter.Split{{Name: "a", Rows: 10}, {Name: "b", Ratio: 0.5}}, Key: "Key"}},
		{"bad ratios", KeyedConfig{Seed: "1", Splits: []splitter.Split{{Name: "a", Ratio: 0.5}}, Key: "Key"}},
		{"no key", KeyedConfig{Seed: "1", Splits: ratios}},
		{"no such field", KeyedConfig{Seed: "1", Splits: ratios, Key: "Nope"}},
		{"float key", KeyedConfig{Seed: "1", Splits: ratios, Key: "Key"}},
		{"repeated key", KeyedConfig{Seed: "1", Splits: ratios, Key: "Next.Inner"}},
		{"through a non-struct", KeyedConfig{Seed: "1", Splits: ratios, Key: "Key.x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s := beam.NewPipelineWithRoot()
			col := beam.CreateList(s, []row{{}})
			if _, err := TrySplit(s, tt.cfg, col); !errors.Is(err, splitter.ErrUsage) {
				t.Fatalf("error %v, want one wrapping ErrUsage", err)
			}
		})
	}
}

func TestKeyValueNullPaths(t *testing.T) {
	type inner struct{ K *int64 }
	type row struct{ In *inner }
	path, err := keyPath(reflect.TypeFor[row](), "In.K")
	if err != nil {
		t.Fatal(err)
	}
	seven := int64(7)
	tests := []struct {
		name string
		row  row
		want string
	}{
		{"nil struct", row{}, "\x00"},
		{"nil leaf", row{In: &inner{}}, "\x00"},
		{"value", row{In: &inner{K: &seven}}, "\x017"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(groupBytes(nil, keyValue(reflect.ValueOf(tt.row), path))); got != tt.want {
				t.Fatalf("canonical bytes %q, want %q", got, tt.want)
			}
		})
	}
}
