package sources_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/sources"
)

// TestFormatHint: a file that fails to open in its extension's format (or
// --input-format's) gets what its bytes look like and the --input-format
// that reads them added to its error, when they clearly belong to another
// format; the error still names the file and keeps its class.
func TestFormatHint(t *testing.T) {
	pq := tinyParquet(t)
	arrowFile := append([]byte("ARROW1\x00\x00"), bytes.Repeat([]byte{0xfe}, 64)...)
	arrowStream := append([]byte{0xff, 0xff, 0xff, 0xff, 16, 0, 0, 0}, bytes.Repeat([]byte{0xfe}, 64)...)
	for _, tc := range []struct {
		name   string
		data   []byte
		format string // --input-format, "" for the extension's
		want   string // the hint, "" for none
	}{
		{"a.csv", pq, "", "; the file looks like Parquet (PAR1 at both ends): read it with --input-format parquet"},
		{"a.jsonl", pq, "", "--input-format parquet"},
		{"a.arrow", pq, "", "--input-format parquet"},
		{"a.dat", pq, sources.FormatCSV, "--input-format parquet"},
		{"b.parquet", []byte("id,name\n1,a\n2,b\n"), "", "; the file looks like CSV (text): read it with --input-format csv"},
		{"short.parquet", []byte("a\n1\n"), "", "--input-format csv"},
		{"c.parquet", []byte("{\"id\": 1}\n{\"id\": 2}\n"), "", "looks like JSON Lines (text starting with {): read it with --input-format jsonl"},
		{"d.parquet", arrowFile, "", "looks like Arrow IPC (ARROW1 at its start): read it with --input-format arrow"},
		{"e.csv", arrowFile, "", "--input-format arrow"},
		{"f.parquet", arrowStream, "", "looks like Arrow IPC (an IPC stream's continuation marker at its start)"},
		{"g.arrow", []byte("id,name\n1,a\n"), "", "--input-format csv"},
		// No clear mark: no hint.
		{"truncated.parquet", pq[:100], "", ""},
		{"binary.parquet", []byte("\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c"), "", ""},
		// Text failing as CSV or JSON Lines is just bad text.
		{"bad.jsonl", []byte("id,name\n1,a\n"), "", ""},
	} {
		dir := t.TempDir()
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, tc.data, 0o644); err != nil {
			t.Fatal(err)
		}
		opts := sources.Options{Format: tc.format}
		_, ferr := sources.Open(path, opts)
		_, rerr := sources.OpenReaderAt(tc.name, bytes.NewReader(tc.data), int64(len(tc.data)), opts)
		for what, err := range map[string]error{"Open": ferr, "OpenReaderAt": rerr} {
			var ie *sources.InputError
			switch {
			case err == nil:
				t.Errorf("%s, %s: opened", tc.name, what)
			case !errors.As(err, &ie) || !strings.HasSuffix(ie.Path, tc.name):
				t.Errorf("%s, %s: err = %v, want an InputError naming the file", tc.name, what, err)
			case !errors.Is(err, sources.ErrCorrupt) && !errors.Is(err, sources.ErrUnsupported):
				t.Errorf("%s, %s: err = %v, want ErrCorrupt or ErrUnsupported", tc.name, what, err)
			case tc.want == "" && strings.Contains(err.Error(), "looks like"):
				t.Errorf("%s, %s: err = %v, want no hint", tc.name, what, err)
			case !strings.Contains(err.Error(), tc.want):
				t.Errorf("%s, %s: err = %v, want %q in it", tc.name, what, err, tc.want)
			}
		}
	}
}
