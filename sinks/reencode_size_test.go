package sinks_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
)

// reencodeSchema returns a schema of the given leaves, named c0, c1, ...
func reencodeSchema(nodes ...parquet.Node) *parquet.Schema {
	g := parquet.Group{}
	for i, n := range nodes {
		g[fmt.Sprintf("c%03d", i)] = n
	}
	return parquet.NewSchema("t", g)
}

// nodes returns n copies of node.
func nodes(n int, node parquet.Node) []parquet.Node {
	nodes := make([]parquet.Node, n)
	for i := range nodes {
		nodes[i] = node
	}
	return nodes
}

// A schema needs one re-encoder where parquet-go may write a column of
// it with a dictionary, whatever its width, and none where every column
// is the page writer's (batches) or has no dictionary: the plan counts
// no more than that. The shapes are benchmarks/peers.sh's (one, mixed,
// wide) and a synthetic 500-column one with columns the page writer does
// not cover.
func TestReencoderBytes(t *testing.T) {
	i64, str, f64 := parquet.Int(64), parquet.String(), parquet.Leaf(parquet.DoubleType)
	ts := parquet.Timestamp(parquet.Microsecond)
	one := reencodeSchema(i64)
	mixed := reencodeSchema(i64, i64, str, f64, parquet.Optional(f64), str, ts)
	wide := reencodeSchema(nodes(20, str)...)
	var cols []parquet.Node
	cols = append(cols, nodes(400, i64)...)
	cols = append(cols, nodes(50, parquet.Uint(64))...)
	cols = append(cols, nodes(50, parquet.Leaf(parquet.BooleanType))...)
	many := reencodeSchema(cols...)
	bools := reencodeSchema(nodes(3, parquet.Leaf(parquet.BooleanType))...)
	page := sinks.PooledReencoderBytes(sinks.DefaultPageBufferSize)
	auto := sinks.ParquetOptions{}
	plain := sinks.ParquetOptions{Encoding: sinks.EncodingPlain}
	plainDict := sinks.ParquetOptions{Encoding: sinks.EncodingPlain, Dictionary: true}
	for _, tc := range []struct {
		name    string
		schema  *parquet.Schema
		opts    sinks.ParquetOptions
		batches bool
		columns int // re-encoded
	}{
		{"one, batches", one, auto, true, 0},
		{"one, rows", one, auto, false, 1},
		{"mixed, batches", mixed, auto, true, 0},
		{"mixed, rows", mixed, auto, false, 7},
		{"wide, batches", wide, auto, true, 0},
		{"wide, rows", wide, auto, false, 20},
		{"500 columns, batches", many, auto, true, 50},
		{"500 columns, rows", many, auto, false, 450},
		{"booleans, rows", bools, auto, false, 0},
		{"mixed, rows, plain", mixed, plain, false, 0},
		{"mixed, rows, plain with dictionary", mixed, plainDict, false, 2},
		{"one, rows, plain with dictionary", one, plainDict, false, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			enc, err := sinks.NewRowGroupEncoder(tc.schema, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := sinks.ReencodedColumns(enc, tc.batches); got != tc.columns {
				t.Errorf("ReencodedColumns = %d, want %d", got, tc.columns)
			}
			f, err := sinks.Parquet(tc.opts).NewEncoder(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			want := int64(0)
			if tc.columns > 0 {
				want = page
			}
			if got := sinks.ReencoderBytes(f, tc.batches); got != want {
				t.Errorf("ReencoderBytes = %d, want %d", got, want)
			}
		})
	}
	csv, err := sinks.CSV(sinks.CSVWriteOptions{}).NewEncoder(mixed)
	if err == nil {
		if got := sinks.ReencoderBytes(csv, false); got != 0 {
			t.Errorf("a CSV encoder: ReencoderBytes = %d, want 0", got)
		}
	}
}

// ReencoderBytes says what encoding does: a row group of batches whose
// columns are all the page writer's uses no re-encoder, though its
// columns take dictionaries; the same rows encoded as rows, or a column
// the page writer leaves to parquet-go, use one.
func TestReencoderBytesMatchesUse(t *testing.T) {
	for _, tc := range []struct {
		name    string
		schema  *parquet.Schema
		batches bool
	}{
		{"own columns, batches", reencodeSchema(parquet.Int(64), parquet.String()), true},
		{"own columns, rows", reencodeSchema(parquet.Int(64), parquet.String()), false},
		{"an unsigned column, batches", reencodeSchema(parquet.Int(64), parquet.Uint(64)), true},
		{"a boolean column, batches", reencodeSchema(parquet.Int(64), parquet.Leaf(parquet.BooleanType)), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, err := sinks.Parquet(sinks.ParquetOptions{}).NewEncoder(tc.schema)
			if err != nil {
				t.Fatal(err)
			}
			enc, err := sinks.NewRowGroupEncoder(tc.schema, sinks.ParquetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// Few distinct values: dictionaries pay for every column.
			rows := make([]parquet.Row, 5000)
			for i := range rows {
				v := int64(i % 7)
				var second parquet.Value
				switch tc.schema.Fields()[1].Type().Kind() {
				case parquet.ByteArray:
					second = parquet.ByteArrayValue(fmt.Appendf(nil, "value %d", v))
				case parquet.Boolean:
					second = parquet.BooleanValue(v%2 == 0)
				default:
					second = parquet.Int64Value(v * 1000)
				}
				rows[i] = parquet.Row{parquet.Int64Value(v).Level(0, 0, 0), second.Level(0, 0, 1)}
			}
			sinks.TranscodersKept()
			var g *sinks.EncodedRowGroup
			if tc.batches {
				layout, err := columnar.LayoutOf(tc.schema)
				if err != nil {
					t.Fatal(err)
				}
				g, err = enc.EncodeBatches(batchesOf(t, layout, rows, rand.New(rand.NewPCG(1, 2))))
				if err != nil {
					t.Fatal(err)
				}
			} else if g, err = enc.Encode(&sliceReader{rows: rows}); err != nil {
				t.Fatal(err)
			}
			g.Release()
			used := sinks.TranscodersKept() > 0
			if counted := sinks.ReencoderBytes(f, tc.batches) > 0; counted != used {
				t.Errorf("ReencoderBytes counts a re-encoder: %v; one was used: %v", counted, used)
			}
		})
	}
}
