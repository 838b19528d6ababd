package sources_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/endian"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sources"
)

// flatArrow returns rec without its list and map columns, whose schema
// batches cannot hold, and, if plain, without its dictionary and view
// columns, which ranges are not read from.
func flatArrow(rec arrow.RecordBatch, plain bool) arrow.RecordBatch {
	var fields []arrow.Field
	var cols []arrow.Array
	for k, f := range rec.Schema().Fields() {
		switch f.Type.(type) {
		case *arrow.ListType, *arrow.LargeListType, *arrow.MapType:
			continue
		case *arrow.DictionaryType, *arrow.StringViewType, *arrow.BinaryViewType:
			if plain {
				continue
			}
		}
		fields = append(fields, f)
		cols = append(cols, rec.Column(k))
	}
	md := rec.Schema().Metadata()
	return array.NewRecordBatch(arrow.NewSchema(fields, &md), cols, rec.NumRows())
}

// untidyArrow builds a record whose arrays hold what writers may leave
// under nulls: bytes in a null string's slot, a value in a null integer's,
// a null inside a dictionary, and a struct whose null rows have defined
// children.
func untidyArrow(mem memory.Allocator) arrow.RecordBatch {
	valid := memory.NewBufferBytes([]byte{0b1101})
	str := array.NewStringData(array.NewData(arrow.BinaryTypes.String, 4,
		[]*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes([]int32{0, 3, 6, 6, 9})), memory.NewBufferBytes([]byte("abcdefghi"))}, nil, 1, 0))
	ints := array.NewInt64Data(array.NewData(arrow.PrimitiveTypes.Int64, 4,
		[]*memory.Buffer{valid, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes([]int64{1, 2, 3, 4}))}, nil, 1, 0))
	db := array.NewDictionaryBuilder(mem, &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}).(*array.BinaryDictionaryBuilder)
	defer db.Release()
	for _, s := range []string{"x", "", "y", "x"} {
		_ = db.AppendString(s)
	}
	dictArr := db.NewDictionaryArray()
	// A dictionary with a null value: index 1 selects it.
	vb := array.NewStringBuilder(mem)
	vb.Append("x")
	vb.AppendNull()
	vb.Append("y")
	values := vb.NewStringArray()
	dict := array.NewDictionaryArray(dictArr.DataType(), dictArr.Indices(), values)
	child := array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, 4,
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes([]int32{7, 8, 9, 10}))}, nil, 0, 0))
	st := array.NewStructData(array.NewData(arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32}), 4,
		[]*memory.Buffer{memory.NewBufferBytes([]byte{0b0110})}, []arrow.ArrayData{child.Data()}, 2, 0))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: str.DataType(), Nullable: true},
		{Name: "i", Type: ints.DataType(), Nullable: true},
		{Name: "d", Type: dict.DataType(), Nullable: true},
		{Name: "st", Type: st.DataType(), Nullable: true},
	}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{str, ints, dict, st}, 4)
}

// arrowBatchInput is an Arrow input and whether ranges of its record
// batches are read from their buffers (Arrow.ReadsRanges).
type arrowBatchInput struct {
	data   []byte
	ranged bool
}

// arrowBatchInputs writes the flat test record, whole and sliced into
// record batches (an empty one among them), in both formats and every
// body compression, with and without its dictionary and view columns, and
// the untidy record, with and without its dictionary.
func arrowBatchInputs(t *testing.T) map[string]arrowBatchInput {
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(7, 9))
	full := arrowRecord(t, mem, randomArrowRows(rng, 300))
	defer full.Release()
	untidy := untidyArrow(mem)
	defer untidy.Release()
	inputs := map[string]arrowBatchInput{}
	codecs := map[string][]ipc.Option{"none": nil, "lz4": {ipc.WithLZ4()}, "zstd": {ipc.WithZstd()}}
	for _, plain := range []bool{false, true} {
		rec := flatArrow(full, plain)
		defer rec.Release()
		var parts []arrow.RecordBatch
		for _, p := range [][2]int64{{0, 120}, {120, 120}, {120, 300}} {
			parts = append(parts, rec.NewSlice(p[0], p[1]))
		}
		odd := flatArrow(untidy, plain)
		defer odd.Release()
		for name, opts := range codecs {
			for _, stream := range []bool{false, true} {
				kind := fmt.Sprintf("%s-stream=%v-plain=%v", name, stream, plain)
				ranged := plain && opts == nil
				inputs["types-"+kind] = arrowBatchInput{writeArrow(t, mem, stream, rec.Schema(), parts, opts...), ranged}
				inputs["untidy-"+kind] = arrowBatchInput{writeArrow(t, mem, stream, odd.Schema(), []arrow.RecordBatch{odd}, opts...), ranged}
			}
		}
		for _, p := range parts {
			p.Release()
		}
	}
	return inputs
}

// sameValues reports whether two rows hold the same values at the same
// levels and columns.
func sameValues(a, b parquet.Row) bool {
	if len(a) != len(b) {
		return false
	}
	for k := range a {
		x, y := a[k], b[k]
		if x.IsNull() != y.IsNull() || x.DefinitionLevel() != y.DefinitionLevel() ||
			x.RepetitionLevel() != y.RepetitionLevel() || x.Column() != y.Column() || !parquet.Equal(x, y) {
			return false
		}
	}
	return true
}

// TestArrowBatchMatchesRows checks that every record batch, and ranges of
// it, read as a columnar batch holds the rows ReadUnit yields: every type
// the mapping handles, nulls at every level, dictionaries, compressed
// bodies, both formats, and batches reused across reads.
func TestArrowBatchMatchesRows(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	for name, in := range arrowBatchInputs(t) {
		t.Run(name, func(t *testing.T) {
			data := in.data
			a, err := sources.OpenArrow("t.arrow", bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			defer a.Close()
			if _, err := a.Layout(); err != nil {
				t.Fatal(err)
			}
			var reuse *columnar.Batch
			for i := range a.NumUnits() {
				var want []parquet.Row
				err := a.ReadUnit(ctx, i, 50, func(rows []parquet.Row) error {
					for _, r := range rows {
						want = append(want, r.Clone())
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				if got := a.ReadsRanges(i); got != in.ranged {
					t.Fatalf("record batch %d: ReadsRanges %v, want %v", i, got, in.ranged)
				}
				b, err := a.ReadBatchInto(ctx, i, reuse)
				if err != nil {
					t.Fatal(err)
				}
				checkBatchRows(t, b, want, 0)
				reuse = b
				n := int64(len(want))
				for k := range 20 {
					r := [2]int64{0, n}
					if k > 0 && n > 0 {
						r[0] = rng.Int64N(n)
						r[1] = rng.Int64N(n - r[0] + 1)
					}
					rb, err := a.ReadBatchRangeInto(ctx, i, r[0], r[1], nil)
					if err != nil {
						t.Fatalf("range %v: %v", r, err)
					}
					checkBatchRows(t, rb, want[r[0]:r[0]+r[1]], int(r[0]))
				}
			}
		})
	}
}

// checkBatchRows fails unless b holds rows want, the first of which is row
// first of its record batch.
func checkBatchRows(t *testing.T, b *columnar.Batch, want []parquet.Row, first int) {
	t.Helper()
	if b.Len != len(want) {
		t.Fatalf("batch of %d rows, want %d", b.Len, len(want))
	}
	for r := range want {
		if got := b.Row(nil, r); !sameValues(got, want[r]) {
			t.Fatalf("row %d:\n got  %v\n want %v", first+r, got, want[r])
		}
	}
}

// TestArrowBatchRefused checks that a schema with lists is refused by
// Layout and ReadBatch with ErrUnsupported and ErrRepeated, for the row
// path to read it, and that a null in a field that is not nullable is
// corruption naming the column, as in ReadUnit.
func TestArrowBatchRefused(t *testing.T) {
	mem := memory.NewGoAllocator()
	rec := arrowRecord(t, mem, randomArrowRows(rand.New(rand.NewPCG(1, 2)), 5))
	defer rec.Release()
	data := writeArrow(t, mem, false, rec.Schema(), []arrow.RecordBatch{rec})
	a, err := sources.OpenArrow("l.arrow", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.Layout(); !errors.Is(err, sources.ErrUnsupported) || !errors.Is(err, columnar.ErrRepeated) {
		t.Fatalf("Layout: %v, want ErrUnsupported and ErrRepeated", err)
	}
	if _, err := a.ReadBatch(context.Background(), 0); !errors.Is(err, sources.ErrUnsupported) {
		t.Fatalf("ReadBatch: %v, want ErrUnsupported", err)
	}

	b := array.NewInt64Builder(mem)
	b.Append(1)
	b.AppendNull()
	arr := b.NewInt64Array()
	data = oneColumn(t, mem, arrow.Field{Name: "n", Type: arrow.PrimitiveTypes.Int64}, arr)
	a, err = sources.OpenArrow("n.arrow", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, err = a.ReadBatch(context.Background(), 0)
	var ie *sources.InputError
	if !errors.As(err, &ie) || !errors.Is(err, sources.ErrCorrupt) || ie.Column != "n" || ie.RowGroup != 0 || ie.Unit != sources.UnitRecordBatch {
		t.Fatalf("ReadBatch: %v, want corruption in column n of record batch 0", err)
	}
	rowErr := a.ReadUnit(context.Background(), 0, 10, func([]parquet.Row) error { return nil })
	if !errors.Is(rowErr, sources.ErrCorrupt) {
		t.Fatalf("ReadUnit: %v, want corruption", rowErr)
	}
}

// TestArrowBatchBigEndian checks that a record batch of big-endian
// buffers, which arrow-go swaps as it decodes them (and then reports the
// schema as little-endian), is not read by ranges of its raw bytes, and
// that its ranges hold ReadUnit's values.
func TestArrowBatchBigEndian(t *testing.T) {
	mem := memory.NewGoAllocator()
	want := []int64{1, -2, 1 << 40, 7, 9, 11, 13, 15, 17, 19}
	for _, stream := range []bool{false, true} {
		data := bigEndianArrow(t, mem, stream, want, nil)
		a, err := sources.OpenArrow("be.arrow", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		if a.ReadsRanges(0) {
			t.Errorf("stream %v: a big-endian record batch is read by ranges", stream)
		}
		got, err := a.ReadBatchRangeInto(context.Background(), 0, 3, 5, nil)
		if err != nil {
			t.Fatal(err)
		}
		for r := range got.Len {
			if v := got.Value(0, r).Int64(); v != want[3+r] {
				t.Fatalf("stream %v: row %d = %d, want %d", stream, 3+r, v, want[3+r])
			}
		}
	}
}

// bigEndianArrow writes one record batch of a nullable int64 column "v"
// of values (valid: which are not null; nil: all) as big-endian buffers,
// which arrow-go swaps as it decodes them.
func bigEndianArrow(t *testing.T, mem memory.Allocator, stream bool, values []int64, valid []bool) []byte {
	swapped := make([]int64, len(values))
	for k, v := range values {
		swapped[k] = int64(bits.ReverseBytes64(uint64(v)))
	}
	b := array.NewInt64Builder(mem)
	defer b.Release()
	b.AppendValues(swapped, valid)
	arr := b.NewInt64Array()
	defer arr.Release()
	schema := arrow.NewSchemaWithEndian([]arrow.Field{{Name: "v", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil, endian.BigEndian)
	rec := array.NewRecordBatch(schema, []arrow.Array{arr}, int64(arr.Len()))
	defer rec.Release()
	return writeArrow(t, mem, stream, schema, []arrow.RecordBatch{rec})
}
