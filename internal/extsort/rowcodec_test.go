package extsort

import (
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// TestSpillCodecRoundTrip checks that every kind of value, nulls and levels
// included, comes back equal, kind for kind, and that damaged data is an
// error, not a panic.
func TestSpillCodecRoundTrip(t *testing.T) {
	rows := []parquet.Row{
		{},
		{parquet.BooleanValue(true).Level(0, 1, 0), parquet.BooleanValue(false).Level(1, 1, 0), parquet.NullValue().Level(0, 0, 1)},
		{parquet.Int32Value(-7).Level(0, 0, 0), parquet.Int64Value(1<<62).Level(0, 0, 1), parquet.Int96Value(deprecated.Int96{1, 2, 3}).Level(0, 0, 2)},
		{parquet.FloatValue(-1.5).Level(0, 0, 0), parquet.DoubleValue(3.25).Level(0, 0, 1), parquet.ByteArrayValue([]byte("héllo")).Level(0, 2, 300)},
		{parquet.FixedLenByteArrayValue([]byte{0, 1, 2, 3}).Level(0, 0, 0), parquet.ByteArrayValue(nil).Level(2, 3, 1), parquet.NullValue().Level(1, 0, 2)},
	}
	var data []byte
	for _, row := range rows {
		data = AppendRow(data, row)
	}
	d := Decoder{data: data}
	for i, want := range rows {
		got, err := d.Row()
		if err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		if !got.Equal(want) {
			t.Fatalf("row %d: got %v, want %v", i, got, want)
		}
		for j := range want {
			if got[j].Kind() != want[j].Kind() || got[j].IsNull() != want[j].IsNull() {
				t.Fatalf("row %d value %d: kind %v null %v, want %v %v", i, j, got[j].Kind(), got[j].IsNull(), want[j].Kind(), want[j].IsNull())
			}
		}
	}
	if d.More() {
		t.Fatal("data left after the last row")
	}
	for cut := range len(data) {
		d := Decoder{data: data[:cut]}
		for d.More() {
			if _, err := d.Row(); err != nil {
				break
			}
		}
	}
}
