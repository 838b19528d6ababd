package sources

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"
)

// arrowFuzzSeeds writes small Arrow inputs covering both formats, both
// codecs, dictionaries, strings, lists and structs.
func arrowFuzzSeeds(tb testing.TB) [][]byte {
	mem := memory.NewGoAllocator()
	dictType := &arrow.DictionaryType{IndexType: arrow.PrimitiveTypes.Int8, ValueType: arrow.BinaryTypes.String}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "i", Type: arrow.PrimitiveTypes.Int64},
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "v", Type: arrow.BinaryTypes.StringView, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true},
		{Name: "st", Type: arrow.StructOf(arrow.Field{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true}), Nullable: true},
		{Name: "d", Type: dictType, Nullable: true},
	}, nil)
	rec := func(n int) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, schema)
		defer b.Release()
		for k := range n {
			b.Field(0).(*array.Int64Builder).Append(int64(k))
			if k%3 == 0 {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.StringBuilder).Append("value number " + string(rune('a'+k%26)))
			}
			b.Field(2).(*array.StringViewBuilder).Append("a string longer than twelve bytes")
			lb := b.Field(3).(*array.ListBuilder)
			lb.Append(true)
			lb.ValueBuilder().(*array.Int32Builder).AppendValues([]int32{int32(k), 1}, nil)
			sb := b.Field(4).(*array.StructBuilder)
			sb.Append(true)
			sb.FieldBuilder(0).(*array.BooleanBuilder).Append(k%2 == 0)
			if err := b.Field(5).(*array.BinaryDictionaryBuilder).AppendString([]string{"x", "y"}[k%2]); err != nil {
				tb.Fatal(err)
			}
		}
		return b.NewRecordBatch()
	}
	var seeds [][]byte
	for _, opts := range [][]ipc.Option{nil, {ipc.WithZstd()}, {ipc.WithLZ4()}} {
		for _, stream := range []bool{false, true} {
			var buf bytes.Buffer
			opts := append(opts, ipc.WithSchema(schema), ipc.WithAllocator(mem))
			var w interface {
				Write(arrow.RecordBatch) error
				Close() error
			}
			if stream {
				w = ipc.NewWriter(&buf, opts...)
			} else {
				fw, err := ipc.NewFileWriter(&buf, opts...)
				if err != nil {
					tb.Fatal(err)
				}
				w = fw
			}
			// Slices of one batch share its dictionary, which the file
			// format requires.
			r := rec(3)
			for _, part := range [][2]int64{{0, 3}, {0, 0}, {1, 3}} {
				s := r.NewSlice(part[0], part[1])
				err := w.Write(s)
				s.Release()
				if err != nil {
					tb.Fatal(err)
				}
			}
			r.Release()
			if err := w.Close(); err != nil {
				tb.Fatal(err)
			}
			seeds = append(seeds, buf.Bytes())
		}
	}
	return seeds
}

// fuzzArrowDecoded is the decoded size a batch may declare while fuzzing:
// low, because a few compressed bytes may legitimately decode to millions
// of rows (bits of a boolean column), whose shredding took seconds per
// input and slowed the fuzzer a hundredfold.
const fuzzArrowDecoded = 64 << 10

// FuzzArrow opens arbitrary bytes as an Arrow IPC input and reads every
// record batch: that must give rows or an *InputError naming the file,
// never a panic or an allocation the claims in the file alone drive.
func FuzzArrow(f *testing.F) {
	for _, s := range arrowFuzzSeeds(f) {
		f.Add(s)
	}
	f.Add([]byte("ARROW1\x00\x00ARROW1"))
	f.Add([]byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		old := maxArrowDecoded
		maxArrowDecoded = fuzzArrowDecoded
		defer func() { maxArrowDecoded = old }()
		a, err := OpenArrow("f.arrow", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			checkArrowError(t, err)
			return
		}
		defer a.Close()
		var total int64
		for i := range a.NumUnits() {
			var rows int64
			err := a.ReadUnit(context.Background(), i, 7, func(batch []parquet.Row) error {
				rows += int64(len(batch))
				return nil
			})
			if err != nil {
				checkArrowError(t, err)
				continue
			}
			if rows != a.UnitNumRows(i) {
				t.Fatalf("record batch %d: read %d rows, header says %d", i, rows, a.UnitNumRows(i))
			}
			total += rows
		}
	})
}

// checkArrowError fails unless err is an *InputError naming f.arrow and
// wrapping one of the sentinels.
func checkArrowError(t *testing.T, err error) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) || ie.Path != "f.arrow" {
		t.Fatalf("error %v is not an *InputError naming f.arrow", err)
	}
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) {
		t.Fatalf("error %v wraps none of the sentinels", err)
	}
	if ie.RowGroup >= 0 && ie.Unit != UnitRecordBatch {
		t.Fatalf("error %v counts row groups in an Arrow input", err)
	}
}

// TestArrowFuzzSeeds checks that the generated seeds are valid inputs, so
// the fuzzer starts from files that read to the end.
func TestArrowFuzzSeeds(t *testing.T) {
	for k, data := range arrowFuzzSeeds(t) {
		a, err := OpenArrow("f.arrow", bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("seed %d: %v", k, err)
		}
		for i := range a.NumUnits() {
			if err := a.ReadUnit(t.Context(), i, 7, func([]parquet.Row) error { return nil }); err != nil {
				t.Fatalf("seed %d: %v", k, err)
			}
		}
		if a.NumRows() != 5 {
			t.Fatalf("seed %d: %d rows, want 5", k, a.NumRows())
		}
		a.Close()
	}
}
