// Package examples_test builds and runs the example programs, so that they
// keep compiling and printing what they print (make test runs it).
package examples_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

// maxLines is the most lines an example's main.go may have: an example
// longer than this is not small any more.
const maxLines = 39

func TestExamples(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command to build the examples with")
	}
	bin := t.TempDir()
	build := exec.CommandContext(t.Context(), goBin, "build", "-o", bin, "./dirsplit", "./streamsplit", "./numpyrng")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// input writes a directory of one Parquet file of n rows.
	input := func(n int) string {
		in := t.TempDir()
		type row struct {
			ID int64 `parquet:"id"`
		}
		rows := make([]row, n)
		for i := range rows {
			rows[i].ID = int64(i)
		}
		if err := parquet.WriteFile(filepath.Join(in, "part-0.parquet"), rows); err != nil {
			t.Fatal(err)
		}
		return in
	}

	for _, tc := range []struct {
		name, prog string
		args       []string
		want       string
	}{
		{"dirsplit", "dirsplit", []string{input(1000), filepath.Join(t.TempDir(), "out")}, "train: 800 rows in 1 file\nvalid: 100 rows in 1 file\ntest: 100 rows in 1 file\n"},
		// Singular and plural as the counts fall: 8, 1 and 1 rows.
		{"dirsplit/10rows", "dirsplit", []string{input(10), filepath.Join(t.TempDir(), "out")}, "train: 8 rows in 1 file\nvalid: 1 row in 1 file\ntest: 1 row in 1 file\n"},
		{"streamsplit", "streamsplit", nil, "train 80000 rows, test 20000 rows\n"},
		// The NumPy outputs of the Python lines in numpyrng/main.go.
		{"numpyrng", "numpyrng", nil, "0xc621fbcd16d92688\n0.7739560485559633 6\n0x68b118d32b1984fa\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(tc.prog, "main.go"))
			if err != nil {
				t.Fatal(err)
			}
			if n := bytes.Count(src, []byte("\n")); n > maxLines {
				t.Errorf("%s/main.go has %d lines, want at most %d", tc.prog, n, maxLines)
			}
			out, err := exec.CommandContext(t.Context(), filepath.Join(bin, tc.prog), tc.args...).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v\n%s", tc.prog, err, out)
			}
			if string(out) != tc.want {
				t.Errorf("%s %v printed\n%s\nwant\n%s", tc.prog, tc.args, out, tc.want)
			}
		})
	}
}
