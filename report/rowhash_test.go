package report_test

import (
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/report"
)

// hashSchema has a column of every physical type, required and optional.
var hashSchema = parquet.NewSchema("t", parquet.Group{
	"b":   parquet.Leaf(parquet.BooleanType),
	"bo":  parquet.Optional(parquet.Leaf(parquet.BooleanType)),
	"i32": parquet.Leaf(parquet.Int32Type),
	"i3o": parquet.Optional(parquet.Leaf(parquet.Int32Type)),
	"i64": parquet.Leaf(parquet.Int64Type),
	"i6o": parquet.Optional(parquet.Leaf(parquet.Int64Type)),
	"i96": parquet.Optional(parquet.Leaf(parquet.Int96Type)),
	"f32": parquet.Optional(parquet.Leaf(parquet.FloatType)),
	"f64": parquet.Leaf(parquet.DoubleType),
	"f6o": parquet.Optional(parquet.Leaf(parquet.DoubleType)),
	"fix": parquet.Optional(parquet.Leaf(parquet.FixedLenByteArrayType(5))),
	"s":   parquet.String(),
	"so":  parquet.Optional(parquet.String()),
})

// hashValue returns a value of column c's kind drawn from few choices
// (so that rows repeat), or null one time in four if optional.
func hashValue(r *rand.Rand, leaf parquet.Field, c int) parquet.Value {
	if leaf.Optional() && r.IntN(4) == 0 {
		return parquet.NullValue().Level(0, 0, c)
	}
	x := r.IntN(3)
	var v parquet.Value
	switch leaf.Type().Kind() {
	case parquet.Boolean:
		v = parquet.BooleanValue(x == 1)
	case parquet.Int32:
		v = parquet.Int32Value(int32(x) - 1)
	case parquet.Int64:
		v = parquet.Int64Value(int64(x) << 40)
	case parquet.Int96:
		v = parquet.Int96Value(deprecated.Int96{uint32(x), 7, 1 << 31})
	case parquet.Float:
		v = parquet.FloatValue(float32(x) / 4)
	case parquet.Double:
		v = parquet.DoubleValue(float64(x) - 0.5)
	case parquet.FixedLenByteArray:
		v = parquet.FixedLenByteArrayValue([]byte{byte(x), 0, 0, 0, 1})
	default:
		v = parquet.ByteArrayValue([]byte("value " + string(rune('a'+x))))
	}
	def := 0
	if leaf.Optional() {
		def = 1
	}
	return v.Level(0, def, c)
}

// TestRowHash checks the fast row hash of the leak check: computed a
// column at a time from batches, or a value at a time from rows, it is
// the same; equal rows have equal hashes, and rows differing in one
// value (rowState is a bijection of the state for each value) never do.
func TestRowHash(t *testing.T) {
	layout, err := columnar.LayoutOf(hashSchema)
	if err != nil {
		t.Fatal(err)
	}
	leaves := hashSchema.Fields()
	r := rand.New(rand.NewPCG(5, 6))
	const n = 3000
	batch := columnar.New(layout, n)
	for i := range n {
		// A third of the rows copy an earlier one.
		src := -1
		if i > 0 && r.IntN(3) == 0 {
			src = r.IntN(i)
		}
		for c, leaf := range leaves {
			v := hashValue(r, leaf, c)
			if src >= 0 {
				v = batch.Value(c, src)
			}
			if err := batch.Cols[c].AppendValue(v); err != nil {
				t.Fatal(err)
			}
		}
		batch.Len++
	}
	got, rows, err := report.HashRows(hashSchema, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || len(rows) != n {
		t.Fatalf("%d hashes from the batch, %d from rows, want %d", len(got), len(rows), n)
	}
	byHash := map[uint64]int{}
	for i := range n {
		if got[i] != rows[i] {
			t.Fatalf("row %d: hash %#x from the batch, %#x from its values", i, got[i], rows[i])
		}
		j, ok := byHash[got[i]]
		if !ok {
			byHash[got[i]] = i
			continue
		}
		same := true
		for c := range leaves {
			if !parquet.Equal(batch.Value(c, i), batch.Value(c, j)) || batch.Value(c, i).IsNull() != batch.Value(c, j).IsNull() {
				same = false
			}
		}
		if !same {
			t.Errorf("rows %d and %d differ and share hash %#x", j, i, got[i])
		}
	}
	if len(byHash) > n-n/4 {
		t.Fatalf("%d distinct hashes among %d rows of few values: the test should have equal rows", len(byHash), n)
	}
	// Each row with one value changed (to another of its column's
	// choices, or to null) hashes differently.
	one := columnar.New(layout, 1)
	for i := range 200 {
		for c, leaf := range leaves {
			one.Len = 0
			for k := range one.Cols {
				one.Cols[k] = columnar.New(layout, 1).Cols[k]
			}
			v := batch.Value(c, i)
			for parquet.Equal(v, batch.Value(c, i)) && v.IsNull() == batch.Value(c, i).IsNull() {
				v = hashValue(r, leaf, c)
			}
			for k := range leaves {
				w := batch.Value(k, i)
				if k == c {
					w = v
				}
				if err := one.Cols[k].AppendValue(w); err != nil {
					t.Fatal(err)
				}
			}
			one.Len = 1
			h, _, err := report.HashRows(hashSchema, one)
			if err != nil {
				t.Fatal(err)
			}
			if h[0] == got[i] {
				t.Errorf("row %d with column %d changed to %v: same hash %#x", i, c, v, h[0])
			}
		}
	}
}
