package pipeline

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestGatherScatteredSameAsSlices checks that gathering scattered rows
// builds, column for column, the arrays that slicing and concatenating
// builds, nulls included, for every type takeColumn handles and one it
// does not (a list, which keeps the slicing path), without leaking memory.
func TestGatherScatteredSameAsSlices(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "ts", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
	}, nil)
	r := rand.New(rand.NewPCG(3, 4))
	var recs []arrow.RecordBatch
	for range 3 {
		b := array.NewRecordBuilder(mem, schema)
		for i := range 500 {
			null := i%7 == 0
			for c, f := range b.Fields() {
				if null && c != 0 {
					f.AppendNull()
					continue
				}
				switch fb := f.(type) {
				case *array.BooleanBuilder:
					fb.Append(r.IntN(2) == 0)
				case *array.Int8Builder:
					fb.Append(int8(r.IntN(256) - 128))
				case *array.Int64Builder:
					fb.Append(r.Int64())
				case *array.Uint32Builder:
					fb.Append(r.Uint32())
				case *array.Float64Builder:
					fb.Append(r.Float64())
				case *array.StringBuilder:
					fb.Append("s" + strconv.Itoa(r.IntN(1000)))
				case *array.LargeStringBuilder:
					fb.Append("large " + strconv.Itoa(i))
				case *array.Date32Builder:
					fb.Append(arrow.Date32(r.IntN(20000)))
				case *array.TimestampBuilder:
					fb.Append(arrow.Timestamp(r.Int64N(1 << 50)))
				case *array.ListBuilder:
					fb.Append(true)
					vb := fb.ValueBuilder().(*array.Int32Builder)
					for range r.IntN(3) {
						vb.Append(r.Int32())
					}
				}
			}
		}
		recs = append(recs, b.NewRecordBatch())
		b.Release()
	}
	defer func() {
		for _, rec := range recs {
			rec.Release()
		}
	}()
	var rows []rowRef
	for rec := range recs {
		for row := range 500 {
			if r.IntN(3) > 0 {
				rows = append(rows, rowRef{rec, int64(row)})
			}
		}
	}
	r.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	got, err := gather(mem, schema, recs, rows)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	for c := range schema.NumFields() {
		parts := make([]arrow.Array, len(rows))
		for k, ref := range rows {
			parts[k] = array.NewSlice(recs[ref.rec].Column(c), ref.row, ref.row+1)
		}
		want, err := array.Concatenate(parts, mem)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			t.Fatal(err)
		}
		if !array.Equal(got.Column(c), want) {
			t.Errorf("column %s: gathered values differ from sliced ones", schema.Field(c).Name)
		}
		want.Release()
	}
}
