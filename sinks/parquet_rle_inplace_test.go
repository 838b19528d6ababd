package sinks_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/splitdata/splitdata/sinks"
)

// TestIndexRunsInPlace checks that the dictionary indexes of a row group
// that owns its buffer are re-encoded in that buffer, not into a second
// one of the row group's size (the most the row path held at once), and
// that in place or into a copy, with its pages re-encoded aside or again
// where they go, the bytes are those of a row group encoded with the
// re-encoded indexes from the start.
func TestIndexRunsInPlace(t *testing.T) {
	for _, n := range []int{1, 200, 5000, 20000} {
		for _, v := range []struct {
			copied bool
			aside  int // bound of the pages re-encoded aside; -1: the default
		}{{false, -1}, {true, -1}, {false, 0}, {false, 3000}, {true, 0}} {
			copied := v.copied
			t.Run(fmt.Sprintf("rows=%d/copied=%v/aside=%d", n, copied, v.aside), func(t *testing.T) {
				schema, rows := clusteredInput(n, uint64(n))
				opts := sinks.ParquetOptions{PageBufferSize: 4096, RawDictionaryPricing: true}
				want := func() []byte {
					e, err := sinks.NewRowGroupEncoder(schema, opts)
					if err != nil {
						t.Fatal(err)
					}
					g, err := e.Encode(&sliceReader{rows: rows})
					if err != nil {
						t.Fatal(err)
					}
					return writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{g})
				}()
				aligned := opts
				aligned.AlignedIndexRuns = true
				e, err := sinks.NewRowGroupEncoder(schema, aligned)
				if err != nil {
					t.Fatal(err)
				}
				g, err := e.Encode(&sliceReader{rows: rows})
				if err != nil {
					t.Fatal(err)
				}
				inPlace, err := sinks.ReencodeIndexRuns(e, g, copied, v.aside)
				if err != nil {
					t.Fatal(err)
				}
				if got := writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{g}); !bytes.Equal(got, want) {
					t.Errorf("re-encoded row group: %d bytes of file, want the %d of one encoded so", len(got), len(want))
				}
				if !copied && !inPlace {
					t.Error("the row group's indexes were re-encoded into a second buffer, not in its own")
				}
			})
		}
	}
}
