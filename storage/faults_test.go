package storage_test

import (
	"bytes"
	"flag"
	"net/http"
	"testing"
	"time"

	"github.com/splitdata/splitdata/storage"
)

var faultSeed = flag.Uint64("fault-seed", 1, "seed of the faults TestFaults injects")

// TestFaults writes an output and reads it back through a transport that
// answers 503, holds back requests, drops connections and cuts response
// bodies short on a fraction of requests: every request is sent again
// until it goes through, and the bytes are those of a run without faults.
func TestFaults(t *testing.T) {
	eachStore(t, func(t *testing.T, f fixture) {
		ctx := t.Context()
		t.Logf("faults seeded with %d (rerun with -fault-seed=%d)", *faultSeed, *faultSeed)
		ft := newFaults(*faultSeed, http.DefaultTransport)
		opts := storage.Options{
			HTTPClient: &http.Client{Transport: ft},
			Retry:      storage.Retry{Attempts: 30, Base: time.Millisecond, Max: 20 * time.Millisecond},
			PartSize:   5 << 20, BlockSize: 128 << 10, ReadAhead: 1 << 20,
		}
		s := f.open(t, opts)
		want := files{
			"train/part-00000.parquet": pattern(40, 11<<20+3),
			"train/part-00001.parquet": pattern(41, 300000),
			"test/part-00000.parquet":  pattern(42, 17),
		}
		out, err := s.NewOutput(ctx, "faulty", storage.OutputOptions{})
		if err != nil {
			t.Fatal(err)
		}
		writeOutput(t, ctx, out, want)
		if err := out.Commit(ctx, []byte("manifest")); err != nil {
			t.Fatal(err)
		}
		clean := f.open(t, storage.Options{})
		checkOutput(t, clean, "faulty", want, "manifest")
		for name, b := range want {
			o, err := s.OpenObject(ctx, "faulty/"+name)
			if err != nil {
				t.Fatal(err)
			}
			// small sequential reads (blocks, read-ahead) then one big
			// read (parallel ranged GETs)
			got := make([]byte, 0, len(b))
			p := make([]byte, 10000)
			for off := 0; off < len(b); {
				n, err := o.ReadAt(p[:min(len(p), len(b)-off)], int64(off))
				if n == 0 {
					t.Fatalf("%s: no progress at %d: %v", name, off, err)
				}
				got = append(got, p[:n]...)
				off += n
			}
			if !bytes.Equal(got, b) {
				t.Fatalf("%s: small reads differ from what was written", name)
			}
			big := make([]byte, len(b))
			if n, err := o.ReadAt(big, 0); n != len(b) || (err != nil && n != len(b)) || !bytes.Equal(big, b) {
				t.Fatalf("%s: big read differs: %d bytes, %v", name, n, err)
			}
			o.Close()
		}
		if ft.injected.Load() == 0 || s.Stats().Retries.Load() == 0 {
			t.Fatalf("no fault injected (%d) or no retry made (%d): the test tests nothing", ft.injected.Load(), s.Stats().Retries.Load())
		}
		t.Logf("%d faults injected, %d retries", ft.injected.Load(), s.Stats().Retries.Load())
	})
}
