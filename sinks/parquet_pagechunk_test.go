package sinks

import (
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// A page writer is kept for the next row group only while its page
// scratch is within PooledWriterBytes, which the memory plan counts: one
// whose page held a value far larger than a page is dropped, and one of
// ordinary pages is kept.
func TestPooledWriterScratchBounded(t *testing.T) {
	schema := parquet.NewSchema("m", parquet.Group{
		"a": parquet.Int(64),
		"s": parquet.String(),
	})
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	const page = 4096
	for _, tc := range []struct {
		name string
		long int // length of row 0's string; the others are short
		kept bool
	}{
		{"short values", 8, true},
		{"a value of 64 pages", 64 * page, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts := ParquetOptions{Encoding: EncodingPlain, PageBufferSize: page, Compression: "none"}
			e, err := NewRowGroupEncoder(schema, opts)
			if err != nil {
				t.Fatal(err)
			}
			b := columnar.New(layout, 5000)
			for r := range 5000 {
				s := fmt.Sprintf("%08d", r)
				if r == 0 {
					s = strings.Repeat("x", tc.long)
				}
				for _, v := range []parquet.Value{parquet.Int64Value(int64(r)).Level(0, 0, 0), parquet.ByteArrayValue([]byte(s)).Level(0, 0, 1)} {
					if err := b.Cols[v.Column()].AppendValue(v); err != nil {
						t.Fatal(err)
					}
				}
				b.Len++
			}
			g, err := e.EncodeBatches([]columnar.Rows{b})
			if err != nil {
				t.Fatal(err)
			}
			g.Release()
			bound := PooledWriterBytes(page)
			kept := false
			for c := range e.pagers {
				for _, w := range e.pagers[c].free {
					if n := w.scratchSize(); n > bound {
						t.Errorf("column %d: a writer of %d bytes of scratch is kept, above PooledWriterBytes(%d) = %d", c, n, page, bound)
					}
					kept = kept || c == 1
				}
			}
			if kept != tc.kept {
				t.Errorf("the string column's writer kept: %v, want %v", kept, tc.kept)
			}
		})
	}
}

// A keptList keeps at most as many values as were handed out at once,
// whatever the order of gets and puts, so that a memory plan counting
// each user's scratch counts the idle ones too.
func TestKeptListKeepsAtMostPeak(t *testing.T) {
	for _, tc := range []struct {
		name string
		ops  string // g: get, p: put the last got, d: drop it
		kept int
	}{
		{"one at a time", "gpgpgp", 1},
		{"two at once", "ggppgp", 2},
		{"dropped", "ggpd", 1},
		{"all dropped", "ggdd", 0},
		{"peak of three, then one at a time", "gggpppgpgp", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var l keptList[*int]
			var out []*int
			peak, made := 0, 0
			for _, op := range tc.ops {
				switch op {
				case 'g':
					v := l.get()
					if v == nil {
						made++
						v = new(int)
					}
					out = append(out, v)
					peak = max(peak, len(out))
				case 'p':
					l.put(out[len(out)-1])
					out = out[:len(out)-1]
				case 'd':
					l.drop()
					out = out[:len(out)-1]
				}
				if l.kept() > peak || made > peak {
					t.Fatalf("after %q: %d kept, %d made, peak %d in use", op, l.kept(), made, peak)
				}
			}
			if l.kept() != tc.kept {
				t.Fatalf("%d kept, want %d", l.kept(), tc.kept)
			}
		})
	}
}

// The pooled pricers and index re-encoders keep at most
// PooledPricerBytes and PooledReencoderBytes for the next row group,
// which the memory plan counts: one grown beyond is let go (a re-encoder
// first lets go of its pages aside), one within is kept.
func TestPooledScratchBounded(t *testing.T) {
	page := int64(DefaultPageBufferSize)
	for _, tc := range []struct {
		name        string
		pricer      bool
		plain, side int
		kept        bool
		sideKept    bool
	}{
		{"pricer, short values", true, 64 << 10, 0, true, false},
		{"pricer at its bound", true, PooledPricerBytes, 0, true, false},
		{"pricer beyond", true, PooledPricerBytes + 1, 0, false, false},
		{"re-encoder, a page", false, int(page), ReencodedAsideBytes, true, true},
		{"re-encoder, pages aside beyond", false, int(page), int(PooledReencoderBytes(page)), true, false},
		{"re-encoder, page scratch beyond", false, int(PooledReencoderBytes(page)) + 1, 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.pricer {
				p := pricers.get()
				if p == nil {
					p = new(pricer)
				}
				before := pricers.kept()
				p.plain = make([]byte, 0, tc.plain)
				p.dict, p.offs, p.keys, p.idx, p.slots, p.body, p.comp = nil, nil, nil, nil, nil, nil, nil
				p.release()
				if got := pricers.kept() > before; got != tc.kept {
					t.Fatalf("kept = %v, want %v", got, tc.kept)
				}
				if tc.kept {
					pricers.get() // not kept for the other tests
					pricers.drop()
				}
				return
			}
			tr := transcoders.get()
			if tr == nil {
				tr = new(runsTranscoder)
			}
			before := transcoders.kept()
			*tr = runsTranscoder{e: &RowGroupEncoder{}, plain: make([]byte, 0, tc.plain), side: make([]byte, 0, tc.side)}
			tr.release()
			if got := transcoders.kept() > before; got != tc.kept {
				t.Fatalf("kept = %v, want %v", got, tc.kept)
			}
			if tc.kept {
				if sideKept := cap(tr.side) > 0; sideKept != tc.sideKept {
					t.Fatalf("pages aside kept = %v, want %v", sideKept, tc.sideKept)
				}
				if tr.scratchSize() > PooledReencoderBytes(page) {
					t.Fatalf("kept %d bytes, more than %d", tr.scratchSize(), PooledReencoderBytes(page))
				}
				transcoders.get()
				transcoders.drop()
			}
		})
	}
}
