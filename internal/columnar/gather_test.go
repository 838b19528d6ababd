package columnar_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/splitdata/splitdata/internal/columnar"
)

// wantPage returns what a page writer must receive for rows of column c:
// their definition levels (none for a required column) and their non-null
// values, fixed-width bytes or PLAIN byte arrays, made from the rows'
// parquet.Values.
func wantPage(rows []parquet.Row, c int, t columnar.Type) (defs, vals []byte) {
	for _, row := range rows {
		v := row[c]
		if t.MaxDef > 0 {
			defs = append(defs, byte(v.DefinitionLevel()))
		}
		if v.IsNull() {
			continue
		}
		if t.Kind == parquet.ByteArray {
			vals = binary.LittleEndian.AppendUint32(vals, uint32(len(v.ByteArray())))
		}
		vals = append(vals, v.Bytes()...)
	}
	return defs, vals
}

// The page appends of a batch, of a pick from one batch and of a pick from
// several give the bytes the rows' values make, appended after what dst
// held, in any chunking, with room to spare in dst or none.
func TestAppendPage(t *testing.T) {
	layout, err := columnar.LayoutOf(testSchema)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(21, 22))
	all := randomRows(r, 300)
	batch := batchOf(t, layout, all)
	srcs, _, refs, want := scattered(t, 11, layout)
	sel := randomSel(r, len(all), 140)
	var wantSel []parquet.Row
	for _, i := range sel {
		wantSel = append(wantSel, all[i])
	}
	// Optional columns without a null: levels are not read per row.
	full := presentRows(all)
	fullBatch := batchOf(t, layout, full)
	var wantFullSel []parquet.Row
	for _, i := range sel {
		wantFullSel = append(wantFullSel, full[i])
	}
	// Picks of several batches without nulls, and with nulls in one only.
	fullSrcs := []*columnar.Batch{fullBatch.Slice(0, 100), fullBatch.Slice(100, 101), fullBatch.Slice(101, 300)}
	mixedSrcs := []*columnar.Batch{fullBatch.Slice(0, 150), batch.Slice(150, 300)}
	var fullRefs []columnar.Ref
	var wantFullRefs, wantMixedRefs []parquet.Row
	for range 200 {
		i := r.IntN(len(full))
		switch {
		case i < 100:
			fullRefs = append(fullRefs, columnar.Ref{Batch: 0, Row: int32(i)})
		case i == 100:
			fullRefs = append(fullRefs, columnar.Ref{Batch: 1, Row: 0})
		default:
			fullRefs = append(fullRefs, columnar.Ref{Batch: 2, Row: int32(i - 101)})
		}
		wantFullRefs = append(wantFullRefs, full[i])
	}
	mixedRefs := make([]columnar.Ref, 0, 200)
	for range 200 {
		i := r.IntN(len(all))
		if i < 150 {
			mixedRefs = append(mixedRefs, columnar.Ref{Batch: 0, Row: int32(i)})
			wantMixedRefs = append(wantMixedRefs, full[i])
		} else {
			mixedRefs = append(mixedRefs, columnar.Ref{Batch: 1, Row: int32(i - 150)})
			wantMixedRefs = append(wantMixedRefs, all[i])
		}
	}
	cases := []struct {
		name string
		rows columnar.Rows
		want []parquet.Row
	}{
		{"pick of several without nulls", columnar.NewPick(fullSrcs, fullRefs), wantFullRefs},
		{"slice of a pick of several without nulls", columnar.NewPick(fullSrcs, fullRefs).Slice(5, 170), wantFullRefs[5:170]},
		{"pick of several, nulls in one", columnar.NewPick(mixedSrcs, mixedRefs), wantMixedRefs},
		{"batch", batch, all},
		{"pick of one batch", columnar.PickRows(batch, sel), wantSel},
		{"pick of several", columnar.NewPick(srcs, refs), want},
		{"batch without nulls", fullBatch, full},
		{"pick of one batch without nulls", columnar.PickRows(fullBatch, sel), wantFullSel},
		{"slice of a pick without nulls", columnar.PickRows(fullBatch, sel).Slice(3, 100), wantFullSel[3:100]},
	}
	prefix := []byte("prefix")
	for _, tc := range cases {
		for c, typ := range layout {
			if typ.Kind == parquet.Boolean || typ.MaxDef > 1 {
				continue // not a page writer's column
			}
			wantDefs, wantVals := wantPage(tc.want, c, typ)
			for _, step := range []int{1, 7, 64, len(tc.want)} {
				for _, spare := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/col=%d/step=%d/spare=%v", tc.name, c, step, spare), func(t *testing.T) {
						defs := append([]byte(nil), prefix...)
						vals := append([]byte(nil), prefix...)
						if spare {
							defs = append(make([]byte, 0, 1<<16), prefix...)
							vals = append(make([]byte, 0, 1<<16), prefix...)
						}
						n := tc.rows.NumRows()
						for lo := 0; lo < n; lo += step {
							hi := min(lo+step, n)
							if typ.Kind == parquet.ByteArray {
								defs, vals = tc.rows.AppendPlain(defs, vals, c, lo, hi)
							} else {
								defs, vals = tc.rows.AppendFixed(defs, vals, c, lo, hi)
							}
						}
						if !bytes.Equal(defs, append(append([]byte(nil), prefix...), wantDefs...)) {
							t.Errorf("definition levels differ: got %d bytes, want %d", len(defs)-len(prefix), len(wantDefs))
						}
						if !bytes.Equal(vals, append(append([]byte(nil), prefix...), wantVals...)) {
							t.Errorf("values differ: got %d bytes, want %d", len(vals)-len(prefix), len(wantVals))
						}
					})
				}
			}
		}
	}
}

// presentRows returns rows with each null of a column of testSchema
// replaced by a value at the column's maximum level.
func presentRows(rows []parquet.Row) []parquet.Row {
	out := make([]parquet.Row, len(rows))
	for i, row := range rows {
		row = row.Clone()
		for c, v := range row {
			if !v.IsNull() && (c != 9 || v.DefinitionLevel() == 1) {
				continue
			}
			switch c {
			case 1:
				row[c] = parquet.Int32Value(int32(i)).Level(0, 1, c)
			case 3:
				row[c] = parquet.Int96Value(deprecated.Int96{uint32(i), 1, 2}).Level(0, 1, c)
			case 5:
				row[c] = parquet.DoubleValue(float64(i)).Level(0, 1, c)
			case 7:
				row[c] = parquet.FixedLenByteArrayValue(bytes.Repeat([]byte{'x'}, 20)).Level(0, 1, c)
			case 8:
				row[c] = parquet.ByteArrayValue([]byte("abcde")).Level(0, 2, c)
			case 9:
				row[c] = parquet.DoubleValue(float64(-i)).Level(0, 1, c)
			}
		}
		out[i] = row
	}
	return out
}

// BenchmarkAppendPage appends a 131072-row batch's columns, shaped like
// the mixed peers shape (every column optional, a tenth null; 8-byte
// numbers, a short and a 45-byte string), to page buffers in chunks of
// 1024 rows as the page writer does: the whole batch, a pick of 80% of
// its rows and of 20% (a split's shares read in place), and all its rows
// shuffled across 16 batches (a spilled shuffle's partition).
func BenchmarkAppendPage(b *testing.B) {
	const n = 1 << 17
	r := rand.New(rand.NewPCG(3, 4))
	cols := []struct {
		name string
		typ  columnar.Type
		size int
	}{
		{"int64", columnar.Type{Kind: parquet.Int64, Width: 8}, 8},
		{"int64-opt", columnar.Type{Kind: parquet.Int64, Width: 8, MaxDef: 1}, 8},
		{"int32-opt", columnar.Type{Kind: parquet.Int32, Width: 4, MaxDef: 1}, 4},
		{"str6-opt", columnar.Type{Kind: parquet.ByteArray, MaxDef: 1}, 6},
		{"str45-opt", columnar.Type{Kind: parquet.ByteArray, MaxDef: 1}, 45},
	}
	layout := make(columnar.Layout, len(cols))
	for c := range cols {
		layout[c] = cols[c].typ
	}
	batch := columnar.New(layout, n)
	text := make([]byte, 128)
	for i := range text {
		text[i] = byte('a' + r.IntN(26))
	}
	val := make([]byte, 8)
	for range n {
		for c, col := range cols {
			dst := &batch.Cols[c]
			var defs []byte
			if col.typ.MaxDef > 0 {
				defs = []byte{1}
			}
			null := col.typ.MaxDef > 0 && r.IntN(10) == 0
			if null {
				defs[0] = 0
			}
			var err error
			switch {
			case col.typ.Width == 0 && null:
				err = dst.AppendByteArrays(1, defs, nil, []uint32{0})
			case col.typ.Width == 0:
				k := col.size/2 + r.IntN(col.size+1)
				err = dst.AppendByteArrays(1, defs, text[:k], []uint32{0, uint32(k)})
			case null:
				err = dst.AppendFixed(1, defs, nil)
			default:
				binary.LittleEndian.PutUint64(val, r.Uint64())
				err = dst.AppendFixed(1, defs, val[:col.typ.Width])
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	batch.Len = n
	inputs := []struct {
		name string
		rows columnar.Rows
	}{{"batch", batch}}
	for _, p := range []int{80, 20} {
		var sel []int32
		for i := range n {
			if r.IntN(100) < p {
				sel = append(sel, int32(i))
			}
		}
		inputs = append(inputs, struct {
			name string
			rows columnar.Rows
		}{fmt.Sprintf("pick%d", p), columnar.PickRows(batch, sel)})
	}
	// A shuffle's partition read back: every row, in random order, out of
	// 16 batches.
	var srcs []*columnar.Batch
	for lo := 0; lo < n; lo += n / 16 {
		srcs = append(srcs, batch.Slice(lo, lo+n/16))
	}
	refs := make([]columnar.Ref, n)
	for k, i := range r.Perm(n) {
		refs[k] = columnar.Ref{Batch: int32(i / (n / 16)), Row: int32(i % (n / 16))}
	}
	inputs = append(inputs, struct {
		name string
		rows columnar.Rows
	}{"shuffle16", columnar.NewPick(srcs, refs)})
	for _, in := range inputs {
		for c, col := range cols {
			b.Run(in.name+"/"+col.name, func(b *testing.B) {
				b.ReportAllocs()
				var defs, vals []byte
				rows := in.rows.NumRows()
				for b.Loop() {
					defs, vals = defs[:0], vals[:0]
					for lo := 0; lo < rows; lo += 1024 {
						hi := min(lo+1024, rows)
						if col.typ.Width == 0 {
							defs, vals = in.rows.AppendPlain(defs, vals, c, lo, hi)
						} else {
							defs, vals = in.rows.AppendFixed(defs, vals, c, lo, hi)
						}
					}
				}
				b.SetBytes(int64(len(vals)))
			})
		}
	}
}

// Take copies byte arrays of every length around the block it moves
// short values in, the last value of the batch included (whose block
// would read past the values), from a batch and from a slice of it; a
// pick of the same rows, out of one batch or two, appends their PLAIN
// values, with nulls and without.
func TestTakeByteArrays(t *testing.T) {
	for _, nulls := range []bool{true, false} {
		t.Run(fmt.Sprintf("nulls=%v", nulls), func(t *testing.T) { testTakeByteArrays(t, nulls) })
	}
}

func testTakeByteArrays(t *testing.T, nulls bool) {
	layout := columnar.Layout{{Kind: parquet.ByteArray, MaxDef: 1}, {Kind: parquet.Int64, Width: 8}}
	r := rand.New(rand.NewPCG(3, 4))
	var rows []parquet.Row
	for i := range 300 {
		n := i % 140 // 0 to 139 bytes: below, at and above 64
		v := parquet.ByteArrayValue(bytes.Repeat([]byte{byte('a' + i%26)}, n)).Level(0, 1, 0)
		if nulls && r.IntN(5) == 0 {
			v = parquet.NullValue().Level(0, 0, 0)
		}
		rows = append(rows, parquet.Row{v, parquet.Int64Value(int64(i)).Level(0, 0, 1)})
	}
	b := batchOf(t, layout, rows)
	for _, span := range [][2]int{{0, 300}, {65, 300}, {1, 299}, {7, 8}} {
		s := b.Slice(span[0], span[1])
		n := span[1] - span[0]
		sels := [][]int32{randomSel(r, n, 2*n), {int32(n - 1), 0, int32(n - 1)}}
		if n > 2 {
			sels = append(sels, []int32{int32(n - 1), int32(n - 3)})
		}
		for _, sel := range sels {
			got, err := s.Take(sel)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]parquet.Row, len(sel))
			for k, i := range sel {
				want[k] = rows[span[0]+int(i)]
			}
			checkRows(t, got, want)
			wantDefs, wantVals := wantPage(want, 0, layout[0])
			// The same rows out of two batches (the slice twice), more than
			// a block of pickPlainRefs.
			refs := make([]columnar.Ref, len(sel))
			for k, i := range sel {
				refs[k] = columnar.Ref{Batch: int32(k % 2), Row: i}
			}
			several := columnar.NewPick([]*columnar.Batch{s, s}, refs)
			for _, rows := range []columnar.Rows{columnar.PickRows(s, sel), got, several} {
				defs, vals := rows.AppendPlain(nil, nil, 0, 0, len(sel)/2)
				defs, vals = rows.AppendPlain(defs, vals, 0, len(sel)/2, len(sel))
				if !bytes.Equal(defs, wantDefs) || !bytes.Equal(vals, wantVals) {
					t.Errorf("%T of rows %v of %v: pages differ", rows, sel, span)
				}
			}
		}
	}
}
