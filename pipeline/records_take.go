package pipeline

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Row-by-row gathering for shuffled record splits. Concatenating one slice
// per row costs an allocation per row and column; for the common flat
// types the rows are instead appended to a typed builder. Other types keep
// the slicing path.

// valueArray is an Arrow array of values of type T.
type valueArray[T any] interface {
	arrow.Array
	Value(i int) T
}

// valueBuilder builds an Arrow array of values of type T.
type valueBuilder[T any] interface {
	array.Builder
	Append(v T)
}

// takeTyped builds the values of rows from cols (one array per record),
// when every array is an A; ok is false otherwise.
func takeTyped[T any, A valueArray[T], B valueBuilder[T]](b B, cols []arrow.Array, rows []rowRef) (arrow.Array, bool) {
	typed := make([]A, len(cols))
	for i, c := range cols {
		a, ok := c.(A)
		if !ok {
			b.Release()
			return nil, false
		}
		typed[i] = a
	}
	b.Reserve(len(rows))
	for _, r := range rows {
		a := typed[r.rec]
		if a.IsNull(int(r.row)) {
			b.AppendNull()
		} else {
			b.Append(a.Value(int(r.row)))
		}
	}
	arr := b.NewArray()
	b.Release()
	return arr, true
}

// takeColumn builds the rows' values of a column of a flat type, from cols
// (the column in each record); ok is false for other types.
func takeColumn(mem memory.Allocator, dt arrow.DataType, cols []arrow.Array, rows []rowRef) (arrow.Array, bool) {
	switch dt.ID() {
	case arrow.BOOL:
		return takeTyped[bool, *array.Boolean](array.NewBooleanBuilder(mem), cols, rows)
	case arrow.INT8:
		return takeTyped[int8, *array.Int8](array.NewInt8Builder(mem), cols, rows)
	case arrow.INT16:
		return takeTyped[int16, *array.Int16](array.NewInt16Builder(mem), cols, rows)
	case arrow.INT32:
		return takeTyped[int32, *array.Int32](array.NewInt32Builder(mem), cols, rows)
	case arrow.INT64:
		return takeTyped[int64, *array.Int64](array.NewInt64Builder(mem), cols, rows)
	case arrow.UINT8:
		return takeTyped[uint8, *array.Uint8](array.NewUint8Builder(mem), cols, rows)
	case arrow.UINT16:
		return takeTyped[uint16, *array.Uint16](array.NewUint16Builder(mem), cols, rows)
	case arrow.UINT32:
		return takeTyped[uint32, *array.Uint32](array.NewUint32Builder(mem), cols, rows)
	case arrow.UINT64:
		return takeTyped[uint64, *array.Uint64](array.NewUint64Builder(mem), cols, rows)
	case arrow.FLOAT32:
		return takeTyped[float32, *array.Float32](array.NewFloat32Builder(mem), cols, rows)
	case arrow.FLOAT64:
		return takeTyped[float64, *array.Float64](array.NewFloat64Builder(mem), cols, rows)
	case arrow.STRING:
		return takeTyped[string, *array.String](array.NewStringBuilder(mem), cols, rows)
	case arrow.LARGE_STRING:
		return takeTyped[string, *array.LargeString](array.NewLargeStringBuilder(mem), cols, rows)
	case arrow.DATE32:
		return takeTyped[arrow.Date32, *array.Date32](array.NewDate32Builder(mem), cols, rows)
	case arrow.TIMESTAMP:
		return takeTyped[arrow.Timestamp, *array.Timestamp](array.NewTimestampBuilder(mem, dt.(*arrow.TimestampType)), cols, rows)
	}
	return nil, false
}
