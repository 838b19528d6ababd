package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// checkBatchPath reads every unit of src, when it is a [BatchReader], both
// as rows (ReadUnit) and as a columnar batch (ReadBatchInto, reusing the
// previous unit's batch), and fails unless the two give the same values
// with the same kinds and levels, or the same error. readAllText calls it,
// so every test reading a text input through it covers both paths.
func checkBatchPath(t testing.TB, src Source) {
	t.Helper()
	br, ok := src.(BatchReader)
	if !ok {
		return
	}
	layout, err := br.Layout()
	if err != nil {
		t.Fatalf("Layout: %v", err)
	}
	var reuse *columnar.Batch
	for i := range src.NumUnits() {
		var rows []parquet.Row
		rowErr := src.ReadUnit(t.Context(), i, 5, func(batch []parquet.Row) error {
			for _, r := range batch {
				rows = append(rows, r.Clone())
			}
			return nil
		})
		b, err := br.ReadBatchInto(t.Context(), i, reuse)
		if rowErr != nil || err != nil {
			if !sameError(rowErr, err) {
				t.Fatalf("unit %d: batch path error %v, row path error %v", i, err, rowErr)
			}
			return
		}
		if b.Len != len(rows) || len(b.Cols) != len(layout) {
			t.Fatalf("unit %d: batch of %d rows and %d columns, want %d rows and %d columns", i, b.Len, len(b.Cols), len(rows), len(layout))
		}
		for c := range b.Cols {
			if b.Cols[c].Type != layout[c] {
				t.Fatalf("unit %d: column %d is %+v, layout says %+v", i, c, b.Cols[c].Type, layout[c])
			}
		}
		for r, row := range rows {
			for c, want := range row {
				if got := b.Value(c, r); !sameValue(got, want) {
					t.Fatalf("unit %d, row %d, column %d: batch holds %v (kind %v, def %d), rows %v (kind %v, def %d)",
						i, r, c, got, got.Kind(), got.DefinitionLevel(), want, want.Kind(), want.DefinitionLevel())
				}
			}
		}
		reuse = b
	}
}

// sameError reports whether a and b are both errors of the same text
// wrapping the same sentinels.
func sameError(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	for _, s := range []error{ErrCorrupt, ErrUnsupported, ErrSchemaMismatch, ErrChanged} {
		if errors.Is(a, s) != errors.Is(b, s) {
			return false
		}
	}
	var ia, ib *InputError
	if errors.As(a, &ia) != errors.As(b, &ib) || ia != nil && (ia.RowGroup != ib.RowGroup || ia.Line != ib.Line || ia.Column != ib.Column) {
		return false
	}
	return a.Error() == b.Error()
}

// sameValue reports whether a and b are the same value: kind, levels,
// column and bytes (NaN payloads included).
func sameValue(a, b parquet.Value) bool {
	return a.Kind() == b.Kind() && a.IsNull() == b.IsNull() &&
		a.DefinitionLevel() == b.DefinitionLevel() && a.RepetitionLevel() == b.RepetitionLevel() &&
		a.Column() == b.Column() && bytes.Equal(a.Bytes(), b.Bytes())
}

// TestCSVBatchTypes reads files of every column type, with nulls, quotes,
// empty fields, CRLF line ends, a byte order mark and a null text, through
// both paths (readAllText compares them) and checks the batch's levels.
func TestCSVBatchTypes(t *testing.T) {
	all := "s:string,b:bool,i:int64,d:double,day:date,at:timestamp"
	for _, tc := range []struct {
		name string
		data string
		opts CSVOptions
		unit int
	}{
		{"every type", "s,b,i,d,day,at\nx,true,1,1.5,2024-01-02,2024-01-02T03:04:05.123456Z\n,,,,,\n\"q,\"\"\",FALSE,-9223372036854775808,NaN,1970-01-01,2024-05-01 12:30:00+02:00\n",
			CSVOptions{Schema: all}, 65536},
		{"required", "s,b,i,d,day,at\nx,true,1,-0,2024-01-02,2024-01-02\n\"\",TRUE,+07,1e308,0001-01-01,1969-12-31T23:59:59.999999Z\n",
			CSVOptions{Schema: "s:string,b:bool!,i:int64!,d:double!,day:date!,at:timestamp!"}, 1},
		{"CRLF and BOM", "\xEF\xBB\xBFa,b\r\n1,\"multi\r\nline\"\r\n\r\n2,\r\n,z\r\n", CSVOptions{}, 2},
		{"null text", "a;b;c\nNA;;x\n1;NA;NA\n\"NA\";\"\";y\n", CSVOptions{Delimiter: ';', Null: "NA"}, 1},
		{"no header", "1,2.5,t\n,,\n3,-Inf,\"\"\n", CSVOptions{NoHeader: true}, 2},
		{"inferred", "i,f,b,s,e\n1,1.5,true,x,\n-2,.5,FALSE,,\n", CSVOptions{}, 65536},
		{"empty", "a,b\n", CSVOptions{}, 65536},
	} {
		t.Run(tc.name, func(t *testing.T) {
			withUnitRows(t, tc.unit)
			c, err := openCSVString(tc.data, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := readAllText(t, c, 3); err != nil {
				t.Fatal(err)
			}
			for i := range c.NumUnits() {
				b, err := c.ReadBatch(t.Context(), i)
				if err != nil {
					t.Fatal(err)
				}
				for j, col := range b.Cols {
					if required := c.cols[j].Required; (col.Defs == nil) != required || !required && len(col.Defs) != b.Len {
						t.Errorf("unit %d, column %d: %d levels for %d rows (required %v)", i, j, len(col.Defs), b.Len, required)
					}
				}
			}
		})
	}
}

// TestCSVBatchBounded checks that a unit's batch takes no more memory than
// twice the unit's estimate, for units cut by rows and by bytes.
func TestCSVBatchBounded(t *testing.T) {
	old := textUnitBytes
	textUnitBytes = 64 << 10
	defer func() { textUnitBytes = old }()
	var sb strings.Builder
	sb.WriteString("id,x,s\n")
	for i := range 20000 {
		fmt.Fprintf(&sb, "%d,%d.25,%s\n", i, i, strings.Repeat("z", i%97))
	}
	c, err := openCSVString(sb.String(), CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.NumUnits() < 10 {
		t.Fatalf("%d units, want the byte bound to cut more", c.NumUnits())
	}
	for i := range c.NumUnits() {
		b, err := c.ReadBatch(t.Context(), i)
		if err != nil {
			t.Fatal(err)
		}
		if size, cost := b.Size(), c.units[i].cost; size > 2*cost {
			t.Errorf("unit %d: batch of %d bytes, unit estimated at %d", i, size, cost)
		}
	}
}

// TestCSVBatchStops checks that ReadBatch returns the context's error when
// it is cancelled, and an error for a unit out of range.
func TestCSVBatchStops(t *testing.T) {
	data, _ := genCSV(10)
	c, err := openCSVString(data, CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := c.ReadBatch(ctx, 0); !errors.Is(err, ctx.Err()) {
		t.Errorf("ReadBatch with a cancelled context = %v, want %v", err, ctx.Err())
	}
	for _, i := range []int{-1, c.NumUnits()} {
		if _, err := c.ReadBatch(t.Context(), i); err == nil {
			t.Errorf("ReadBatch(%d) of %d units: no error", i, c.NumUnits())
		}
	}
}

// BenchmarkCSVBatch opens and reads into batches the file BenchmarkCSV
// reads as rows.
func BenchmarkCSVBatch(b *testing.B) {
	data := benchCSVData()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var reuse *columnar.Batch
	for b.Loop() {
		c, err := openCSVString(data, CSVOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for i := range c.NumUnits() {
			if reuse, err = c.ReadBatchInto(b.Context(), i, reuse); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchCSVData is the file the CSV benchmarks read: 100,000 records of
// typical fields, an empty one and a quoted one among them.
func benchCSVData() string {
	var sb strings.Builder
	sb.WriteString("id,user,label,score,extra,text,ok\n")
	for i := range 100000 {
		fmt.Fprintf(&sb, "%d,%d,label%d,%g,,\"some text, %d\",true\n", i, i%977, i%13, float64(i)/7, i)
	}
	return sb.String()
}
