package sinks_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// EncodingAuto's decision made from a stream's batches where they sit
// (PaysDictionaryRows) is the decision made from their parquet.Values
// (PaysDictionary), on every kind, required and optional (nulls, all
// nulls), at cardinalities from one value to all distinct, over rows cut
// into batches and picks of random sizes; the row sizes the sample is cut
// by are valueBytes' sums, and a sample copied for the next call holds the
// same values.
func TestDictionaryRowsMatchValues(t *testing.T) {
	schemas := append(testSchemas(), schemaCase{"typical", typicalSchema()}, schemaCase{"floats", parquet.NewSchema("floats", parquet.Group{
		"f": parquet.Leaf(parquet.FloatType),
		"d": parquet.Optional(parquet.Leaf(parquet.DoubleType)),
	})})
	for _, sc := range schemas {
		layout, err := columnar.LayoutOf(sc.schema)
		if err != nil {
			continue // repeated fields: the row path's
		}
		for _, distinct := range []int{0, 1, 3, 50, 700, 3000} {
			t.Run(fmt.Sprintf("%s/%d", sc.name, distinct), func(t *testing.T) {
				const n = 3000
				var rows []parquet.Row
				if sc.name == "floats" {
					rows = floatRows(n, distinct)
				} else {
					gen := newRowGen(sc.schema, uint64(distinct)+1)
					if distinct == 0 {
						gen.nullPct = 100
					}
					base := gen.rows(max(distinct, 1))
					for i := range n {
						rows = append(rows, base[i%len(base)])
					}
				}
				r := rand.New(rand.NewPCG(uint64(distinct), 5))
				parts := batchesOf(t, layout, rows, r)
				for c, typ := range layout {
					var vals []parquet.Value
					for _, p := range parts {
						vals = p.AppendValues(vals, c, 0, p.NumRows())
					}
					want := sinks.PaysDictionary(typ.Kind, vals)
					if got := sinks.PaysDictionaryRows(typ.Kind, parts, c); got != want {
						t.Errorf("column %d (%v): from the batches %v, from the values %v", c, typ.Kind, got, want)
					}
				}
				copied := sinks.AppendSample(nil, parts[:len(parts)/2])
				copied = sinks.AppendSample(copied, parts[len(parts)/2:])
				if copied.Len != n {
					t.Fatalf("copied sample holds %d rows, want %d", copied.Len, n)
				}
				at := 0
				for k, p := range parts {
					m := p.NumRows()
					sizes := sinks.SampleRowBytes(p, m)
					for c := range layout {
						got := copied.AppendValues(nil, c, at, at+m)
						for i, v := range p.AppendValues(nil, c, 0, m) {
							sizes[i] -= sinks.ValueBytes(v)
							if !sameValue(got[i], v) {
								t.Fatalf("part %d, row %d, column %d: copied %v, want %v", k, i, c, got[i], v)
							}
						}
					}
					for i, d := range sizes {
						if d != 0 {
							t.Fatalf("part %d, row %d: sample row bytes off by %d", k, i, d)
						}
					}
					at += m
				}
			})
		}
	}
}

// sameValue reports whether a and b are the same value: kind, levels and
// bytes (NaNs are equal when their bits are).
func sameValue(a, b parquet.Value) bool {
	return a.Kind() == b.Kind() && a.IsNull() == b.IsNull() && a.DefinitionLevel() == b.DefinitionLevel() &&
		a.Column() == b.Column() && bytes.Equal(a.Bytes(), b.Bytes())
}

// floatRows returns n rows of a float and an optional double column, whose
// values are drawn from distinct values holding both zeros, NaNs of two
// payloads and infinities (equal as numbers, or unequal to themselves,
// but told apart or not by their bits), nulls every seventh row.
func floatRows(n, distinct int) []parquet.Row {
	special := []float64{0, math.Copysign(0, -1), math.NaN(), math.Float64frombits(0x7ff8000000000001), math.Inf(1), math.Inf(-1)}
	rows := make([]parquet.Row, n)
	for i := range rows {
		k := i % max(distinct, 1)
		x := float64(k) / 3
		if k < len(special) {
			x = special[k]
		}
		// Columns in name order: d, then f.
		d := parquet.DoubleValue(x).Level(0, 1, 0)
		if i%7 == 0 || distinct == 0 {
			d = parquet.NullValue().Level(0, 0, 0)
		}
		rows[i] = parquet.Row{d, parquet.FloatValue(float32(x)).Level(0, 0, 1)}
	}
	return rows
}

// A stream of batches keeps no reference to the caller's batches across
// calls while it samples (a sample spanning calls is copied): batches
// overwritten after each call, pieces far smaller than the sample, give
// the bytes of the rows encoded at once.
func TestStreamSampleOwnsRows(t *testing.T) {
	for _, sc := range []schemaCase{{"typical", typicalSchema()}, testSchemas()[1]} {
		t.Run(sc.name, func(t *testing.T) {
			layout, err := columnar.LayoutOf(sc.schema)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := sinks.NewRowGroupEncoder(sc.schema, sinks.ParquetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			const n = 6000
			rows := newRowGen(sc.schema, 9).rows(n)
			want, err := enc.Encode(&sliceReader{rows: rows})
			if err != nil {
				t.Fatal(err)
			}
			wantFile := writeFile(t, sc.schema, sinks.ParquetOptions{}, nil, []*sinks.EncodedRowGroup{want})
			for _, spool := range []bool{false, true} {
				s := enc.NewStream(true)
				if spool {
					if s, err = enc.NewStreamWith(sinks.StreamOptions{Checked: true, Blocks: sinks.NewBlockPool(4 << 20), Dir: t.TempDir()}); err != nil {
						t.Fatal(err)
					}
				}
				for _, p := range batchesOf(t, layout, rows, rand.New(rand.NewPCG(1, 2))) {
					if err := s.WriteBatches([]columnar.Rows{p}); err != nil {
						t.Fatal(err)
					}
					for _, b := range p.Batches() {
						for c := range b.Cols {
							col := &b.Cols[c]
							for i := range col.Fixed {
								col.Fixed[i] = 0xa5
							}
							for i := range col.Bytes {
								col.Bytes[i] = 'x'
							}
						}
					}
				}
				checkStream(t, s, n, wantFile, sc.schema, sinks.ParquetOptions{})
				s.Close()
			}
		})
	}
}
