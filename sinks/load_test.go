package sinks_test

import (
	"bytes"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
)

// TestLoadRoundTrip checks that a row group written alone to a file and
// loaded back appends exactly the bytes the original group appends, for
// every test schema and a few option sets.
func TestLoadRoundTrip(t *testing.T) {
	for _, sc := range testSchemas() {
		for _, opts := range []sinks.ParquetOptions{{}, {Compression: "zstd", PageBufferSize: 1024}, {Compression: "none", Dictionary: true}} {
			enc, err := sinks.NewRowGroupEncoder(sc.schema, opts)
			if err != nil {
				t.Fatal(err)
			}
			gen := newRowGen(sc.schema, 5)
			groups := encodeGroups(t, enc, [][]parquet.Row{gen.rows(700), gen.rows(1), gen.rows(300)})
			loaded := make([]*sinks.EncodedRowGroup, len(groups))
			for i, g := range groups {
				single := writeFile(t, sc.schema, opts, nil, []*sinks.EncodedRowGroup{g})
				if loaded[i], err = enc.Load(single); err != nil {
					t.Fatalf("%s %+v: Load(group %d): %v", sc.name, opts, i, err)
				}
				if loaded[i].NumRows() != g.NumRows() {
					t.Fatalf("%s: loaded %d rows, want %d", sc.name, loaded[i].NumRows(), g.NumRows())
				}
			}
			kv := []sinks.KeyValue{{Key: "k", Value: "v"}}
			want := writeFile(t, sc.schema, opts, kv, groups)
			got := writeFile(t, sc.schema, opts, kv, loaded)
			if !bytes.Equal(got, want) {
				t.Errorf("%s %+v: file of loaded groups differs from the original (%d vs %d bytes)", sc.name, opts, len(got), len(want))
			}
		}
	}
}

func TestLoadRefusesOtherFiles(t *testing.T) {
	sc := testSchemas()[0]
	enc, err := sinks.NewRowGroupEncoder(sc.schema, sinks.ParquetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gen := newRowGen(sc.schema, 1)
	groups := encodeGroups(t, enc, [][]parquet.Row{gen.rows(10), gen.rows(10)})
	two := writeFile(t, sc.schema, sinks.ParquetOptions{}, nil, groups)
	for name, data := range map[string][]byte{"two row groups": two, "truncated": two[:len(two)/2], "empty": nil} {
		if _, err := enc.Load(data); err == nil {
			t.Errorf("%s: Load succeeded, want an error", name)
		}
	}
}

// TestEncodeCheckedSameBytes checks that skipping the row check changes
// nothing in the output, for every test schema.
func TestEncodeCheckedSameBytes(t *testing.T) {
	for _, sc := range testSchemas() {
		enc, err := sinks.NewRowGroupEncoder(sc.schema, sinks.ParquetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rows := newRowGen(sc.schema, 3).rows(500)
		a, err := enc.Encode(&sliceReader{rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		b, err := enc.EncodeChecked(&sliceReader{rows: rows})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(writeFile(t, sc.schema, sinks.ParquetOptions{}, nil, []*sinks.EncodedRowGroup{a}),
			writeFile(t, sc.schema, sinks.ParquetOptions{}, nil, []*sinks.EncodedRowGroup{b})) {
			t.Errorf("%s: EncodeChecked wrote other bytes than Encode", sc.name)
		}
	}
}
