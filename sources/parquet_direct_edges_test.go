package sources

import (
	"bytes"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"weak"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// The edge pages kept stay within maxEdgeBytes, oldest dropped first;
// pages above maxEdgePageBytes are not kept, and a dropped claim lets the
// next unit claim the page again.
func TestEdgeCacheBounds(t *testing.T) {
	e := edgeCache{pages: make(map[edgeKey]*edgePage)}
	p := new(Parquet)
	key := func(off int64) edgeKey { return edgeKey{p: weak.Make(p), off: off} }
	page := bytes.Repeat([]byte{7}, 1<<20)
	for off := range int64(40) {
		if _, claimed, err := e.claim(t.Context(), key(off)); err != nil || !claimed {
			t.Fatalf("page %d: claimed %v, %v", off, claimed, err)
		}
		e.put(key(off), page[:100], page[100:])
		if e.bytes > maxEdgeBytes {
			t.Fatalf("%d bytes kept, more than %d", e.bytes, maxEdgeBytes)
		}
	}
	pg, claimed, _ := e.claim(t.Context(), key(39))
	if claimed || pg == nil || !bytes.Equal(pg.data, page) {
		t.Fatalf("the newest page: claimed %v, %v", claimed, pg)
	}
	// Dropped while in use: its memory is not reused until released.
	for off := int64(100); off < 120; off++ {
		e.claim(t.Context(), key(off))
		e.put(key(off), page)
	}
	if !bytes.Equal(pg.data, page) {
		t.Error("a page in use was overwritten")
	}
	e.release(pg)
	if pg.data != nil || e.freed > maxEdgeFreeBytes {
		t.Errorf("released: %d bytes still held, %d bytes free", len(pg.data), e.freed)
	}
	if _, claimed, _ := e.claim(t.Context(), key(0)); !claimed {
		t.Error("the oldest page is still kept")
	}
	e.drop(key(0))
	if _, claimed, _ := e.claim(t.Context(), key(0)); !claimed {
		t.Error("a dropped claim is still held")
	}
	e.put(key(0), make([]byte, maxEdgePageBytes+1))
	if pg, claimed, _ := e.claim(t.Context(), key(0)); pg != nil || !claimed {
		t.Errorf("a page above maxEdgePageBytes was kept")
	}
}

// A row group read as units on several goroutines at once, as the engine
// reads a cut row group, decodes the pages at the units' edges once for
// the units sharing them, and gives the batches parquet-go's pages give:
// strings delta-encoded and plain, dictionaries, pages v1 and v2.
func TestEdgePagesShared(t *testing.T) {
	for _, opts := range [][]parquet.WriterOption{
		{parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.DeltaLengthByteArray), parquet.Compression(&parquet.Snappy)},
		{parquet.DataPageVersion(1), parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.Plain)},
		{parquet.DefaultEncodingFor(parquet.Int64, &parquet.RLEDictionary), parquet.DefaultEncodingFor(parquet.ByteArray, &parquet.RLEDictionary)},
	} {
		type row struct {
			ID   int64   `parquet:"id"`
			S    string  `parquet:"s"`
			Opt  *string `parquet:"opt,optional"`
			Tiny int32   `parquet:"tiny"`
		}
		const rows = 5000
		var buf bytes.Buffer
		w := parquet.NewGenericWriter[row](&buf, append(opts, parquet.PageBufferSize(2048), parquet.MaxRowsPerRowGroup(rows))...)
		in := make([]row, rows)
		for i := range in {
			in[i] = row{ID: int64(i * 7 % 1000), S: string(rune('a'+i%26)) + "-value", Tiny: int32(i / 1000)}
			if i%3 > 0 {
				s := "opt" + string(rune('a'+i%5))
				in[i].Opt = &s
			}
		}
		if _, err := w.Write(in); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		p, err := OpenParquet("edges", bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		const unit = 613
		read := func(first int64) *columnar.Batch {
			b, err := p.ReadBatchRangeInto(t.Context(), 0, first, min(unit, rows-first), nil)
			if err != nil {
				t.Fatalf("rows from %d: %v", first, err)
			}
			return b
		}
		before := edges.hits
		direct := make([]*columnar.Batch, (rows+unit-1)/unit)
		var wg sync.WaitGroup
		for k := range direct {
			wg.Go(func() { direct[k] = read(int64(k * unit)) })
		}
		wg.Wait()
		if edges.hits == before {
			t.Errorf("no page at a unit's edge was found decoded")
		}
		restore := SetDirectOff(true)
		for k, b := range direct {
			want := read(int64(k * unit))
			for c := range b.Cols {
				x, y := &b.Cols[c], &want.Cols[c]
				if !bytes.Equal(x.Defs, y.Defs) || !bytes.Equal(x.Fixed, y.Fixed) || !bytes.Equal(x.Bytes, y.Bytes) || !slices.Equal(x.Offsets, y.Offsets) {
					t.Errorf("unit %d, column %d: direct decoding differs from parquet-go's pages", k, c)
				}
			}
		}
		restore()
	}
}

// Under a soft memory limit (the pipeline's heap budget) the edge pages
// kept, and the memory kept for new ones, are at most a sixteenth of it.
func TestEdgeCacheSoftLimit(t *testing.T) {
	const limit = 64 << 20
	old := debug.SetMemoryLimit(limit)
	defer debug.SetMemoryLimit(old)
	if got := edgeLimit(maxEdgeBytes); got != limit/16 {
		t.Fatalf("edgeLimit under a %d-byte limit: %d, want %d", limit, got, limit/16)
	}
	e := edgeCache{pages: make(map[edgeKey]*edgePage)}
	p := new(Parquet)
	key := func(off int64) edgeKey { return edgeKey{p: weak.Make(p), off: off} }
	page := bytes.Repeat([]byte{7}, 1<<20)
	for off := range int64(40) {
		e.claim(t.Context(), key(off))
		e.put(key(off), page)
		if e.bytes > limit/16 || e.freed > limit/16 {
			t.Fatalf("page %d: %d bytes kept, %d free, more than %d", off, e.bytes, e.freed, limit/16)
		}
	}
	if e.bytes == 0 {
		t.Error("no page kept")
	}
}
