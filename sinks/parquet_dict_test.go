package sinks_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// TestAutoDictionaryChoice checks EncodingAuto's rule of 0.5.0 to 0.7.0
// (RawDictionaryPricing) on one-column chunks: a column gets a dictionary
// when, over the chunk's sample, its distinct values plus one index per
// value take fewer bytes than its PLAIN values; BOOLEAN columns and
// columns of nulls never do. Every file reads back as its rows, and holds
// the same rows as with EncodingPlain.
func TestAutoDictionaryChoice(t *testing.T) {
	const n = 5000
	text := func(i int) []byte { return fmt.Appendf(nil, "%040d", i) }
	cases := []struct {
		name string
		node parquet.Node
		v    func(i int) parquet.Value
		dict bool
	}{
		// 8n bytes PLAIN; 8n for the dictionary alone.
		{"int64 distinct", parquet.Int(64), func(i int) parquet.Value { return parquet.Int64Value(int64(i) * 7919) }, false},
		// 80 bytes of dictionary and 4 bits a value, against 8 bytes.
		{"int64 10 values", parquet.Int(64), func(i int) parquet.Value { return parquet.Int64Value(int64(i % 10)) }, true},
		{"int32 distinct", parquet.Int(32), func(i int) parquet.Value { return parquet.Int32Value(int32(i)) }, false},
		{"int32 300 values", parquet.Int(32), func(i int) parquet.Value { return parquet.Int32Value(int32(i % 300)) }, true},
		{"double 3 values", parquet.Leaf(parquet.DoubleType), func(i int) parquet.Value { return parquet.DoubleValue(float64(i%3) / 2) }, true},
		{"float distinct", parquet.Leaf(parquet.FloatType), func(i int) parquet.Value { return parquet.FloatValue(float32(i) / 3) }, false},
		// A bit a value PLAIN: a dictionary never pays.
		{"boolean", parquet.Leaf(parquet.BooleanType), func(i int) parquet.Value { return parquet.BooleanValue(i%2 == 0) }, false},
		{"string 5 labels", parquet.String(), func(i int) parquet.Value { return parquet.ByteArrayValue([]byte{'a' + byte(i%5)}) }, true},
		{"string distinct", parquet.String(), func(i int) parquet.Value { return parquet.ByteArrayValue(text(i)) }, false},
		{"optional nulls", parquet.Optional(parquet.Int(64)), func(int) parquet.Value { return parquet.NullValue() }, false},
		{"uuid 4 values", parquet.UUID(), func(i int) parquet.Value {
			return parquet.FixedLenByteArrayValue(bytes.Repeat([]byte{byte(i % 4)}, 16))
		}, true},
		{"int96 2 values", parquet.Leaf(parquet.Int96Type), func(i int) parquet.Value {
			return parquet.Int96Value(deprecated.Int96{uint32(i % 2), 0, 1})
		}, true},
		// The sample (the first DictionarySampleRows rows) decides: one
		// value there, distinct values after.
		{"repeats in the sample", parquet.Int(64), func(i int) parquet.Value {
			return parquet.Int64Value(int64(max(i-sinks.DictionarySampleRows, 0)))
		}, true},
		{"distinct in the sample", parquet.Int(64), func(i int) parquet.Value {
			return parquet.Int64Value(int64(min(i, sinks.DictionarySampleRows)))
		}, false},
		// 300 KiB values: the sample ends after four rows (1 MiB), all
		// one value.
		{"long values", parquet.String(), func(i int) parquet.Value {
			if i < 4 {
				return parquet.ByteArrayValue(bytes.Repeat([]byte("x"), 300<<10))
			}
			return parquet.ByteArrayValue(text(i))
		}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			schema := parquet.NewSchema("t", parquet.Group{"c": tc.node})
			rows := oneColumnRows(tc.node, n, tc.v)
			var files [][]byte
			for _, opts := range []sinks.ParquetOptions{{RawDictionaryPricing: true}, {Encoding: sinks.EncodingPlain}} {
				enc, err := sinks.NewRowGroupEncoder(schema, opts)
				if err != nil {
					t.Fatal(err)
				}
				data := writeFile(t, schema, opts, nil, encodeGroups(t, enc, [][]parquet.Row{rows}))
				md := rawFooter(t, data).RowGroups[0].Columns[0].MetaData
				want := tc.dict && opts.Encoding == ""
				if got := md.DictionaryPageOffset > 0; got != want {
					t.Errorf("%s: dictionary page %t, want %t (encodings %v)", optionsName(opts), got, want, md.Encoding)
				}
				_, got := readBack(t, data)
				compareRows(t, optionsName(opts), concat(got), rows)
				files = append(files, data)
			}
			if len(files[0]) > len(files[1]) {
				t.Logf("auto: %d bytes, plain: %d bytes", len(files[0]), len(files[1]))
			}
		})
	}
}

// TestAutoSampleCutByBytes streams row groups whose sample ends at a row
// inside a piece because of its bytes (long texts from row 100 on), as
// rows and as batches in pieces of random sizes: the bytes are those of
// the rows encoded at once.
func TestAutoSampleCutByBytes(t *testing.T) {
	schema := typicalSchema()
	layout, err := columnar.LayoutOf(schema)
	if err != nil {
		t.Fatal(err)
	}
	opts := sinks.ParquetOptions{PageBufferSize: 64 << 10}
	enc, err := sinks.NewRowGroupEncoder(schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{120, 700} {
		rows := typicalRows(0, n)
		for i := 100; i < n; i++ {
			rows[i][5] = parquet.ByteArrayValue(bytes.Repeat([]byte{byte('a' + i%26)}, 20<<10)).Level(0, 0, 5)
		}
		want, err := enc.Encode(&sliceReader{rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		wantFile := writeFile(t, schema, opts, nil, []*sinks.EncodedRowGroup{want})
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("n=%d/seed=%d", n, seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 5))
				s := enc.NewStream(true)
				for lo := 0; lo < n; {
					hi := min(n, lo+1+r.IntN(90))
					if err := s.WriteRows(rows[lo:hi]); err != nil {
						t.Fatal(err)
					}
					lo = hi
				}
				checkStream(t, s, n, wantFile, schema, opts)

				s, err = enc.NewStreamIn(true, t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				parts := batchesOf(t, layout, rows, r)
				for len(parts) > 0 {
					k := min(len(parts), 1+r.IntN(3))
					if err := s.WriteBatches(parts[:k]); err != nil {
						t.Fatal(err)
					}
					parts = parts[k:]
				}
				checkStream(t, s, n, wantFile, schema, opts)
			})
		}
	}
}

// With EncodingAuto, Dictionary changes nothing (splitdata records it as
// true there): the same bytes, and row groups of one go into files of
// the other.
func TestAutoIgnoresDictionary(t *testing.T) {
	schema := typicalSchema()
	rows := typicalRows(0, 3000)
	var files [][]byte
	var groups []*sinks.EncodedRowGroup
	all := []sinks.ParquetOptions{{}, {Encoding: sinks.EncodingAuto, Dictionary: true}}
	for _, opts := range all {
		enc, err := sinks.NewRowGroupEncoder(schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		g := encodeGroups(t, enc, [][]parquet.Row{rows})
		groups = append(groups, g[0])
		files = append(files, writeFile(t, schema, opts, nil, g))
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatalf("Dictionary changed the bytes under EncodingAuto (%d vs %d bytes)", len(files[0]), len(files[1]))
	}
	if got := writeFile(t, schema, all[0], nil, groups[1:]); !bytes.Equal(got, files[0]) {
		t.Fatal("a row group encoded with Dictionary, appended to a file without, changed the file")
	}
}

// TestPaysDictionaryMatchesMaps checks EncodingAuto's choice against the
// rule computed with Go maps, as 0.5.0 computed it: the open-addressing
// sets must count distinct values exactly, so the choice, and the bytes,
// stay those of 0.5.0. Samples of every counted kind, with nulls, at
// cardinalities on both sides of the break-even and at the sizes where a
// table doubles.
func TestPaysDictionaryMatchesMaps(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 22))
	kinds := []parquet.Kind{parquet.Int32, parquet.Int64, parquet.Float, parquet.Double, parquet.Int96, parquet.FixedLenByteArray, parquet.ByteArray}
	for _, kind := range kinds {
		for _, n := range []int{0, 1, 2, 3, 4, 7, 8, 63, 64, 65, 1000, 4096} {
			for _, card := range []int{1, 2, 3, 16, 200, 700, 2000, 1 << 30} {
				vals := make([]parquet.Value, n)
				for i := range vals {
					if r.IntN(7) == 0 {
						vals[i] = parquet.NullValue()
						continue
					}
					x := uint64(r.IntN(min(card, 1<<30)))
					switch kind {
					case parquet.Int32:
						vals[i] = parquet.Int32Value(int32(x))
					case parquet.Float:
						vals[i] = parquet.FloatValue(float32(x) / 3)
					case parquet.Int64:
						vals[i] = parquet.Int64Value(int64(x << 20))
					case parquet.Double:
						vals[i] = parquet.DoubleValue(float64(x) / 7)
					case parquet.Int96:
						vals[i] = parquet.Int96Value(deprecated.Int96{uint32(x), 0, uint32(x >> 32)})
					case parquet.FixedLenByteArray:
						vals[i] = parquet.FixedLenByteArrayValue(fmt.Appendf(nil, "%012d", x))
					default:
						// Lengths vary, and a value may be a prefix of another.
						vals[i] = parquet.ByteArrayValue(fmt.Appendf(nil, "%d", x)[:1+x%5%uint64(len(fmt.Sprint(x)))])
					}
				}
				got, want := sinks.PaysDictionary(kind, vals), paysDictionaryMaps(kind, vals)
				if got != want {
					t.Errorf("%v, %d values of cardinality %d (seed %d): PaysDictionary = %v, maps say %v", kind, n, card, seed, got, want)
				}
			}
		}
	}
}

// paysDictionaryMaps is EncodingAuto's rule as 0.5.0 computed it, with
// maps: the reference of TestPaysDictionaryMatchesMaps.
func paysDictionaryMaps(kind parquet.Kind, vals []parquet.Value) bool {
	var plain, dict, nonNull int64
	seen := map[string]bool{}
	for i := range vals {
		v := &vals[i]
		if v.IsNull() {
			continue
		}
		nonNull++
		var b []byte
		var n int64
		switch kind {
		case parquet.Int32, parquet.Float:
			b, n = binary.LittleEndian.AppendUint32(nil, v.Uint32()), 4
		case parquet.Int64, parquet.Double:
			b, n = binary.LittleEndian.AppendUint64(nil, v.Uint64()), 8
		case parquet.Int96:
			b = v.Bytes()
			n = int64(len(b))
		case parquet.ByteArray:
			b = v.ByteArray()
			n = 4 + int64(len(b))
		default:
			b = v.ByteArray()
			n = int64(len(b))
		}
		plain += n
		if !seen[string(b)] {
			seen[string(b)] = true
			dict += n
		}
	}
	if nonNull == 0 {
		return false
	}
	width := int64(max(bits.Len(uint(len(seen)-1)), 1))
	return dict+(nonNull*width+7)/8 < plain
}

// oneColumnRows returns n rows of one column, node, row i holding v(i)
// (a null where v gives one and node is optional).
func oneColumnRows(node parquet.Node, n int, v func(int) parquet.Value) []parquet.Row {
	rows := make([]parquet.Row, n)
	for i := range rows {
		val := v(i)
		d := 0
		if !val.IsNull() && node.Optional() {
			d = 1
		}
		rows[i] = parquet.Row{val.Level(0, d, 0)}
	}
	return rows
}
