package sinks_test

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/sinks"
)

// duckDir holds the DuckDB readback script; see its README.md.
var duckDir = filepath.Join("testdata", "duckdb")

// duckSchema has a column of most kinds DuckDB maps to its own types.
// parquet.Group orders fields by name, hence the letter prefixes.
func duckSchema() *parquet.Schema {
	return parquet.NewSchema("duck", parquet.Group{
		"a_id":    parquet.Int(64),
		"b_label": parquet.String(),
		"c_x":     parquet.Leaf(parquet.DoubleType),
		"d_y":     parquet.Optional(parquet.Leaf(parquet.DoubleType)),
		"e_text":  parquet.String(),
		"f_ts":    parquet.Timestamp(parquet.Microsecond),
		"g_price": parquet.Optional(parquet.Decimal(2, 20, parquet.FixedLenByteArrayType(9))),
		"h_uuid":  parquet.Optional(parquet.UUID()),
		"i_tags":  parquet.Optional(parquet.List(parquet.Int(32))),
		"j_point": parquet.Optional(parquet.Group{
			"lat":  parquet.Leaf(parquet.DoubleType),
			"name": parquet.Optional(parquet.String()),
		}),
		"k_flag":  parquet.Optional(parquet.Leaf(parquet.BooleanType)),
		"l_day":   parquet.Date(),
		"m_small": parquet.Int(16),
		"n_u64":   parquet.Uint(64),
	})
}

// duckRecord is one row of duckSchema as plain Go values; nil pointers
// and tagsNull are nulls.
type duckRecord struct {
	id       int64
	label    string
	x        float64
	y        *float64
	text     string
	ts       int64 // microseconds since the epoch
	price    *int64
	uuid     *[16]byte
	tags     []int32
	tagsNull bool
	point    *duckPoint
	flag     *bool
	day      int32
	small    int16
	u64      uint64
}

type duckPoint struct {
	lat  float64
	name *string
}

// duckRecords returns n records numbered from start, a function of the
// row number only. No NaN: DuckDB hands NaN payloads to JavaScript
// canonicalised.
func duckRecords(start, n int) []duckRecord {
	labels := []string{"train", "test", "validation", "naïve", ""}
	out := make([]duckRecord, n)
	for i := range out {
		k := start + i
		r := rand.New(rand.NewPCG(uint64(k), 0xd0c))
		rec := duckRecord{
			id:    int64(k)*7919 - 5_000_000,
			label: labels[r.IntN(len(labels))],
			x:     r.Float64()*100 - 50,
			text:  fmt.Sprintf("%-40s", fmt.Sprintf("row %d: %x", k, r.Uint64())),
			ts:    1_700_000_000_000_000 + int64(k)*1_000_003 - r.Int64N(1<<40),
			day:   int32(19000 + r.IntN(1000) - 500),
			small: int16(r.IntN(1 << 16)),
			u64:   r.Uint64(),
		}
		if r.IntN(4) != 0 {
			y := r.NormFloat64()
			if r.IntN(20) == 0 {
				y = math.Copysign(0, -1)
			}
			rec.y = &y
		}
		if r.IntN(5) != 0 {
			p := r.Int64N(2_000_000_000_000) - 1_000_000_000_000 // ±10^10.00
			rec.price = &p
		}
		if r.IntN(3) != 0 {
			var u [16]byte
			for j := range u {
				u[j] = byte(r.Uint32())
			}
			rec.uuid = &u
		}
		switch r.IntN(5) {
		case 0:
			rec.tagsNull = true
		default:
			for range r.IntN(4) {
				rec.tags = append(rec.tags, int32(r.Uint32()))
			}
		}
		if r.IntN(4) != 0 {
			pt := &duckPoint{lat: r.Float64()*180 - 90}
			if r.IntN(3) != 0 {
				name := fmt.Sprintf("place-%d", r.IntN(50))
				pt.name = &name
			}
			rec.point = pt
		}
		if r.IntN(3) != 0 {
			b := r.IntN(2) == 1
			rec.flag = &b
		}
		out[i] = rec
	}
	return out
}

// row stripes rec into a row of duckSchema.
func (rec *duckRecord) row() parquet.Row {
	var row parquet.Row
	col := 0
	put := func(v parquet.Value, r, d int) { row = append(row, v.Level(r, d, col)) }
	next := func() { col++ }
	null := parquet.NullValue()

	put(parquet.Int64Value(rec.id), 0, 0)
	next()
	put(parquet.ByteArrayValue([]byte(rec.label)), 0, 0)
	next()
	put(parquet.DoubleValue(rec.x), 0, 0)
	next()
	if rec.y != nil {
		put(parquet.DoubleValue(*rec.y), 0, 1)
	} else {
		put(null, 0, 0)
	}
	next()
	put(parquet.ByteArrayValue([]byte(rec.text)), 0, 0)
	next()
	put(parquet.Int64Value(rec.ts), 0, 0)
	next()
	if rec.price != nil {
		put(parquet.FixedLenByteArrayValue(bigEndian9(*rec.price)), 0, 1)
	} else {
		put(null, 0, 0)
	}
	next()
	if rec.uuid != nil {
		put(parquet.FixedLenByteArrayValue(rec.uuid[:]), 0, 1)
	} else {
		put(null, 0, 0)
	}
	next()
	switch {
	case rec.tagsNull:
		put(null, 0, 0)
	case len(rec.tags) == 0:
		put(null, 0, 1)
	default:
		for i, tag := range rec.tags {
			put(parquet.Int32Value(tag), min(i, 1), 2)
		}
	}
	next()
	if rec.point != nil {
		put(parquet.DoubleValue(rec.point.lat), 0, 1)
		next()
		if rec.point.name != nil {
			put(parquet.ByteArrayValue([]byte(*rec.point.name)), 0, 2)
		} else {
			put(null, 0, 1)
		}
	} else {
		put(null, 0, 0)
		next()
		put(null, 0, 0)
	}
	next()
	if rec.flag != nil {
		put(parquet.BooleanValue(*rec.flag), 0, 1)
	} else {
		put(null, 0, 0)
	}
	next()
	put(parquet.Int32Value(rec.day), 0, 0)
	next()
	put(parquet.Int32Value(int32(rec.small)), 0, 0)
	next()
	put(parquet.Int64Value(int64(rec.u64)), 0, 0)
	return row
}

// bigEndian9 is v as a 9-byte two's complement big-endian integer.
func bigEndian9(v int64) []byte {
	b := make([]byte, 9)
	u := uint64(v)
	for i := 8; i >= 1; i-- {
		b[i] = byte(u)
		u >>= 8
	}
	if v < 0 {
		b[0] = 0xff
	}
	return b
}

// tokens renders rec as check.mjs renders what DuckDB reads, one token per
// top-level column (see the tokens listed in check.mjs).
func (rec *duckRecord) tokens() []string {
	f := func(x float64) string { return fmt.Sprintf("f%016x", math.Float64bits(x)) }
	s := func(v string) string { return fmt.Sprintf("s%d:%s", len(v), v) }
	out := []string{
		fmt.Sprintf("i%d", rec.id),
		s(rec.label),
		f(rec.x),
		"N",
		s(rec.text),
		fmt.Sprintf("t%d", rec.ts),
		"N",
		"N",
		"N",
		"N",
		"N",
		fmt.Sprintf("d%d", rec.day),
		f(float64(rec.small)),
		fmt.Sprintf("i%d", rec.u64),
	}
	if rec.y != nil {
		out[3] = f(*rec.y)
	}
	if rec.price != nil {
		out[6] = fmt.Sprintf("i%d", *rec.price)
	}
	if rec.uuid != nil {
		out[7] = fmt.Sprintf("u%x", rec.uuid[:])
	}
	if !rec.tagsNull {
		tags := make([]string, len(rec.tags))
		for i, tag := range rec.tags {
			tags[i] = f(float64(tag))
		}
		out[8] = "[" + strings.Join(tags, ",") + "]"
	}
	if rec.point != nil {
		name := "N"
		if rec.point.name != nil {
			name = s(*rec.point.name)
		}
		out[9] = "{" + f(rec.point.lat) + "," + name + "}"
	}
	if rec.flag != nil {
		out[10] = map[bool]string{true: "T", false: "F"}[*rec.flag]
	}
	return out
}

// duckProbe is a filter DuckDB evaluates with its Parquet scan, which
// skips row groups and pages by their statistics, and the same filter on
// the records.
type duckProbe struct {
	sql   string
	match func(*duckRecord) bool
}

var duckProbes = []duckProbe{
	{"g_price < 0", func(r *duckRecord) bool { return r.price != nil && *r.price < 0 }},
	{"g_price > 5000000000", func(r *duckRecord) bool { return r.price != nil && *r.price > 5000000000*100 }},
	{"n_u64 > 9223372036854775807", func(r *duckRecord) bool { return r.u64 > math.MaxInt64 }},
	{"a_id < 0", func(r *duckRecord) bool { return r.id < 0 }},
	{"c_x BETWEEN -10 AND 10", func(r *duckRecord) bool { return r.x >= -10 && r.x <= 10 }},
	{"d_y <= 0", func(r *duckRecord) bool { return r.y != nil && *r.y <= 0 }},
	{"b_label = 'naïve'", func(r *duckRecord) bool { return r.label == "naïve" }},
	{"m_small < 0", func(r *duckRecord) bool { return r.small < 0 }},
	{"h_uuid IS NULL", func(r *duckRecord) bool { return r.uuid == nil }},
}

// duckNode returns node's path where check.mjs's dependencies are
// installed, and skips t elsewhere.
func duckNode(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat(filepath.Join(duckDir, "node_modules", "@duckdb", "node-api")); err != nil {
		t.Skip("DuckDB readback not installed (cd sinks/testdata/duckdb && npm install)")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	return node
}

// duckCheck runs check.mjs (with node) on args, files and its options,
// and returns what it prints, failing t if DuckDB cannot read them.
func duckCheck(t *testing.T, node string, args ...string) duckOutput {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), node, append([]string{"check.mjs"}, args...)...)
	cmd.Dir = duckDir
	var stderr strings.Builder
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("node check.mjs: %v\n%s", err, stderr.String())
	}
	var got duckOutput
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("decode check.mjs output: %v\n%s", err, stdout)
	}
	return got
}

// duckOutput is what check.mjs prints.
type duckOutput struct {
	DuckDB string `json:"duckdb"`
	Files  []struct {
		Path    string `json:"path"`
		Rows    int    `json:"rows"`
		Columns []struct {
			Name     string `json:"name"`
			Type     string `json:"type"`
			Checksum string `json:"checksum"`
		} `json:"columns"`
		Counts []int `json:"counts"`
	} `json:"files"`
}

// TestDuckDBReadback writes files of duckSchema with every codec and
// several layouts, has DuckDB read them through check.mjs, and compares
// row counts, per-column checksums and filtered counts with what the Go
// records say. It runs only where the script's dependencies are installed:
//
//	cd sinks/testdata/duckdb && npm install
func TestDuckDBReadback(t *testing.T) {
	node := duckNode(t)
	schema := duckSchema()
	cases := []struct {
		name  string
		opts  sinks.ParquetOptions
		sizes []int // rows per row group
	}{
		{"snappy", sinks.ParquetOptions{}, []int{1000, 1, 2999}},
		{"snappy-plain", sinks.ParquetOptions{Encoding: sinks.EncodingPlain}, []int{1000, 1, 2999}},
		{"zstd-dict", sinks.ParquetOptions{Compression: "zstd", CompressionLevel: 9, PageBufferSize: 4096}, []int{2500, 1500}},
		{"zstd-plain-dict", sinks.ParquetOptions{Compression: "zstd", CompressionLevel: 9, Encoding: sinks.EncodingPlain, Dictionary: true, PageBufferSize: 4096}, []int{2500, 1500}},
		{"lz4", sinks.ParquetOptions{Compression: "lz4", PageBufferSize: 8192}, []int{4000}},
		{"gzip", sinks.ParquetOptions{Compression: "gzip", CompressionLevel: 1}, []int{300, 700}},
		{"none-tiny-pages", sinks.ParquetOptions{Compression: "none", PageBufferSize: 64}, []int{200, 300}},
		{"empty", sinks.ParquetOptions{}, nil},
	}
	dir := t.TempDir()
	var paths []string
	var want [][]duckRecord
	for i, tc := range cases {
		enc, err := sinks.NewRowGroupEncoder(schema, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		var recs []duckRecord
		var groups [][]parquet.Row
		for _, n := range tc.sizes {
			part := duckRecords(i*100000+len(recs), n)
			rows := make([]parquet.Row, n)
			for j := range part {
				rows[j] = part[j].row()
			}
			recs = append(recs, part...)
			groups = append(groups, rows)
		}
		data := writeFile(t, schema, tc.opts, []sinks.KeyValue{{Key: "case", Value: tc.name}}, encodeGroupsConcurrently(t, enc, groups, 2))
		path := filepath.Join(dir, tc.name+".parquet")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, path)
		want = append(want, recs)
	}

	var args []string
	for _, p := range duckProbes {
		args = append(args, "--count-where", p.sql)
	}
	got := duckCheck(t, node, append(args, paths...)...)
	t.Logf("DuckDB %s", got.DuckDB)
	if len(got.Files) != len(cases) {
		t.Fatalf("check.mjs reported %d files, want %d", len(got.Files), len(cases))
	}
	names := []string{"a_id", "b_label", "c_x", "d_y", "e_text", "f_ts", "g_price", "h_uuid", "i_tags", "j_point", "k_flag", "l_day", "m_small", "n_u64"}
	for i, tc := range cases {
		gf := got.Files[i]
		recs := want[i]
		if gf.Rows != len(recs) {
			t.Errorf("%s: DuckDB read %d rows, want %d", tc.name, gf.Rows, len(recs))
		}
		if len(gf.Columns) != len(names) {
			t.Errorf("%s: DuckDB sees %d columns, want %d", tc.name, len(gf.Columns), len(names))
			continue
		}
		sums := make([]uint64, len(names))
		for c := range sums {
			h := fnv.New64a()
			for j := range recs {
				h.Write([]byte(recs[j].tokens()[c] + "\n"))
			}
			sums[c] = h.Sum64()
		}
		for c, col := range gf.Columns {
			if col.Name != names[c] {
				t.Errorf("%s: column %d is %q, want %q", tc.name, c, col.Name, names[c])
			}
			if wantSum := fmt.Sprintf("%016x", sums[c]); col.Checksum != wantSum {
				t.Errorf("%s: column %s (%s): DuckDB checksum %s, want %s", tc.name, col.Name, col.Type, col.Checksum, wantSum)
			}
		}
		for k, p := range duckProbes {
			n := 0
			for j := range recs {
				if p.match(&recs[j]) {
					n++
				}
			}
			if k >= len(gf.Counts) || gf.Counts[k] != n {
				t.Errorf("%s: DuckDB counts %v rows WHERE %s, want %d", tc.name, gf.Counts, p.sql, n)
			}
		}
	}
}
