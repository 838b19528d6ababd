package columnar_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/splitdata/splitdata/internal/columnar"
)

// testSchema has every physical kind, required and optional, and an
// optional struct (definition levels up to 2).
var testSchema = parquet.NewSchema("t", parquet.Group{
	"a_bool":  parquet.Leaf(parquet.BooleanType),
	"b_int32": parquet.Optional(parquet.Int(32)),
	"c_int64": parquet.Int(64),
	"d_int96": parquet.Optional(parquet.Leaf(parquet.Int96Type)),
	"e_float": parquet.Leaf(parquet.FloatType),
	"f_dbl":   parquet.Optional(parquet.Leaf(parquet.DoubleType)),
	"g_str":   parquet.String(),
	"h_fixed": parquet.Optional(parquet.Leaf(parquet.FixedLenByteArrayType(20))),
	"i_struct": parquet.Optional(parquet.Group{
		"x": parquet.Optional(parquet.String()),
		"y": parquet.Leaf(parquet.DoubleType),
	}),
})

// randomRows returns n rows of testSchema, about a quarter of optional
// values null.
func randomRows(r *rand.Rand, n int) []parquet.Row {
	rows := make([]parquet.Row, n)
	opt := func(col, maxDef int, v parquet.Value) parquet.Value {
		if r.IntN(4) == 0 {
			return parquet.NullValue().Level(0, maxDef-1, col)
		}
		return v.Level(0, maxDef, col)
	}
	text := func(k int) []byte {
		b := make([]byte, k)
		for i := range b {
			b[i] = byte('a' + r.IntN(26))
		}
		return b
	}
	for i := range rows {
		row := parquet.Row{
			parquet.BooleanValue(r.IntN(2) == 1).Level(0, 0, 0),
			opt(1, 1, parquet.Int32Value(r.Int32())),
			parquet.Int64Value(r.Int64()).Level(0, 0, 2),
			opt(3, 1, parquet.Int96Value(deprecated.Int96{r.Uint32(), r.Uint32(), r.Uint32()})),
			parquet.FloatValue(r.Float32()).Level(0, 0, 4),
			opt(5, 1, parquet.DoubleValue(r.NormFloat64())),
			parquet.ByteArrayValue(text(r.IntN(12))).Level(0, 0, 6),
			opt(7, 1, parquet.FixedLenByteArrayValue(text(20))),
		}
		switch r.IntN(3) {
		case 0: // struct null
			row = append(row, parquet.NullValue().Level(0, 0, 8), parquet.NullValue().Level(0, 0, 9))
		case 1: // struct present, x null
			row = append(row, parquet.NullValue().Level(0, 1, 8), parquet.DoubleValue(r.Float64()).Level(0, 1, 9))
		default:
			row = append(row, parquet.ByteArrayValue(text(5)).Level(0, 2, 8), parquet.DoubleValue(r.Float64()).Level(0, 1, 9))
		}
		rows[i] = row
	}
	return rows
}

func batchOf(t *testing.T, layout columnar.Layout, rows []parquet.Row) *columnar.Batch {
	t.Helper()
	b := columnar.New(layout, len(rows))
	for _, row := range rows {
		for _, v := range row {
			if err := b.Cols[v.Column()].AppendValue(v); err != nil {
				t.Fatalf("AppendValue(%v): %v", v, err)
			}
		}
	}
	b.Len = len(rows)
	return b
}

func sameValue(a, b parquet.Value) bool {
	return a.Kind() == b.Kind() && a.IsNull() == b.IsNull() && a.DefinitionLevel() == b.DefinitionLevel() &&
		a.RepetitionLevel() == b.RepetitionLevel() && a.Column() == b.Column() && bytes.Equal(a.Bytes(), b.Bytes())
}

// checkRows compares b's rows with want, value by value.
func checkRows(t *testing.T, b *columnar.Batch, want []parquet.Row) {
	t.Helper()
	if b.Len != len(want) {
		t.Fatalf("batch holds %d rows, want %d", b.Len, len(want))
	}
	for c := range b.Cols {
		if got := b.Cols[c].Rows(); got != b.Len {
			t.Fatalf("column %d holds %d rows, batch %d", c, got, b.Len)
		}
	}
	for r, row := range want {
		got := b.Row(nil, r)
		if len(got) != len(row) {
			t.Fatalf("row %d: %d values, want %d", r, len(got), len(row))
		}
		for c := range row {
			if !sameValue(got[c], row[c]) {
				t.Fatalf("row %d column %d: got %v (def %d), want %v (def %d)", r, c, got[c], got[c].DefinitionLevel(), row[c], row[c].DefinitionLevel())
			}
		}
	}
	for c := range b.Cols {
		prefix := []parquet.Value{parquet.Int32Value(9)}
		vals := b.AppendValues(prefix, c, 0, b.Len)
		if len(vals) != b.Len+1 || !sameValue(vals[0], prefix[0]) {
			t.Fatalf("AppendValues of column %d: %d values, first %v", c, len(vals), vals[0])
		}
		for r, row := range want {
			if !sameValue(vals[r+1], row[c]) {
				t.Fatalf("AppendValues row %d column %d: got %v (def %d), want %v (def %d)", r, c, vals[r+1], vals[r+1].DefinitionLevel(), row[c], row[c].DefinitionLevel())
			}
		}
	}
}

func TestLayoutOf(t *testing.T) {
	layout, err := columnar.LayoutOf(testSchema)
	if err != nil {
		t.Fatal(err)
	}
	want := columnar.Layout{
		{parquet.Boolean, 1, 0}, {parquet.Int32, 4, 1}, {parquet.Int64, 8, 0}, {parquet.Int96, 12, 1},
		{parquet.Float, 4, 0}, {parquet.Double, 8, 1}, {parquet.ByteArray, 0, 0}, {parquet.FixedLenByteArray, 20, 1},
		{parquet.ByteArray, 0, 2}, {parquet.Double, 8, 1},
	}
	if fmt.Sprint(layout) != fmt.Sprint(want) {
		t.Fatalf("LayoutOf = %v, want %v", layout, want)
	}
	repeated := parquet.NewSchema("r", parquet.Group{"id": parquet.Int(64), "l": parquet.List(parquet.Int(32))})
	if _, err := columnar.LayoutOf(repeated); !errors.Is(err, columnar.ErrRepeated) {
		t.Fatalf("LayoutOf(list) = %v, want ErrRepeated", err)
	}
}

// Rows appended value by value read back as they went in; Take and Slice
// give the selected rows, repeats included.
func TestTakeAndSlice(t *testing.T) {
	layout, err := columnar.LayoutOf(testSchema)
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	rows := randomRows(r, 500)
	b := batchOf(t, layout, rows)
	checkRows(t, b, rows)

	var runs []int32 // runs of consecutive rows, as a split selects them
	for i := int32(10); i < 60; i++ {
		runs = append(runs, i)
	}
	runs = append(runs, 100, 101, 5, 6, 7, 8, 499, 0, 1)
	var block []int32 // one run: copied as a block
	for i := int32(100); i < 400; i++ {
		block = append(block, i)
	}
	for _, sel := range [][]int32{nil, {0}, {499, 0, 499, 3, 3}, randomSel(r, 500, 1000), runs, block, {7, 8, 7}, {3, 3, 5}, {3, 4, 4, 6}} {
		got, err := b.Take(sel)
		if err != nil {
			t.Fatal(err)
		}
		want := make([]parquet.Row, len(sel))
		for k, i := range sel {
			want[k] = rows[i]
		}
		checkRows(t, got, want)
	}
	for _, span := range [][2]int{{0, 0}, {0, 500}, {17, 18}, {100, 433}} {
		checkRows(t, b.Slice(span[0], span[1]), rows[span[0]:span[1]])
		// A block taken out of a slice (offsets not starting at 0).
		var sel []int32
		for i := range span[1] - span[0] - min(span[1]-span[0], 2) {
			sel = append(sel, int32(i+1))
		}
		got, err := b.Slice(span[0], span[1]).Take(sel)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, got, rows[span[0]+1:span[0]+1+len(sel)])
	}
}

func randomSel(r *rand.Rand, n, k int) []int32 {
	sel := make([]int32, k)
	for i := range sel {
		sel[i] = int32(r.IntN(n))
	}
	return sel
}

// The page appenders give the rows AppendValue gives, and refuse pages
// whose parts disagree.
func TestAppendPages(t *testing.T) {
	defs := []byte{1, 0, 1, 1, 0}
	t.Run("fixed", func(t *testing.T) {
		c := columnar.New(columnar.Layout{{parquet.Int64, 8, 1}}, 0).Cols[0]
		vals := binary.LittleEndian.AppendUint64(nil, 7)
		vals = binary.LittleEndian.AppendUint64(vals, 8)
		vals = binary.LittleEndian.AppendUint64(vals, 9)
		if err := c.AppendFixed(5, defs, vals); err != nil {
			t.Fatal(err)
		}
		b := &columnar.Batch{Len: 5, Cols: []columnar.Column{c}}
		checkRows1(t, b, "7 null 8 9 null")
	})
	t.Run("bytes", func(t *testing.T) {
		c := columnar.New(columnar.Layout{{parquet.ByteArray, 0, 1}}, 0).Cols[0]
		if err := c.AppendByteArrays(5, defs, []byte("xxabcdef"), []uint32{2, 4, 4, 8}); err != nil {
			t.Fatal(err)
		}
		if err := c.AppendByteArrays(2, []byte{0, 1}, []byte("q"), []uint32{0, 1}); err != nil {
			t.Fatal(err)
		}
		b := &columnar.Batch{Len: 7, Cols: []columnar.Column{c}}
		checkRows1(t, b, "ab null  cdef null null q")
	})
	t.Run("indexed", func(t *testing.T) {
		dict := columnar.New(columnar.Layout{{parquet.ByteArray, 0, 0}}, 0).Cols[0]
		if err := dict.AppendByteArrays(3, nil, []byte("redgreenblue"), []uint32{0, 3, 8, 12}); err != nil {
			t.Fatal(err)
		}
		c := columnar.New(columnar.Layout{{parquet.ByteArray, 0, 1}}, 0).Cols[0]
		if err := c.AppendIndexed(5, defs, []int32{2, 0, 2}, &dict); err != nil {
			t.Fatal(err)
		}
		b := &columnar.Batch{Len: 5, Cols: []columnar.Column{c}}
		checkRows1(t, b, "blue null red blue null")
	})
	bad := []struct {
		name string
		fn   func(c *columnar.Column) error
	}{
		{"level above max", func(c *columnar.Column) error { return c.AppendFixed(2, []byte{1, 2}, make([]byte, 8)) }},
		{"too few values", func(c *columnar.Column) error { return c.AppendFixed(5, defs, make([]byte, 16)) }},
		{"too many values", func(c *columnar.Column) error { return c.AppendFixed(5, defs, make([]byte, 32)) }},
		{"levels missing", func(c *columnar.Column) error { return c.AppendFixed(5, defs[:4], make([]byte, 24)) }},
		{"bytes for fixed", func(c *columnar.Column) error { return c.AppendByteArrays(1, []byte{1}, []byte("a"), []uint32{0, 1}) }},
		{"index out of range", func(c *columnar.Column) error {
			dict := columnar.New(columnar.Layout{{parquet.Int64, 8, 0}}, 0).Cols[0]
			dict.Fixed = make([]byte, 16)
			return c.AppendIndexed(5, defs, []int32{0, 1, 2}, &dict)
		}},
		{"negative index", func(c *columnar.Column) error {
			dict := columnar.New(columnar.Layout{{parquet.Int64, 8, 0}}, 0).Cols[0]
			dict.Fixed = make([]byte, 16)
			return c.AppendIndexed(5, defs, []int32{0, -1, 1}, &dict)
		}},
		{"null at max level", func(c *columnar.Column) error { return c.AppendValue(parquet.NullValue().Level(0, 1, 0)) }},
		{"wrong kind", func(c *columnar.Column) error { return c.AppendValue(parquet.Int32Value(1).Level(0, 1, 0)) }},
		{"repeated", func(c *columnar.Column) error { return c.AppendValue(parquet.Int64Value(1).Level(1, 1, 0)) }},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			c := columnar.New(columnar.Layout{{parquet.Int64, 8, 1}}, 0).Cols[0]
			if err := tt.fn(&c); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	t.Run("decreasing offsets", func(t *testing.T) {
		c := columnar.New(columnar.Layout{{parquet.ByteArray, 0, 0}}, 0).Cols[0]
		if err := c.AppendByteArrays(2, nil, []byte("abcd"), []uint32{0, 3, 2}); err == nil {
			t.Fatal("accepted")
		}
	})
	t.Run("offsets beyond data", func(t *testing.T) {
		c := columnar.New(columnar.Layout{{parquet.ByteArray, 0, 0}}, 0).Cols[0]
		if err := c.AppendByteArrays(1, nil, []byte("ab"), []uint32{0, 3}); err == nil {
			t.Fatal("accepted")
		}
	})
}

// checkRows1 compares a one-column batch with want, its values (as
// strings, or "null") separated by spaces.
func checkRows1(t *testing.T, b *columnar.Batch, want string) {
	t.Helper()
	var got []byte
	for r := range b.Len {
		if r > 0 {
			got = append(got, ' ')
		}
		v := b.Value(0, r)
		switch {
		case v.IsNull():
			got = append(got, "null"...)
		case v.Kind() == parquet.Int64:
			got = fmt.Append(got, v.Int64())
		default:
			got = append(got, v.ByteArray()...)
		}
	}
	if string(got) != want {
		t.Fatalf("rows %q, want %q", got, want)
	}
}

// A batch read back from its spill encoding holds the same rows, for
// batches sliced out of others (offsets not starting at 0) and empty ones;
// truncated data is refused.
func TestSpillEncoding(t *testing.T) {
	layout, err := columnar.LayoutOf(testSchema)
	if err != nil {
		t.Fatal(err)
	}
	rows := randomRows(rand.New(rand.NewPCG(3, 4)), 300)
	b := batchOf(t, layout, rows)
	spans := [][2]int{{0, 300}, {0, 0}, {120, 121}, {37, 250}}
	var data []byte
	for _, s := range spans {
		data = b.Slice(s[0], s[1]).AppendBinary(data)
	}
	rest := data
	for _, s := range spans {
		var got *columnar.Batch
		got, rest, err = columnar.Decode(rest, layout)
		if err != nil {
			t.Fatal(err)
		}
		checkRows(t, got, rows[s[0]:s[1]])
	}
	if len(rest) != 0 {
		t.Fatalf("%d bytes left over", len(rest))
	}
	sel := append(randomSel(rand.New(rand.NewPCG(5, 5)), 300, 200), 7, 8, 9, 299)
	got, rest, err := columnar.Decode(b.AppendBinaryRows(nil, sel), layout)
	if err != nil || len(rest) != 0 {
		t.Fatalf("Decode(AppendBinaryRows) = %v, %d bytes left", err, len(rest))
	}
	want := make([]parquet.Row, len(sel))
	for k, r := range sel {
		want[k] = rows[r]
	}
	checkRows(t, got, want)
	one := b.Slice(5, 9).AppendBinary(nil)
	for n := range len(one) {
		if _, _, err := columnar.Decode(one[:n], layout); err == nil {
			t.Fatalf("Decode accepted the first %d of %d bytes", n, len(one))
		}
	}
}

// scattered returns batches of random rows and 300 references to their
// rows, with the rows referred to.
func scattered(t *testing.T, seed uint64, layout columnar.Layout) ([]*columnar.Batch, [][]parquet.Row, []columnar.Ref, []parquet.Row) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed+1))
	var srcs []*columnar.Batch
	var all [][]parquet.Row
	for _, n := range []int{40, 0, 75, 1} {
		rows := randomRows(r, n)
		srcs = append(srcs, batchOf(t, layout, rows))
		all = append(all, rows)
	}
	var refs []columnar.Ref
	var want []parquet.Row
	for range 300 {
		b := r.IntN(len(srcs))
		if len(all[b]) == 0 {
			continue
		}
		row := r.IntN(len(all[b]))
		refs = append(refs, columnar.Ref{Batch: int32(b), Row: int32(row)})
		want = append(want, all[b][row])
	}
	return srcs, all, refs, want
}

// Gather takes rows from several batches in any order.
func TestGather(t *testing.T) {
	layout, err := columnar.LayoutOf(testSchema)
	if err != nil {
		t.Fatal(err)
	}
	srcs, _, refs, want := scattered(t, 5, layout)
	got, err := columnar.Gather(srcs, refs)
	if err != nil {
		t.Fatal(err)
	}
	checkRows(t, got, want)
}

// A pick reads the rows a gather of the same references copies, whole or
// sliced, from one batch or several.
func TestPick(t *testing.T) {
	layout, err := columnar.LayoutOf(testSchema)
	if err != nil {
		t.Fatal(err)
	}
	srcs, all, refs, want := scattered(t, 7, layout)
	r := rand.New(rand.NewPCG(8, 9))
	sel := randomSel(r, 75, 200)
	var wantSel []parquet.Row
	for _, i := range sel {
		wantSel = append(wantSel, all[2][i])
	}
	for _, tc := range []struct {
		name string
		pick *columnar.Pick
		want []parquet.Row
	}{
		{"several batches", columnar.NewPick(srcs, refs), want},
		{"one batch", columnar.PickRows(srcs[2], sel), wantSel},
		{"none", columnar.NewPick(nil, nil), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkPick(t, tc.pick, tc.want)
			for _, span := range [][2]int{{0, 0}, {0, len(tc.want)}, {len(tc.want) / 3, len(tc.want) / 2}} {
				part := columnar.SliceRows(tc.pick, span[0], span[1])
				checkPick(t, part, tc.want[span[0]:span[1]])
			}
		})
	}
}

// checkPick compares the values of p's rows, in chunks as the encoder
// reads them, with want.
func checkPick(t *testing.T, p columnar.Rows, want []parquet.Row) {
	t.Helper()
	if p.NumRows() != len(want) {
		t.Fatalf("pick holds %d rows, want %d", p.NumRows(), len(want))
	}
	if len(want) == 0 {
		return
	}
	for c := range want[0] {
		var vals []parquet.Value
		for lo := 0; lo < len(want); lo += 7 {
			vals = p.AppendValues(vals, c, lo, min(lo+7, len(want)))
		}
		for r, row := range want {
			if !sameValue(vals[r], row[c]) {
				t.Fatalf("row %d column %d: got %v (def %d), want %v (def %d)", r, c, vals[r], vals[r].DefinitionLevel(), row[c], row[c].DefinitionLevel())
			}
		}
	}
}
