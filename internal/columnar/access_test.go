package columnar_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// accessLayout has a column of every kind, required and optional.
var accessLayout = columnar.Layout{
	{Kind: parquet.Int64, Width: 8}, {Kind: parquet.Int64, Width: 8, MaxDef: 1},
	{Kind: parquet.Int32, Width: 4}, {Kind: parquet.Int32, Width: 4, MaxDef: 2},
	{Kind: parquet.Double, Width: 8, MaxDef: 1}, {Kind: parquet.Float, Width: 4, MaxDef: 1},
	{Kind: parquet.Boolean, Width: 1, MaxDef: 1}, {Kind: parquet.Int96, Width: 12, MaxDef: 1},
	{Kind: parquet.FixedLenByteArray, Width: 3, MaxDef: 1},
	{Kind: parquet.ByteArray}, {Kind: parquet.ByteArray, MaxDef: 1},
}

// randomBatch returns n rows of accessLayout, a fifth of the optional
// values null (at a random level below the maximum).
func randomBatch(t testing.TB, r *rand.Rand, n int) *columnar.Batch {
	b := columnar.New(accessLayout, n)
	for range n {
		for c, typ := range accessLayout {
			col := &b.Cols[c]
			var defs []byte
			null := typ.MaxDef > 0 && r.IntN(5) == 0
			if typ.MaxDef > 0 {
				d := typ.MaxDef
				if null {
					d = byte(r.IntN(int(typ.MaxDef)))
				}
				defs = []byte{d}
			}
			var err error
			switch {
			case typ.Width == 0 && null:
				err = col.AppendByteArrays(1, defs, nil, []uint32{0})
			case typ.Width == 0:
				v := make([]byte, r.IntN(200))
				for i := range v {
					v[i] = byte(r.Uint32())
				}
				err = col.AppendByteArrays(1, defs, v, []uint32{0, uint32(len(v))})
			case null:
				err = col.AppendFixed(1, defs, nil)
			default:
				v := make([]byte, typ.Width)
				for i := range v {
					v[i] = byte(r.Uint32())
				}
				if typ.Kind == parquet.Boolean {
					v[0] &= 1
				}
				err = col.AppendFixed(1, defs, v)
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		b.Len++
	}
	return b
}

// checkChunk checks rows [lo, hi) of column c read into ch against
// want(k), the value of the chunk's row k as the batches give it.
func checkChunk(t *testing.T, name string, ch *columnar.Chunk, c, lo, hi int, want func(k int) parquet.Value) {
	t.Helper()
	if ch.N != hi-lo || ch.Kind != accessLayout[c].Kind || ch.MaxDef != accessLayout[c].MaxDef {
		t.Fatalf("%s: column %d rows [%d, %d): %d rows of %v (max level %d)", name, c, lo, hi, ch.N, ch.Kind, ch.MaxDef)
	}
	for k := range ch.N {
		w := want(k)
		if ch.Null(k) != w.IsNull() || (ch.Defs != nil && int(ch.Defs[k]) != w.DefinitionLevel()) {
			t.Fatalf("%s: column %d row %d: null %v, want %v", name, c, lo+k, ch.Null(k), w)
		}
		if w.IsNull() {
			continue
		}
		var ok bool
		switch ch.Kind {
		case parquet.Int64:
			ok = ch.Int64s()[k] == w.Int64()
		case parquet.Int32:
			ok = ch.Int32s()[k] == w.Int32()
		case parquet.Double:
			ok = math.Float64bits(ch.Float64s()[k]) == math.Float64bits(w.Double())
		case parquet.Float:
			ok = math.Float32bits(ch.Float32s()[k]) == math.Float32bits(w.Float())
		case parquet.ByteArray:
			ok = bytes.Equal(ch.Value(k), w.ByteArray())
		default:
			wd := ch.Width
			ok = bytes.Equal(ch.Fixed[wd*k:wd*k+wd], w.Bytes())
		}
		if !ok {
			t.Fatalf("%s: column %d row %d: got another value than %v", name, c, lo+k, w)
		}
	}
}

// TestChunkRead reads every column of batches, slices of them and rows
// picked out of them, chunk by chunk into one reused Chunk per column,
// and checks every row against Batch.Value.
func TestChunkRead(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	srcs := []*columnar.Batch{randomBatch(t, r, 1500), randomBatch(t, r, 700)}
	refs := make([]columnar.Ref, 3000)
	for i := range refs {
		bi := r.IntN(len(srcs))
		refs[i] = columnar.Ref{Batch: int32(bi), Row: int32(r.IntN(srcs[bi].Len))}
	}
	pick := columnar.NewPick(srcs, refs)
	cases := []struct {
		name string
		rows columnar.Rows
		want func(k int) parquet.Value // k: row of rows
		c    int
	}{
		{name: "batch", rows: srcs[0]},
		{name: "slice", rows: srcs[0].Slice(333, 1400)},
		{name: "pick", rows: pick},
		{name: "sliced pick", rows: pick.Slice(10, 2900)},
		{name: "empty batch", rows: columnar.New(accessLayout, 0)},
		{name: "empty batch, no offsets", rows: &columnar.Batch{Cols: make([]columnar.Column, len(accessLayout))}},
	}
	value := func(rows columnar.Rows, c, k int) parquet.Value {
		return rows.AppendValues(nil, c, k, k+1)[0]
	}
	chunks := make([]columnar.Chunk, len(accessLayout))
	views := make([]columnar.Chunk, len(accessLayout))
	for _, tc := range cases {
		for _, size := range []int{1, 7, 1024} {
			for lo := 0; lo < tc.rows.NumRows(); lo += size {
				hi := min(lo+size, tc.rows.NumRows())
				for c := range accessLayout {
					want := func(k int) parquet.Value { return value(tc.rows, c, lo+k) }
					chunks[c].Read(tc.rows, c, lo, hi)
					checkChunk(t, tc.name, &chunks[c], c, lo, hi, want)
					// Another chunk viewing the rows, and reading every
					// other chunk of them: neither leaves the other's rows
					// behind.
					if lo/size%2 == 0 {
						views[c].ReadView(tc.rows, c, lo, hi)
					} else {
						views[c].Read(tc.rows, c, lo, hi)
					}
					checkChunk(t, tc.name+", viewed", &views[c], c, lo, hi, want)
				}
			}
		}
		at := min(5, tc.rows.NumRows())
		for c := range accessLayout {
			chunks[c].Read(tc.rows, c, at, at)
			if chunks[c].N != 0 || len(chunks[c].Int64s()) != 0 {
				t.Errorf("%s: column %d: an empty range read %d rows", tc.name, c, chunks[c].N)
			}
		}
	}
}

// TestChunkUnaligned reads numbers whose bytes are not aligned, as a
// batch decoded in place from a buffer may hold them: the typed
// accessors copy them rather than view them.
func TestChunkUnaligned(t *testing.T) {
	const n = 100
	buf := make([]byte, 8*n+1)
	for k := range n {
		buf[1+8*k] = byte(k)
		buf[1+8*k+7] = 0x40
	}
	for _, typ := range []columnar.Type{{Kind: parquet.Int64, Width: 8}, {Kind: parquet.Double, Width: 8}, {Kind: parquet.Int32, Width: 4}, {Kind: parquet.Float, Width: 4}} {
		b := &columnar.Batch{Len: n, Cols: []columnar.Column{{Type: typ, Fixed: buf[1 : 1+typ.Width*n]}}}
		var ch, picked columnar.Chunk
		ch.Read(b, 0, 0, n)
		// Every row picked, in order, from the batch and from an aligned
		// copy of it: the gather views neither batch in place, or both.
		aligned := &columnar.Batch{Len: n, Cols: []columnar.Column{{Type: typ, Fixed: slices.Clone(b.Cols[0].Fixed)}}}
		refs := make([]columnar.Ref, 2*n)
		for k := range n {
			refs[k], refs[n+k] = columnar.Ref{Batch: 0, Row: int32(k)}, columnar.Ref{Batch: 1, Row: int32(k)}
		}
		picked.Read(columnar.NewPick([]*columnar.Batch{b, aligned}, refs), 0, 0, 2*n)
		if !bytes.Equal(picked.Fixed, append(slices.Clone(b.Cols[0].Fixed), b.Cols[0].Fixed...)) {
			t.Fatalf("%v: rows picked from an unaligned batch: other bytes than the batch's", typ.Kind)
		}
		picked.Read(columnar.NewPick([]*columnar.Batch{aligned}, refs[:n]), 0, 0, n)
		if !bytes.Equal(picked.Fixed, b.Cols[0].Fixed) {
			t.Fatalf("%v: rows picked from an aligned batch: other bytes than the batch's", typ.Kind)
		}
		for k := range n {
			v := b.Value(0, k)
			var ok bool
			switch typ.Kind {
			case parquet.Int64:
				ok = ch.Int64s()[k] == v.Int64()
			case parquet.Double:
				ok = math.Float64bits(ch.Float64s()[k]) == math.Float64bits(v.Double())
			case parquet.Int32:
				ok = ch.Int32s()[k] == v.Int32()
			case parquet.Float:
				ok = math.Float32bits(ch.Float32s()[k]) == math.Float32bits(v.Float())
			}
			if !ok {
				t.Fatalf("%v row %d: got another value than %v", typ.Kind, k, v)
			}
		}
	}
}

// BenchmarkChunk reads the number and string columns of a gen-shaped
// batch chunk by chunk, in place and picked (80% of the rows, as a
// split's train rows), and sums them through the typed accessors.
func BenchmarkChunk(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	const n = 1 << 16
	layout := columnar.Layout{{Kind: parquet.Int64, Width: 8}, {Kind: parquet.Double, Width: 8, MaxDef: 1}, {Kind: parquet.ByteArray}}
	batch := columnar.New(layout, n)
	for i := range n {
		var def []byte
		if i%10 != 0 {
			def = []byte{1}
		} else {
			def = []byte{0}
		}
		_ = batch.Cols[0].AppendFixed(1, nil, make([]byte, 8))
		if def[0] == 1 {
			_ = batch.Cols[1].AppendFixed(1, def, make([]byte, 8))
		} else {
			_ = batch.Cols[1].AppendFixed(1, def, nil)
		}
		_ = batch.Cols[2].AppendByteArrays(1, nil, make([]byte, 40), []uint32{0, 40})
	}
	batch.Len = n
	var sel []int32
	for i := range int32(n) {
		if r.Float64() < 0.8 {
			sel = append(sel, i)
		}
	}
	pick := columnar.PickRows(batch, sel)
	for _, tc := range []struct {
		name string
		rows columnar.Rows
		view bool // ReadView rather than Read
	}{{"batch", batch, false}, {"pick", pick, false}, {"pick view", pick, true}} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(tc.rows.NumRows()) * (8 + 8 + 40))
			var ch [3]columnar.Chunk
			var sum float64
			var size int
			for b.Loop() {
				for lo := 0; lo < tc.rows.NumRows(); lo += 1024 {
					hi := min(lo+1024, tc.rows.NumRows())
					for c := range ch {
						if tc.view {
							ch[c].ReadView(tc.rows, c, lo, hi)
						} else {
							ch[c].Read(tc.rows, c, lo, hi)
						}
					}
					for _, v := range ch[0].Int64s() {
						sum += float64(v)
					}
					for k, v := range ch[1].Float64s() {
						if !ch[1].Null(k) {
							sum += v
						}
					}
					for k := range ch[2].N {
						size += len(ch[2].Value(k))
					}
				}
			}
			sink = sum + float64(size)
		})
	}
}

var sink float64
