package sources_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go/format"
)

var updateHostilePages = flag.Bool("update-hostile-pages", false, "rewrite the crafted page files of cmd/splitdata/testdata/hostile")

// hostilePageFiles are the files hostile_pages.txtar runs splitdata on,
// the bombs of issue 23's case 8: a txtar cannot hold binary files, so
// they are committed, and made here.
func hostilePageFiles(t *testing.T) map[string][]byte {
	zstdBomb := func(n int64) []byte {
		var out bytes.Buffer
		w, err := zstd.NewWriter(&out, zstd.WithEncoderLevel(zstd.SpeedBestCompression))
		if err != nil {
			t.Fatal(err)
		}
		return squeeze(n, &out, w)
	}
	gzipBomb := func(n int64) []byte {
		var out bytes.Buffer
		w, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
		if err != nil {
			t.Fatal(err)
		}
		return squeeze(n, &out, w)
	}
	return map[string][]byte{
		"page-zstd-2g.parquet":  withCodec(t, format.Zstd, format.DataPageV2, zstdBomb(2<<30)),
		"page-gzip-64m.parquet": withCodec(t, format.Gzip, format.DataPage, gzipBomb(64<<20)),
	}
}

func TestHostilePageFiles(t *testing.T) {
	dir := filepath.Join("..", "cmd", "splitdata", "testdata", "hostile")
	for name, want := range hostilePageFiles(t) {
		path := filepath.Join(dir, name)
		if *updateHostilePages {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./sources -run TestHostilePageFiles -update-hostile-pages writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the test makes (go test ./sources -run TestHostilePageFiles -update-hostile-pages rewrites it)", path)
		}
		if errs, _ := readEachWay(t, name, got); errs[0] == nil || errs[1] == nil || errs[2] == nil {
			t.Errorf("%s read: %v", name, errs)
		}
	}
}
