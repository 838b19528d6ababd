package columnar_test

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// TestExtendFixed checks that ExtendFixed appends the levels and returns
// exactly the new rows' value slots, keeping the rows before them (also
// when the column must grow), and that a refused page leaves the column
// as it was.
func TestExtendFixed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		typ     columnar.Type
		room    int // spare capacity of Fixed before the call, in bytes
		defs    []byte
		n       int
		wantErr bool
	}{
		{name: "required, room", typ: columnar.Type{Kind: parquet.Int64, Width: 8}, room: 64, n: 3},
		{name: "required, grows", typ: columnar.Type{Kind: parquet.Int64, Width: 8}, n: 5},
		{name: "optional, all defined", typ: columnar.Type{Kind: parquet.Int32, Width: 4, MaxDef: 2}, defs: []byte{2, 2, 2}, n: 3},
		{name: "fixed length 3", typ: columnar.Type{Kind: parquet.FixedLenByteArray, Width: 3, MaxDef: 1}, defs: []byte{1, 1}, n: 2},
		{name: "no rows", typ: columnar.Type{Kind: parquet.Double, Width: 8}, n: 0},
		{name: "a null", typ: columnar.Type{Kind: parquet.Int32, Width: 4, MaxDef: 1}, defs: []byte{1, 0, 1}, n: 3, wantErr: true},
		{name: "level above the maximum", typ: columnar.Type{Kind: parquet.Int32, Width: 4, MaxDef: 1}, defs: []byte{1, 2}, n: 2, wantErr: true},
		{name: "levels short", typ: columnar.Type{Kind: parquet.Int32, Width: 4, MaxDef: 1}, defs: []byte{1}, n: 2, wantErr: true},
		{name: "byte arrays", typ: columnar.Type{Kind: parquet.ByteArray}, n: 1, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			col := columnar.Column{Type: tc.typ}
			// Two rows already held.
			if tc.typ.Width > 0 {
				col.Fixed = make([]byte, 2*tc.typ.Width, 2*tc.typ.Width+tc.room)
				for k := range col.Fixed {
					col.Fixed[k] = byte(k + 1)
				}
			}
			if tc.typ.MaxDef > 0 {
				col.Defs = []byte{tc.typ.MaxDef, 0}
			}
			before := columnar.Column{Type: col.Type, Defs: slices.Clone(col.Defs), Fixed: slices.Clone(col.Fixed)}
			slots, err := col.ExtendFixed(tc.n, tc.defs)
			if tc.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				if !bytes.Equal(col.Defs, before.Defs) || !bytes.Equal(col.Fixed, before.Fixed) {
					t.Fatalf("column changed by a refused page: defs %v fixed %v", col.Defs, col.Fixed)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			w := tc.typ.Width
			if len(slots) != tc.n*w || cap(slots) != len(slots) {
				t.Fatalf("slots len %d cap %d, want %d", len(slots), cap(slots), tc.n*w)
			}
			for k := range slots {
				slots[k] = 0xEE
			}
			if !bytes.Equal(col.Fixed[:len(before.Fixed)], before.Fixed) {
				t.Fatalf("rows before changed: %v, want %v", col.Fixed[:len(before.Fixed)], before.Fixed)
			}
			if !bytes.Equal(col.Fixed[len(before.Fixed):], bytes.Repeat([]byte{0xEE}, tc.n*w)) {
				t.Fatalf("slots are not the column's last %d bytes: %v", tc.n*w, col.Fixed)
			}
			if want := append(before.Defs, tc.defs...); tc.typ.MaxDef > 0 && !bytes.Equal(col.Defs, want) {
				t.Fatalf("defs %v, want %v", col.Defs, want)
			}
			if got := col.Rows(); got != 2+tc.n {
				t.Fatalf("%d rows, want %d", got, 2+tc.n)
			}
		})
	}
}

// TestAppendIndexedBytes expands pages of dictionary indexes into a
// ByteArray column with AppendIndexedBytes and with AppendIndexed, page
// after page into one column, and wants the same column: values of every
// length around the word copies' (0 to 40 bytes, the dictionary's last
// values too), with and without nulls, and the same refusals, which leave
// the column as it was.
func TestAppendIndexedBytes(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	dict := &columnar.Column{Type: columnar.Type{Kind: parquet.ByteArray}}
	var vals []byte
	offsets := []uint32{0}
	for k := range 41 {
		for range k {
			vals = append(vals, byte('a'+r.IntN(26)))
		}
		offsets = append(offsets, uint32(len(vals)))
	}
	if err := dict.AppendByteArrays(41, nil, vals, offsets); err != nil {
		t.Fatal(err)
	}
	for _, maxDef := range []byte{0, 1, 2} {
		typ := columnar.Type{Kind: parquet.ByteArray, MaxDef: maxDef}
		fast, slow := &columnar.Column{Type: typ}, &columnar.Column{Type: typ}
		for page := range 30 {
			n := r.IntN(300)
			var defs []byte
			defined := n
			if maxDef > 0 {
				defs = make([]byte, n)
				defined = 0
				for k := range defs {
					defs[k] = maxDef
					if page%2 == 1 && r.IntN(4) == 0 {
						defs[k] = byte(r.IntN(int(maxDef)))
					}
					if defs[k] == maxDef {
						defined++
					}
				}
			}
			indexes := make([]int32, defined)
			for k := range indexes {
				indexes[k] = int32(r.IntN(41))
			}
			errFast := fast.AppendIndexedBytes(n, defs, indexes, dict)
			errSlow := slow.AppendIndexed(n, defs, indexes, dict)
			if errFast != nil || errSlow != nil {
				t.Fatalf("maxDef %d page %d: %v, %v", maxDef, page, errFast, errSlow)
			}
			if !bytes.Equal(fast.Defs, slow.Defs) || !bytes.Equal(fast.Bytes, slow.Bytes) || !slices.Equal(fast.Offsets, slow.Offsets) {
				t.Fatalf("maxDef %d page %d: columns differ", maxDef, page)
			}
		}
		held := columnar.Column{Type: typ, Defs: slices.Clone(fast.Defs), Offsets: slices.Clone(fast.Offsets), Bytes: slices.Clone(fast.Bytes)}
		allDefs := func(n int) []byte {
			if maxDef == 0 {
				return nil
			}
			return bytes.Repeat([]byte{maxDef}, n)
		}
		for _, bad := range []struct {
			name    string
			n       int
			defs    []byte
			indexes []int32
		}{
			{"index past the dictionary", 2, allDefs(2), []int32{3, 41}},
			{"negative index", 1, allDefs(1), []int32{-1}},
			{"fewer indexes than rows", 3, allDefs(3), []int32{1, 2}},
			{"level above the maximum", 1, []byte{maxDef + 1}, []int32{1}},
		} {
			if err := fast.AppendIndexedBytes(bad.n, bad.defs, bad.indexes, dict); err == nil {
				t.Errorf("maxDef %d: %s: no error", maxDef, bad.name)
			}
			if !bytes.Equal(fast.Defs, held.Defs) || !bytes.Equal(fast.Bytes, held.Bytes) || !slices.Equal(fast.Offsets, held.Offsets) {
				t.Fatalf("maxDef %d: %s: column changed", maxDef, bad.name)
			}
		}
	}
}
