package sinks_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/s2"
	"github.com/klauspost/compress/snappy"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sinks"
)

// TestPricedDictionaryChoice checks EncodingAuto's rule since 0.8.0 on
// one-column chunks of 5,000 rows (a sample of 4,096): a dictionary when
// the dictionary page and the indexes take fewer bytes than the PLAIN
// values both raw and compressed as written. The expectations follow
// from the sizes in the comments; with Compression "none" the rule is the
// raw comparison, indexes with their runs.
func TestPricedDictionaryChoice(t *testing.T) {
	const n = 5000
	const minute = 60_000_000 // µs
	r := rand.New(rand.NewPCG(3, 4))
	labels := make([]int, n)
	for i := range labels {
		labels[i] = r.IntN(5)
	}
	random := make([]int64, n)
	for i := range random {
		random[i] = r.Int64()
	}
	cases := []struct {
		name         string
		node         parquet.Node
		v            func(i int) parquet.Value
		none, snappy bool // a dictionary with either codec
	}{
		// 2,048 timestamps of 8 bytes, each twice. Raw, 16 KiB of
		// dictionary and 11-bit indexes (5.5 KiB; a run of 2 does not
		// pay) against 32 KiB PLAIN. Snappy leaves the dictionary of
		// 8-byte values sharing their 5 high bytes at about 6 bytes a
		// value (12 KiB), where PLAIN's second of each two is a copy of
		// the first: about a quarter of 32 KiB.
		{"sorted timestamps by 2", parquet.Timestamp(parquet.Microsecond), func(i int) parquet.Value {
			return parquet.Int64Value(1_600_000_000_000_000 + int64(i/2)*minute)
		}, true, false},
		// 256 timestamps, 16 rows each: 2 KiB of dictionary and a 2-byte
		// run a timestamp (0.5 KiB) against 32 KiB raw; compressed, the
		// dictionary takes about 1.5 KiB and its runs little more, PLAIN
		// about 14 bytes a timestamp (3.5 KiB).
		{"sorted timestamps by 16", parquet.Timestamp(parquet.Microsecond), func(i int) parquet.Value {
			return parquet.Int64Value(1_600_000_000_000_000 + int64(i/16)*minute)
		}, true, true},
		// 5 one-byte labels in random order: 3 bits a row against 5
		// bytes, which snappy cannot shrink to 3 bits.
		{"5 labels at random", parquet.String(), func(i int) parquet.Value {
			return parquet.ByteArrayValue([]byte{'a' + byte(labels[i])})
		}, true, true},
		// Distinct texts: the dictionary is the PLAIN values and the
		// indexes come on top, raw; compressed, snappy's better encoder on
		// the dictionary page may beat its fast one on the values by more
		// than the indexes, but the raw sizes rule it out.
		{"distinct texts", parquet.String(), func(i int) parquet.Value {
			return parquet.ByteArrayValue(fmt.Appendf(nil, "row number %040d", i))
		}, false, false},
		{"distinct random int64", parquet.Int(64), func(i int) parquet.Value {
			return parquet.Int64Value(random[i])
		}, false, false},
		{"boolean", parquet.Leaf(parquet.BooleanType), func(i int) parquet.Value { return parquet.BooleanValue(labels[i] == 0) }, false, false},
		{"nulls", parquet.Optional(parquet.Int(64)), func(int) parquet.Value { return parquet.NullValue() }, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			schema := parquet.NewSchema("t", parquet.Group{"c": tc.node})
			rows := oneColumnRows(tc.node, n, tc.v)
			for _, opts := range []sinks.ParquetOptions{{Compression: "none"}, {}} {
				want := tc.snappy
				if opts.Compression == "none" {
					want = tc.none
				}
				enc, err := sinks.NewRowGroupEncoder(schema, opts)
				if err != nil {
					t.Fatal(err)
				}
				data := writeFile(t, schema, opts, nil, encodeGroups(t, enc, [][]parquet.Row{rows}))
				md := rawFooter(t, data).RowGroups[0].Columns[0].MetaData
				if got := md.DictionaryPageOffset > 0; got != want {
					t.Errorf("%s: dictionary page %t, want %t (encodings %v)", optionsName(opts), got, want, md.Encoding)
				}
				_, got := readBack(t, data)
				compareRows(t, optionsName(opts), concat(got), rows)
			}
		})
	}
}

// dictionaryPages counts the dictionary pages of a snappy file, those
// compressed by snappy's better encoder and, of those, the ones its fast
// encoder would have compressed otherwise.
func dictionaryPages(t *testing.T, data []byte) (pages, better, differ int) {
	t.Helper()
	meta := rawFooter(t, data)
	for g := range meta.RowGroups {
		for c := range meta.RowGroups[g].Columns {
			md := &meta.RowGroups[g].Columns[c].MetaData
			if md.Codec != format.Snappy {
				t.Fatalf("row group %d, column %d: codec %v, want SNAPPY", g, c, md.Codec)
			}
			for _, p := range walkPages(t, data, md) {
				if p.header.Type != format.DictionaryPage {
					continue
				}
				raw := data[p.offset+int64(p.size)-int64(p.header.CompressedPageSize) : p.offset+int64(p.size)]
				body, err := snappy.Decode(nil, raw)
				if err != nil {
					t.Fatalf("row group %d, column %d: dictionary page: %v", g, c, err)
				}
				pages++
				b := s2.EncodeSnappyBetter(nil, body)
				if bytes.Equal(raw, b) {
					better++
					if !bytes.Equal(b, s2.EncodeSnappy(nil, body)) {
						differ++
					}
				}
			}
		}
	}
	return pages, better, differ
}

// TestDictionaryPagesBetter checks that the dictionary pages parquet-go
// writes (the row path) are compressed again by snappy's better encoder
// under the default fast one, and left to the fast one under
// RawDictionaryPricing (0.7.0's pages): sorted timestamps, whose
// dictionary page the fast encoder leaves as it is, and labels.
// TestIndexRunsEveryPath checks that every other path writes the same
// bytes.
func TestDictionaryPagesBetter(t *testing.T) {
	schema := parquet.NewSchema("d", parquet.Group{
		"a_ts":    parquet.Timestamp(parquet.Microsecond),
		"b_ts":    parquet.Int(64),
		"c_label": parquet.String(),
	})
	const n = 6000
	rows := make([]parquet.Row, n)
	for i := range rows {
		ts := 1_600_000_000_000_000 + int64(i/16)*60_000_000
		rows[i] = parquet.Row{
			parquet.Int64Value(ts).Level(0, 0, 0),
			parquet.Int64Value(ts).Level(0, 0, 1),
			parquet.ByteArrayValue(fmt.Appendf(nil, "label %d", i*7%13)).Level(0, 0, 2),
		}
	}
	for _, raw := range []bool{false, true} {
		opts := sinks.ParquetOptions{PageBufferSize: 8192, RawDictionaryPricing: raw}
		enc, err := sinks.NewRowGroupEncoder(schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		rowPath := writeFile(t, schema, opts, nil, encodeGroups(t, enc, [][]parquet.Row{rows}))
		pages, better, differ := dictionaryPages(t, rowPath)
		t.Logf("raw=%t: %d dictionary pages, %d as the better encoder writes them, %d of which the fast one writes otherwise", raw, pages, better, differ)
		if pages != 3 {
			t.Fatalf("raw=%t: %d dictionary pages, want 3 (one a column)", raw, pages)
		}
		switch {
		case !raw && better != pages:
			t.Errorf("%d of %d dictionary pages compressed by the better encoder, want all", better, pages)
		case !raw && differ < 2:
			t.Errorf("the fast encoder would write %d of the dictionary pages as the better one does: the test shows nothing", pages-differ)
		case raw && differ > 0:
			t.Errorf("raw=true: %d dictionary pages compressed by the better encoder, want none", differ)
		}
	}
}
