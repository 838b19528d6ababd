package columnar_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// fullRows returns about n rows of testSchema without a null: every value
// at its column's maximum definition level.
func fullRows(t *testing.T, layout columnar.Layout, r *rand.Rand, n int) []parquet.Row {
	t.Helper()
	var rows []parquet.Row
	for len(rows) < n {
	next:
		for _, row := range randomRows(r, n) {
			for _, v := range row {
				if v.DefinitionLevel() != int(layout[v.Column()].MaxDef) {
					continue next
				}
			}
			rows = append(rows, row)
		}
	}
	return rows[:n]
}

// Optional columns without nulls are spilled without their levels (a
// flag instead), whole batches or selections, and read back with them:
// the encoding is a flag and the values per such column, and a batch
// with a single null keeps that column's levels.
func TestSpillEncodingFullLevels(t *testing.T) {
	layout, err := columnar.LayoutOf(testSchema)
	if err != nil {
		t.Fatal(err)
	}
	optional := 0
	for _, c := range layout {
		if c.MaxDef > 0 {
			optional++
		}
	}
	r := rand.New(rand.NewPCG(11, 12))
	full := fullRows(t, layout, r, 200)
	withNull := append(fullRows(t, layout, r, 199), randomRows(r, 1)...)
	for withNull[199][1].DefinitionLevel() == 1 { // b_int32 null in the last row
		withNull[199] = randomRows(r, 1)[0]
	}
	fb, nb := batchOf(t, layout, full), batchOf(t, layout, withNull)
	// b_int32's levels follow its flag.
	nullData := nb.AppendBinary(nil)
	if at := 4 + nb.Len; nullData[at] != 1 || !bytes.Equal(nullData[at+1:at+1+nb.Len], nb.Cols[1].Defs) {
		t.Fatal("levels of a column with a null not written")
	}
	sel := randomSel(rand.New(rand.NewPCG(13, 14)), 200, 120)
	for _, tc := range []struct {
		name string
		b    *columnar.Batch
		rows []parquet.Row
		sel  []int32
	}{
		{"full batch", fb, full, nil},
		{"full selection", fb, full, sel},
		{"batch with a null", nb, withNull, nil},
		{"selection of a batch with a null", nb, withNull, sel},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, want := tc.b.AppendBinary(nil), tc.rows
			if tc.sel != nil {
				data = tc.b.AppendBinaryRows(nil, tc.sel)
				want = make([]parquet.Row, len(tc.sel))
				for k, row := range tc.sel {
					want[k] = tc.rows[row]
				}
				pieces := make([][]byte, 1)
				if err := tc.b.AppendBinaryBins(pieces, [][]int32{tc.sel}); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(pieces[0], data) {
					t.Fatal("AppendBinaryBins and AppendBinaryRows differ")
				}
			}
			if tc.b == fb && tc.sel == nil {
				// The rows count, a flag per optional column, the values.
				size := 4 + optional
				for _, col := range fb.Cols {
					if col.Width > 0 {
						size += col.Width * fb.Len
					} else {
						size += 4*fb.Len + int(col.Offsets[fb.Len]-col.Offsets[0])
					}
				}
				if len(data) != size {
					t.Fatalf("%d bytes, want %d: levels written", len(data), size)
				}
			}
			got, rest, err := columnar.Decode(data, layout)
			if err != nil || len(rest) != 0 {
				t.Fatalf("Decode = %v, %d bytes left", err, len(rest))
			}
			checkRows(t, got, want)
		})
	}
}

// Decode refuses a levels flag other than the two it writes.
func TestSpillEncodingBadFlag(t *testing.T) {
	layout := columnar.Layout{{Kind: parquet.Int32, Width: 4, MaxDef: 1}}
	b := columnar.New(layout, 3)
	if err := b.Cols[0].AppendFixed(3, []byte{1, 1, 1}, make([]byte, 12)); err != nil {
		t.Fatal(err)
	}
	b.Len = 3
	data := b.AppendBinary(nil)
	if want := 4 + 1 + 12; len(data) != want {
		t.Fatalf("%d bytes, want %d (no levels)", len(data), want)
	}
	got, _, err := columnar.Decode(data, layout)
	if err != nil || !bytes.Equal(got.Cols[0].Defs, []byte{1, 1, 1}) {
		t.Fatalf("Decode = levels %v, %v", got.Cols[0].Defs, err)
	}
	for _, flag := range []byte{2, 255} {
		data[4] = flag
		if _, _, err := columnar.Decode(data, layout); err == nil {
			t.Errorf("Decode accepted levels flag %d", flag)
		}
	}
}
