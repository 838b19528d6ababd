package sources_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sources"
)

// unitRows reads record batch i of a with ReadUnit, the rows cloned.
func unitRows(t *testing.T, a *sources.Arrow, i int) ([]parquet.Row, error) {
	t.Helper()
	var rows []parquet.Row
	err := a.ReadUnit(context.Background(), i, 50, func(batch []parquet.Row) error {
		for _, r := range batch {
			rows = append(rows, r.Clone())
		}
		return nil
	})
	return rows, err
}

// flatColumns returns the leaf columns of a's schema that are not
// repeated, and those that are.
func flatColumns(a *sources.Arrow) (flat, repeated []int) {
	s := a.Schema()
	for c, path := range s.Columns() {
		if leaf, _ := s.Lookup(path...); leaf.MaxRepetitionLevel > 0 {
			repeated = append(repeated, c)
		} else {
			flat = append(flat, c)
		}
	}
	return flat, repeated
}

// columnsOfRows reads columns cols of record batch i through ReadColumns
// in batches of batch rows, and fails unless each value is the one
// rows[r] holds for its column (at the same levels) and every row is read.
func columnsOfRows(t *testing.T, a *sources.Arrow, i int, cols []int, batch int, rows []parquet.Row) {
	t.Helper()
	r := 0
	err := a.ReadColumns(context.Background(), i, cols, batch, func(values [][]parquet.Value) error {
		if len(values) != len(cols) {
			return fmt.Errorf("%d columns of values for %d columns", len(values), len(cols))
		}
		for k := range values[0] {
			if r >= len(rows) {
				return fmt.Errorf("more than the %d rows", len(rows))
			}
			for c, col := range cols {
				if len(values[c]) != len(values[0]) {
					return fmt.Errorf("columns of %d and %d values", len(values[c]), len(values[0]))
				}
				want := rowValue(rows[r], col)
				if !sameValues(parquet.Row{values[c][k]}, parquet.Row{want}) {
					return fmt.Errorf("row %d, column %d: got %v, want %v", r, col, values[c][k], want)
				}
			}
			r++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("record batch %d, columns %v: %v", i, cols, err)
	}
	if r != len(rows) {
		t.Fatalf("record batch %d, columns %v: %d rows read, want %d", i, cols, r, len(rows))
	}
}

// rowValue returns row's value of non-repeated leaf column col.
func rowValue(row parquet.Row, col int) parquet.Value {
	for _, v := range row {
		if v.Column() == col {
			return v
		}
	}
	panic(fmt.Sprintf("no value of column %d", col))
}

// checkColumnsMatch fails unless every non-repeated column of every
// record batch of data, read alone and read together, holds the values of
// ReadUnit's rows, and unless a repeated column is refused.
func checkColumnsMatch(t *testing.T, data []byte) {
	t.Helper()
	a, err := sources.OpenArrow("t.arrow", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	flat, repeated := flatColumns(a)
	for i := range a.NumUnits() {
		rows, err := unitRows(t, a, i)
		if err != nil {
			t.Fatal(err)
		}
		for _, col := range flat {
			columnsOfRows(t, a, i, []int{col}, 7, rows)
		}
		rev := slices.Clone(flat)
		slices.Reverse(rev)
		columnsOfRows(t, a, i, rev, 50, rows)
		for _, col := range repeated {
			err := a.ReadColumn(context.Background(), i, col, 7, func([]parquet.Value) error { return nil })
			if err == nil || !strings.Contains(err.Error(), "repeated") {
				t.Fatalf("column %d, repeated: %v", col, err)
			}
		}
	}
}

// TestArrowColumnsMatchRows checks that the columns read alone hold the
// values of ReadUnit's rows: every type the mapping handles, nulls at
// every level, structs, dictionaries and views, lists beside them,
// several record batches and an empty one, both formats and every body
// compression, plain batches (read from their buffers) and others, and
// big-endian files.
func TestArrowColumnsMatchRows(t *testing.T) {
	for name, in := range arrowBatchInputs(t) {
		t.Run(name, func(t *testing.T) { checkColumnsMatch(t, in.data) })
	}
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(5, 6))
	var recs []arrow.RecordBatch
	for _, n := range []int{40, 0, 25} {
		rec := arrowRecord(t, mem, randomArrowRows(rng, n))
		defer rec.Release()
		recs = append(recs, rec)
	}
	for _, stream := range []bool{false, true} {
		t.Run(fmt.Sprintf("lists-stream=%v", stream), func(t *testing.T) {
			checkColumnsMatch(t, writeArrow(t, mem, stream, arrowTestSchema(), recs, ipc.WithZstd()))
		})
		t.Run(fmt.Sprintf("big-endian-stream=%v", stream), func(t *testing.T) {
			checkColumnsMatch(t, bigEndianArrow(t, mem, stream, []int64{1, -2, 1 << 40, 7}, []bool{true, false, true, true}))
		})
	}
}

// TestArrowColumnsReadTheirBuffers checks that reading a small column of
// a plain record batch beside a large one reads the small one's buffers
// and headers, not the large one's bytes, compressed bodies included.
func TestArrowColumnsReadTheirBuffers(t *testing.T) {
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(1, 1))
	kb, sb := array.NewInt32Builder(mem), array.NewBinaryBuilder(mem, arrow.BinaryTypes.Binary)
	defer kb.Release()
	defer sb.Release()
	const n = 1000
	for k := range n {
		kb.Append(int32(k % 3))
		v := make([]byte, 200) // random: compression does not shrink it
		for j := range v {
			v[j] = byte(rng.Uint32())
		}
		sb.Append(v)
	}
	ka, sa := kb.NewArray(), sb.NewArray()
	defer ka.Release()
	defer sa.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: "k", Type: arrow.PrimitiveTypes.Int32}, {Name: "s", Type: arrow.BinaryTypes.Binary}}, nil)
	rec := array.NewRecordBatch(schema, []arrow.Array{ka, sa}, n)
	defer rec.Release()
	for name, opts := range map[string][]ipc.Option{"none": nil, "lz4": {ipc.WithLZ4()}, "zstd": {ipc.WithZstd()}} {
		for _, stream := range []bool{false, true} {
			data := writeArrow(t, mem, stream, schema, []arrow.RecordBatch{rec}, opts...)
			cr := &countingReader{r: bytes.NewReader(data)}
			a, err := sources.OpenArrow("t.arrow", cr, int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			cr.n = 0
			sum := int64(0)
			err = a.ReadColumn(context.Background(), 0, 0, 100, func(values []parquet.Value) error {
				for _, v := range values {
					sum += int64(v.Int32())
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			// The key column is 4000 bytes, the other over 200,000.
			if got := cr.n; sum != n/3*3 || got > 20_000 {
				t.Errorf("%s stream=%v: sum %d, %d bytes read for a column of %d", name, stream, sum, got, 4*n)
			}
			a.Close()
		}
	}
}

// TestArrowColumnsDamaged checks damaged plain record batches, compressed
// or not: truncated, with bytes flipped, with string offsets out of
// order. ReadColumns gives an *InputError or values, and, wherever
// ReadUnit reads the batch, ReadUnit's values; where both fail on
// damage in the column read, the same error.
func TestArrowColumnsDamaged(t *testing.T) {
	mem := memory.NewGoAllocator()
	rng := rand.New(rand.NewPCG(9, 9))
	rec := flatArrow(arrowRecord(t, mem, randomArrowRows(rng, 20)), true)
	defer rec.Release()
	for name, opts := range map[string][]ipc.Option{"none": nil, "zstd": {ipc.WithZstd()}} {
		for _, stream := range []bool{false, true} {
			data := writeArrow(t, mem, stream, rec.Schema(), []arrow.RecordBatch{rec}, opts...)
			step := max(1, len(data)/150)
			for p := 0; p < len(data); p += step {
				damagedColumns(t, fmt.Sprintf("%s stream=%v cut at %d", name, stream, p), data[:p])
				b := slices.Clone(data)
				b[p] ^= byte(1 + rng.IntN(255))
				damagedColumns(t, fmt.Sprintf("%s stream=%v flip at %d", name, stream, p), b)
			}
		}
	}

	// Offsets out of order in the only column: the row path's error.
	offs := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes([]int32{0, 3, 1, 6}))
	str := array.NewStringData(array.NewData(arrow.BinaryTypes.String, 3,
		[]*memory.Buffer{nil, offs, memory.NewBufferBytes([]byte("abcdef"))}, nil, 0, 0))
	defer str.Release()
	data := oneColumn(t, mem, arrow.Field{Name: "s", Type: arrow.BinaryTypes.String}, str)
	a, err := sources.OpenArrow("o.arrow", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	_, rowErr := unitRows(t, a, 0)
	colErr := a.ReadColumn(context.Background(), 0, 0, 10, func([]parquet.Value) error { return nil })
	var ie *sources.InputError
	if !errors.As(colErr, &ie) || !errors.Is(colErr, sources.ErrCorrupt) || ie.RowGroup != 0 || ie.Unit != sources.UnitRecordBatch {
		t.Fatalf("ReadColumn: %v, want corruption in record batch 0", colErr)
	}
	if rowErr == nil || colErr.Error() != rowErr.Error() {
		t.Fatalf("ReadColumn: %v, ReadUnit: %v", colErr, rowErr)
	}
}

// damagedColumns reads every non-repeated column of every record batch
// of data, alone, and checks the outcome against ReadUnit's (see
// TestArrowColumnsDamaged).
func damagedColumns(t *testing.T, what string, data []byte) {
	t.Helper()
	a, err := sources.OpenArrow("d.arrow", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return
	}
	defer a.Close()
	flat, _ := flatColumns(a)
	for i := range a.NumUnits() {
		rows, rowErr := unitRows(t, a, i)
		for _, col := range flat {
			var got []parquet.Value
			err := a.ReadColumn(context.Background(), i, col, 8, func(values []parquet.Value) error {
				for _, v := range values {
					got = append(got, v.Clone())
				}
				return nil
			})
			if err != nil {
				var ie *sources.InputError
				if !errors.As(err, &ie) || ie.Path != "d.arrow" {
					t.Fatalf("%s: column %d: %v is not an InputError", what, col, err)
				}
				if rowErr == nil {
					t.Fatalf("%s: column %d refused, rows read: %v", what, col, err)
				}
				continue
			}
			if rowErr != nil {
				continue // damage in another column
			}
			if len(got) != len(rows) {
				t.Fatalf("%s: column %d: %d values for %d rows", what, col, len(got), len(rows))
			}
			for r, v := range got {
				if want := rowValue(rows[r], col); !sameValues(parquet.Row{v}, parquet.Row{want}) {
					t.Fatalf("%s: column %d row %d: %v, want %v", what, col, r, v, want)
				}
			}
		}
	}
}
