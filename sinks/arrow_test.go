package sinks_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// arrowSinkRow is a row of logical types the Arrow output maps one to one:
// written to Arrow and read back by sources.OpenArrow it must give the
// same schema and rows.
type arrowSinkRow struct {
	I8      int8     `parquet:"i8,int(8)"`
	U16     uint16   `parquet:"u16,uint(16)"`
	U32     *uint32  `parquet:"u32,optional,uint(32)"`
	U64     uint64   `parquet:"u64,uint(64)"`
	Day     int32    `parquet:"day,date"`
	T32     int32    `parquet:"t32,time(millisecond)"`
	T64     int64    `parquet:"t64,time(nanosecond)"`
	TsUTC   int64    `parquet:"ts_utc,timestamp(microsecond:utc)"`
	TsLocal *int64   `parquet:"ts_local,optional,timestamp(nanosecond:local)"`
	Dec     [9]byte  `parquet:"dec,decimal(3:20)"`
	Str     string   `parquet:"str"`
	F32     *float32 `parquet:"f32,optional"`
	Blob    []byte   `parquet:"blob,optional"`
	Tags    []string `parquet:"tags,list"`
}

func arrowSinkRows(rng *rand.Rand, n int) []parquet.Row {
	schema := parquet.SchemaOf(arrowSinkRow{})
	rows := make([]parquet.Row, n)
	for i := range rows {
		r := arrowSinkRow{
			I8: int8(rng.Uint32()), U16: uint16(rng.Uint32()), U64: rng.Uint64(),
			Day: int32(rng.IntN(50000)), T32: int32(rng.IntN(86400000)), T64: rng.Int64N(86400e9),
			TsUTC: int64(rng.Uint64()), Str: string(rune('a' + rng.IntN(26))),
		}
		if rng.IntN(3) > 0 {
			r.U32, r.TsLocal, r.F32 = new(rng.Uint32()), new(int64(rng.Uint64())), new(rng.Float32())
			r.Blob = []byte{byte(i), 0, 0xff}
		}
		d := rng.Int64() >> rng.IntN(64) // at most 19 digits: within precision 20
		for k := range 9 {
			r.Dec[8-k] = byte(d >> min(8*k, 63))
		}
		for range rng.IntN(3) {
			r.Tags = append(r.Tags, string(rune('A'+rng.IntN(26))))
		}
		rows[i] = schema.Deconstruct(nil, &r)
	}
	return rows
}

// encodeArrow encodes groups on workers goroutines and writes them, in
// order, to an Arrow file.
func encodeArrow(t testing.TB, f sinks.Format, schema *parquet.Schema, kv []sinks.KeyValue, groups [][]parquet.Row, workers int) []byte {
	t.Helper()
	enc, err := f.NewEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	chunks := make([]sinks.Chunk, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Go(func() {
			for i := range next {
				chunks[i], errs[i] = enc.Encode(&sliceReader{rows: groups[i], max: 3})
			}
		})
	}
	for i := range groups {
		next <- i
	}
	close(next)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := f.NewFileWriter(&buf, schema, kv)
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range chunks {
		if c.NumRows() != int64(len(groups[i])) || (c.NumRows() > 0 && c.Size() <= 0) {
			t.Fatalf("chunk %d: %d rows, %d bytes; want %d rows", i, c.NumRows(), c.Size(), len(groups[i]))
		}
		if err := w.Append(c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readArrow reads an Arrow file back with the Arrow source.
func readArrow(t testing.TB, data []byte) (*sources.Arrow, []parquet.Row) {
	t.Helper()
	src, err := sources.OpenArrow("out.arrow", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	var rows []parquet.Row
	for i := range src.NumUnits() {
		err := src.ReadUnit(context.Background(), i, 7, func(batch []parquet.Row) error {
			for _, r := range batch {
				rows = append(rows, r.Clone())
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return src, rows
}

// TestArrowOutputRoundTrip writes rows to Arrow and reads them back with
// the Arrow source: Parquet → Arrow → Parquet gives the same rows, and the
// same schema for schemas made of the types the two mappings share.
func TestArrowOutputRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, tc := range []struct {
		name       string
		schema     *parquet.Schema
		rows       []parquet.Row
		sameSchema bool
	}{
		{"logical", parquet.SchemaOf(arrowSinkRow{}), arrowSinkRows(rng, 60), true},
		// Bare repeated fields come back as lists, plain INT64 as INT(64):
		// other schema, same rows.
		{"nested", testSchemas()[3].schema, newRowGen(testSchemas()[3].schema, 1).rows(60), false},
		{"typical", typicalSchema(), typicalRows(0, 60), false},
	} {
		for _, comp := range []string{"", "zstd", "lz4"} {
			t.Run(tc.name+"/"+comp, func(t *testing.T) {
				kv := []sinks.KeyValue{{Key: "split", Value: "train"}, {Key: "a", Value: "b"}}
				groups := splitRows(tc.rows, 20, 0, 33, 7)
				data := encodeArrow(t, sinks.Arrow(sinks.ArrowOptions{Compression: comp}), tc.schema, kv, groups, 3)
				src, got := readArrow(t, data)
				compareRows(t, "round trip", got, tc.rows)
				if d := sources.SchemaDiff(tc.schema, src.Schema()); tc.sameSchema && d != "" {
					t.Errorf("schema: %s", d)
				}
				wantKV := []sources.KeyValue{{Key: "split", Value: "train"}, {Key: "a", Value: "b"}}
				if !slices.Equal(src.KeyValueMetadata(), wantKV) {
					t.Errorf("metadata %v, want %v", src.KeyValueMetadata(), wantKV)
				}
				if src.NumUnits() != 3 { // the empty chunk is skipped
					t.Errorf("%d record batches, want 3", src.NumUnits())
				}
			})
		}
	}
}

// TestArrowOutputDeterministic checks that the bytes depend on the rows
// only: not on the goroutines that encoded them, nor on how the reader
// hands them over.
func TestArrowOutputDeterministic(t *testing.T) {
	schema := parquet.SchemaOf(arrowSinkRow{})
	rows := arrowSinkRows(rand.New(rand.NewPCG(13, 14)), 200)
	groups := splitRows(rows, 50, 50, 50, 50)
	for _, comp := range []string{"none", "zstd", "lz4"} {
		f := sinks.Arrow(sinks.ArrowOptions{Compression: comp})
		first := encodeArrow(t, f, schema, nil, groups, 1)
		for _, workers := range []int{2, 4} {
			if got := encodeArrow(t, f, schema, nil, groups, workers); !bytes.Equal(got, first) {
				t.Errorf("%s: %d workers give other bytes than 1", comp, workers)
			}
		}
	}
}

func TestArrowOutputRefuses(t *testing.T) {
	if err := (sinks.ArrowOptions{Compression: "snappy"}).Validate(); err == nil {
		t.Error("snappy accepted")
	}
	if _, err := sinks.Arrow(sinks.ArrowOptions{}).NewEncoder(testSchemas()[0].schema); err == nil {
		t.Error("INT96 accepted")
	}
	schema := parquet.NewSchema("t", parquet.Group{"x": parquet.Int(8)})
	enc, err := sinks.Arrow(sinks.ArrowOptions{}).NewEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	bad := []parquet.Row{{parquet.Int32Value(300).Level(0, 0, 0)}}
	if _, err := enc.Encode(&sliceReader{rows: bad}); !errors.Is(err, sinks.ErrInvalidRow) {
		t.Errorf("INT(8) value 300: %v, want ErrInvalidRow", err)
	}
}
