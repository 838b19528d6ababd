package sinks_test

import (
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sinks"
)

// float16Leaf is FIXED_LEN_BYTE_ARRAY(2) annotated FLOAT16, as a source
// presents a FLOAT16 column (parquet-go v0.32 has no such type of its own).
type float16Leaf struct{ parquet.Type }

func (float16Leaf) LogicalType() *format.LogicalType {
	return &format.LogicalType{Value: &format.Float16Type{}}
}

// half returns the FLOAT16 value with bits h, stored little-endian.
func half(h uint16, col int) parquet.Value {
	return parquet.FixedLenByteArrayValue([]byte{byte(h), byte(h >> 8)}).Level(0, 0, col)
}

// TestFloat16RoundTrip writes FLOAT16 columns beside a bare
// FIXED_LEN_BYTE_ARRAY(2) one. The FLOAT16 leaves must keep their logical
// type in the footer (it was dropped, so DuckDB read them as BLOB) and,
// since parquet-go would order their little-endian bytes rather than the
// numbers, carry no min/max anywhere; the bare column keeps its bytewise
// bounds and no annotation. Values come back as written.
func TestFloat16RoundTrip(t *testing.T) {
	f16 := parquet.Leaf(float16Leaf{parquet.FixedLenByteArrayType(2)})
	schema := parquet.NewSchema("schema", parquet.Group{
		"a": f16,
		"b": parquet.Optional(f16),
		"c": parquet.Leaf(parquet.FixedLenByteArrayType(2)),
	})
	// 1.0, -2.0, NaN, 0.5 and -0.0: bytewise the largest is -2.0 (00 c0),
	// the smallest 1.0 (00 3c) or -0.0 (00 80) by first byte.
	bits := []uint16{0x3c00, 0xc000, 0x7e00, 0x3800, 0x8000}
	var rows []parquet.Row
	for i, h := range bits {
		b := half(h, 1).Level(0, 1, 1)
		if i == 2 {
			b = parquet.NullValue().Level(0, 0, 1)
		}
		rows = append(rows, parquet.Row{half(h, 0), b, half(h, 2)})
	}
	opts := sinks.ParquetOptions{}
	enc, err := sinks.NewRowGroupEncoder(schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	data := writeFile(t, schema, opts, nil, encodeGroups(t, enc, [][]parquet.Row{rows}))
	meta := rawFooter(t, data)

	tests := []struct {
		name    string
		float16 bool
		nulls   int64
	}{
		{"a", true, 0},
		{"b", true, 1},
		{"c", false, 0},
	}
	for i, tt := range tests {
		e := meta.Schema[i+1]
		if e.Name != tt.name {
			t.Fatalf("schema element %d is %q, want %q", i+1, e.Name, tt.name)
		}
		_, isF16 := e.LogicalType.Value.(*format.Float16Type)
		if isF16 != tt.float16 || e.Type.V != format.FixedLenByteArray || e.TypeLength.V != 2 {
			t.Errorf("column %s: footer says %v(%d) logical type %v, want FIXED_LEN_BYTE_ARRAY(2) FLOAT16=%v", tt.name, e.Type.V, e.TypeLength.V, e.LogicalType.Value, tt.float16)
		}
		cc := &meta.RowGroups[0].Columns[i]
		st := cc.MetaData.Statistics
		if st.NullCount != tt.nulls {
			t.Errorf("column %s: null count %d, want %d", tt.name, st.NullCount, tt.nulls)
		}
		hasBounds := st.MinValue != nil || st.MaxValue != nil || st.Min != nil || st.Max != nil
		for _, p := range walkPages(t, data, &cc.MetaData) {
			if h, ok := p.header.DataPageHeader.Get(); ok && (h.Statistics.MinValue != nil || h.Statistics.MaxValue != nil) {
				hasBounds = true
			}
		}
		if hasBounds == tt.float16 || tt.float16 && cc.ColumnIndexOffset != 0 {
			t.Errorf("column %s: min/max present %v (column index at %d), want present only without FLOAT16", tt.name, hasBounds, cc.ColumnIndexOffset)
		}
	}

	f, back := readBack(t, data)
	compareRows(t, "float16", concat(back), rows)
	// Reading the output again loses the annotation in parquet-go's model
	// (that is why sources restore it): the values are its physical type's.
	if got := f.Schema().Fields()[0].Type().Kind(); got != parquet.FixedLenByteArray {
		t.Errorf("column a reads back as %v", got)
	}
}
