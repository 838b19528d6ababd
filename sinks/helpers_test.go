package sinks_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sinks"
)

// schemaCase is a named schema the round-trip tests encode rows of.
type schemaCase struct {
	name   string
	schema *parquet.Schema
}

// testSchemas returns schemas covering every physical type, the common
// logical types, optional and repeated fields and nested lists, maps and
// structs. parquet.Group orders its fields by name.
func testSchemas() []schemaCase {
	return []schemaCase{
		{"flat-physical", parquet.NewSchema("flat", parquet.Group{
			"a_bool":   parquet.Leaf(parquet.BooleanType),
			"b_int32":  parquet.Leaf(parquet.Int32Type),
			"c_int64":  parquet.Leaf(parquet.Int64Type),
			"d_int96":  parquet.Leaf(parquet.Int96Type),
			"e_float":  parquet.Leaf(parquet.FloatType),
			"f_double": parquet.Leaf(parquet.DoubleType),
			"g_bytes":  parquet.Leaf(parquet.ByteArrayType),
			"h_fixed":  parquet.Leaf(parquet.FixedLenByteArrayType(7)),
		})},
		{"flat-optional", parquet.NewSchema("opt", parquet.Group{
			"a_bool":   parquet.Optional(parquet.Leaf(parquet.BooleanType)),
			"b_int32":  parquet.Optional(parquet.Leaf(parquet.Int32Type)),
			"c_int64":  parquet.Optional(parquet.Leaf(parquet.Int64Type)),
			"d_int96":  parquet.Optional(parquet.Leaf(parquet.Int96Type)),
			"e_float":  parquet.Optional(parquet.Leaf(parquet.FloatType)),
			"f_double": parquet.Optional(parquet.Leaf(parquet.DoubleType)),
			"g_string": parquet.Optional(parquet.String()),
			"h_fixed":  parquet.Optional(parquet.Leaf(parquet.FixedLenByteArrayType(3))),
		})},
		{"logical", parquet.NewSchema("logical", parquet.Group{
			"date":      parquet.Date(),
			"dec_fixed": parquet.Optional(parquet.Decimal(2, 20, parquet.FixedLenByteArrayType(9))),
			"dec_int32": parquet.Decimal(2, 9, parquet.Int32Type),
			"dec_int64": parquet.Optional(parquet.Decimal(4, 18, parquet.Int64Type)),
			"enum":      parquet.Enum(),
			"int8":      parquet.Int(8),
			"json":      parquet.Optional(parquet.JSON()),
			"string":    parquet.String(),
			"time_us":   parquet.Time(parquet.Microsecond),
			"ts_ms":     parquet.Timestamp(parquet.Millisecond),
			"ts_ns":     parquet.Optional(parquet.TimestampAdjusted(parquet.Nanosecond, false)),
			"ts_us":     parquet.Timestamp(parquet.Microsecond),
			"uint16":    parquet.Uint(16),
			"uint64":    parquet.Optional(parquet.Uint(64)),
			"uuid":      parquet.Optional(parquet.UUID()),
		})},
		{"nested", parquet.NewSchema("nested", parquet.Group{
			"id":   parquet.Int(64),
			"list": parquet.Optional(parquet.List(parquet.Optional(parquet.Int(32)))),
			"map":  parquet.Optional(parquet.Map(parquet.String(), parquet.Optional(parquet.Leaf(parquet.DoubleType)))),
			"struct": parquet.Optional(parquet.Group{
				"x": parquet.Leaf(parquet.DoubleType),
				"y": parquet.Optional(parquet.String()),
			}),
			"list_of_struct": parquet.List(parquet.Group{
				"k": parquet.String(),
				"v": parquet.Optional(parquet.Int(64)),
			}),
			"list_of_list": parquet.Optional(parquet.List(parquet.Optional(parquet.List(parquet.String())))),
			"repeated":     parquet.Repeated(parquet.Leaf(parquet.Int64Type)),
			"repeated_group": parquet.Repeated(parquet.Group{
				"a": parquet.Optional(parquet.Leaf(parquet.BooleanType)),
				"b": parquet.Repeated(parquet.Leaf(parquet.FixedLenByteArrayType(2))),
			}),
		})},
		{"single-column", parquet.NewSchema("single", parquet.Group{
			"v": parquet.Optional(parquet.String()),
		})},
	}
}

// typicalSchema is the 7-column table of the benchmarks and the DuckDB
// check: two integers, a low-cardinality label, a double, an optional
// double, a ~40-byte free text and a timestamp.
func typicalSchema() *parquet.Schema {
	return parquet.NewSchema("typical", parquet.Group{
		"a_id":    parquet.Int(64),
		"b_seq":   parquet.Int(64),
		"c_label": parquet.String(),
		"d_x":     parquet.Leaf(parquet.DoubleType),
		"e_y":     parquet.Optional(parquet.Leaf(parquet.DoubleType)),
		"f_text":  parquet.String(),
		"g_ts":    parquet.Timestamp(parquet.Microsecond),
	})
}

// typicalRows returns n rows of typicalSchema, numbered from start: a
// function of (start, i) only, so that any range of rows can be rebuilt.
func typicalRows(start, n int) []parquet.Row {
	labels := []string{"train", "test", "validation", "holdout", "unlabelled"}
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789 "
	rows := make([]parquet.Row, n)
	for i := range rows {
		k := uint64(start + i)
		r := rand.New(rand.NewPCG(k, 0x5eed))
		text := make([]byte, 40)
		for j := range text {
			text[j] = alphabet[r.IntN(len(alphabet))]
		}
		y := parquet.NullValue().Level(0, 0, 4)
		if r.IntN(5) != 0 {
			y = parquet.DoubleValue(r.NormFloat64()).Level(0, 1, 4)
		}
		rows[i] = parquet.Row{
			parquet.Int64Value(int64(k)*7919%1000003).Level(0, 0, 0),
			parquet.Int64Value(int64(k)).Level(0, 0, 1),
			parquet.ByteArrayValue([]byte(labels[r.IntN(len(labels))])).Level(0, 0, 2),
			parquet.DoubleValue(r.Float64()*100).Level(0, 0, 3),
			y,
			parquet.ByteArrayValue(text).Level(0, 0, 5),
			parquet.Int64Value(1_700_000_000_000_000+int64(k)*1_000_003).Level(0, 0, 6),
		}
	}
	return rows
}

// rowGen makes random rows of a schema by walking its nodes and striping
// a random record into columns the way the Dremel paper (and the Parquet
// format) defines repetition and definition levels. It is independent of
// parquet-go's own row construction.
type rowGen struct {
	r      *rand.Rand
	schema *parquet.Schema
	cols   [][]parquet.Value
	// nullPct is the percentage of optional nodes left null.
	nullPct int
}

func newRowGen(schema *parquet.Schema, seed uint64) *rowGen {
	return &rowGen{
		r:       rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)),
		schema:  schema,
		cols:    make([][]parquet.Value, len(schema.Columns())),
		nullPct: 20,
	}
}

// rows returns n random rows.
func (g *rowGen) rows(n int) []parquet.Row {
	out := make([]parquet.Row, n)
	for i := range out {
		out[i] = g.row()
	}
	return out
}

// row returns one random row.
func (g *rowGen) row() parquet.Row {
	for i := range g.cols {
		g.cols[i] = g.cols[i][:0]
	}
	g.content(g.schema, 0, 0, 0, 0)
	var row parquet.Row
	for _, c := range g.cols {
		row = append(row, c...)
	}
	return row
}

// visit stripes a random value of node n, whose first leaf is column col.
// r is the repetition level of the first value it emits; maxRep and maxDef
// are the maximum levels of n's parent, all of whose ancestors are defined.
func (g *rowGen) visit(n parquet.Node, col, r, maxRep, maxDef int) {
	switch {
	case n.Repeated():
		k := g.r.IntN(4)
		if k == 0 {
			g.nulls(n, col, r, maxDef)
			return
		}
		for i := range k {
			ri := r
			if i > 0 {
				ri = maxRep + 1
			}
			g.content(n, col, ri, maxRep+1, maxDef+1)
		}
	case n.Optional():
		if g.r.IntN(100) < g.nullPct {
			g.nulls(n, col, r, maxDef)
			return
		}
		g.content(n, col, r, maxRep, maxDef+1)
	default:
		g.content(n, col, r, maxRep, maxDef)
	}
}

// content stripes the content of a defined node n at levels (r, d).
func (g *rowGen) content(n parquet.Node, col, r, maxRep, d int) {
	if n.Leaf() {
		g.cols[col] = append(g.cols[col], g.value(n.Type()).Level(r, d, col))
		return
	}
	for _, f := range n.Fields() {
		g.visit(f, col, r, maxRep, d)
		col += leafCount(f)
	}
}

// nulls emits a null at (r, d) for every leaf under n.
func (g *rowGen) nulls(n parquet.Node, col, r, d int) {
	for i := range leafCount(n) {
		g.cols[col+i] = append(g.cols[col+i], parquet.NullValue().Level(r, d, col+i))
	}
}

// value returns a random non-null value of type t. Byte arrays are
// printable ASCII, so that they are valid for string logical types.
func (g *rowGen) value(t parquet.Type) parquet.Value {
	r := g.r
	text := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(' ' + r.IntN(95))
		}
		return b
	}
	switch t.Kind() {
	case parquet.Boolean:
		return parquet.BooleanValue(r.IntN(2) == 1)
	case parquet.Int32:
		return parquet.Int32Value(int32(r.Uint32()))
	case parquet.Int64:
		return parquet.Int64Value(int64(r.Uint64()))
	case parquet.Int96:
		return parquet.Int96Value(deprecated.Int96{r.Uint32(), r.Uint32(), r.Uint32()})
	case parquet.Float:
		return parquet.FloatValue(float32(r.NormFloat64()))
	case parquet.Double:
		switch r.IntN(50) {
		case 0:
			return parquet.DoubleValue(math.Inf(-1))
		case 1:
			return parquet.DoubleValue(math.Copysign(0, -1))
		case 2:
			return parquet.DoubleValue(math.NaN())
		}
		return parquet.DoubleValue(r.NormFloat64() * 1e6)
	case parquet.ByteArray:
		// A few repeated values make dictionaries worth building.
		if r.IntN(2) == 0 {
			return parquet.ByteArrayValue([]byte(fmt.Sprintf("label-%d", r.IntN(5))))
		}
		return parquet.ByteArrayValue(text(r.IntN(30)))
	case parquet.FixedLenByteArray:
		return parquet.FixedLenByteArrayValue(text(t.Length()))
	}
	panic(fmt.Sprintf("no generator for %s", t.Kind()))
}

// leafCount returns the number of leaf columns under n.
func leafCount(n parquet.Node) int {
	if n.Leaf() {
		return 1
	}
	k := 0
	for _, f := range n.Fields() {
		k += leafCount(f)
	}
	return k
}

// sliceReader is a parquet.RowReader over a slice of rows, returning them
// in batches of at most max (all of them when max is 0).
type sliceReader struct {
	rows []parquet.Row
	max  int
}

func (s *sliceReader) ReadRows(dst []parquet.Row) (int, error) {
	if len(s.rows) == 0 {
		return 0, io.EOF
	}
	n := len(dst)
	if s.max > 0 {
		n = min(n, s.max)
	}
	n = min(n, len(s.rows))
	for i := range n {
		dst[i] = append(dst[i][:0], s.rows[i]...)
	}
	s.rows = s.rows[n:]
	return n, nil
}

// encodeGroups encodes each slice of rows as a row group.
func encodeGroups(t testing.TB, enc *sinks.RowGroupEncoder, groups [][]parquet.Row) []*sinks.EncodedRowGroup {
	t.Helper()
	out := make([]*sinks.EncodedRowGroup, len(groups))
	for i, rows := range groups {
		g, err := enc.Encode(&sliceReader{rows: rows})
		if err != nil {
			t.Fatalf("Encode(group %d of %d rows): %v", i, len(rows), err)
		}
		out[i] = g
	}
	return out
}

// encodeGroupsConcurrently encodes the groups on workers goroutines taking
// groups in turn, so that finish order differs from group order.
func encodeGroupsConcurrently(t testing.TB, enc *sinks.RowGroupEncoder, groups [][]parquet.Row, workers int) []*sinks.EncodedRowGroup {
	t.Helper()
	out := make([]*sinks.EncodedRowGroup, len(groups))
	errs := make([]error, len(groups))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			// Workers start from the end so that late groups finish first.
			for i := len(groups) - 1 - w; i >= 0; i -= workers {
				out[i], errs[i] = enc.Encode(&sliceReader{rows: groups[i]})
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatalf("concurrent Encode: %v", err)
	}
	return out
}

// writeFile stitches groups into a file and returns its bytes.
func writeFile(t testing.TB, schema *parquet.Schema, opts sinks.ParquetOptions, kv []sinks.KeyValue, groups []*sinks.EncodedRowGroup) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := sinks.NewParquetFileWriter(&buf, schema, opts, kv)
	if err != nil {
		t.Fatalf("NewParquetFileWriter: %v", err)
	}
	for i, g := range groups {
		if err := w.Append(g); err != nil {
			t.Fatalf("Append(group %d): %v", i, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	return buf.Bytes()
}

// splitRows cuts rows into groups of the given sizes (which must sum to
// len(rows)).
func splitRows(rows []parquet.Row, sizes ...int) [][]parquet.Row {
	var out [][]parquet.Row
	for _, n := range sizes {
		out = append(out, rows[:n])
		rows = rows[n:]
	}
	if len(rows) != 0 {
		panic("sizes do not cover the rows")
	}
	return out
}

// readBack opens data with parquet-go and returns its file and the rows of
// each row group, read row group by row group.
func readBack(t testing.TB, data []byte) (*parquet.File, [][]parquet.Row) {
	t.Helper()
	f, err := parquet.OpenFile(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("parquet.OpenFile: %v", err)
	}
	var groups [][]parquet.Row
	for i, rg := range f.RowGroups() {
		rows, err := readAllRows(rg.Rows())
		if err != nil {
			t.Fatalf("read row group %d: %v", i, err)
		}
		if int64(len(rows)) != rg.NumRows() {
			t.Fatalf("row group %d: read %d rows, metadata says %d", i, len(rows), rg.NumRows())
		}
		groups = append(groups, rows)
	}
	return f, groups
}

// readAllRows reads rows until io.EOF, cloning each row, and closes rows.
func readAllRows(rows parquet.Rows) ([]parquet.Row, error) {
	defer rows.Close()
	var out []parquet.Row
	buf := make([]parquet.Row, 100)
	for {
		n, err := rows.ReadRows(buf)
		for _, r := range buf[:n] {
			out = append(out, r.Clone())
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// compareRows reports the first difference between got and want, values
// and repetition and definition levels included.
func compareRows(t testing.TB, what string, got, want []parquet.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d rows, want %d", what, len(got), len(want))
		return
	}
	for i := range want {
		if !rowsEqual(got[i], want[i]) {
			t.Errorf("%s: row %d differs\n got: %s\nwant: %s", what, i, formatRow(got[i]), formatRow(want[i]))
			return
		}
	}
}

// formatRow prints a row with the levels of each value.
func formatRow(row parquet.Row) string {
	var b bytes.Buffer
	for i, v := range row {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "c%d(r%d,d%d)=%v", v.Column(), v.RepetitionLevel(), v.DefinitionLevel(), v)
	}
	return b.String()
}

// concat flattens groups of rows.
func concat(groups [][]parquet.Row) []parquet.Row {
	var out []parquet.Row
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// rawFooter decodes the footer of data without parquet-go's file reader,
// which sorts the key/value metadata.
func rawFooter(t testing.TB, data []byte) *format.FileMetaData {
	t.Helper()
	if len(data) < 12 || string(data[:4]) != "PAR1" || string(data[len(data)-4:]) != "PAR1" {
		t.Fatalf("%d bytes are not framed by PAR1", len(data))
	}
	n := int(binary.LittleEndian.Uint32(data[len(data)-8:]))
	if n > len(data)-12 {
		t.Fatalf("footer length %d exceeds the file", n)
	}
	meta := new(format.FileMetaData)
	if err := thrift.Unmarshal(new(thrift.CompactProtocol), data[len(data)-8-n:len(data)-8], meta); err != nil {
		t.Fatalf("decode footer: %v", err)
	}
	return meta
}

// rowsEqual reports whether a and b hold the same values, comparing
// floating-point values by their bits (so NaN equals NaN) and levels and
// column indexes too.
func rowsEqual(a, b parquet.Row) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Column() != y.Column() || x.RepetitionLevel() != y.RepetitionLevel() ||
			x.DefinitionLevel() != y.DefinitionLevel() || x.IsNull() != y.IsNull() {
			return false
		}
		if !x.IsNull() && (x.Kind() != y.Kind() || !bytes.Equal(x.Bytes(), y.Bytes())) {
			return false
		}
	}
	return true
}

// pageInfo is one page found by walking a column chunk.
type pageInfo struct {
	offset    int64
	size      int32 // header and compressed data
	header    format.PageHeader
	numValues int64 // data pages only
}

// walkPages decodes the page headers of the column chunk md of data, in
// order, the way a reader without a page index finds its pages.
func walkPages(t testing.TB, data []byte, md *format.ColumnMetaData) []pageInfo {
	t.Helper()
	start := md.DataPageOffset
	if md.DictionaryPageOffset > 0 {
		start = md.DictionaryPageOffset
	}
	end := start + md.TotalCompressedSize
	if start < 4 || end > int64(len(data)) {
		t.Fatalf("column %v: chunk [%d, %d) outside the file of %d bytes", md.PathInSchema, start, end, len(data))
	}
	var pages []pageInfo
	for off := start; off < end; {
		r := new(thrift.CompactProtocol).NewReaderFromBytes(data[off:end])
		var h format.PageHeader
		if err := thrift.NewDecoder(r).Decode(&h); err != nil {
			t.Fatalf("column %v: page header at %d: %v", md.PathInSchema, off, err)
		}
		p := pageInfo{offset: off, size: int32(r.BytesRead()) + h.CompressedPageSize, header: h}
		switch h.Type {
		case format.DataPage:
			dp, _ := h.DataPageHeader.Get()
			p.numValues = int64(dp.NumValues)
		case format.DataPageV2:
			dp, _ := h.DataPageHeaderV2.Get()
			p.numValues = int64(dp.NumValues)
		}
		if off+int64(p.size) > end {
			t.Fatalf("column %v: page at %d overruns the chunk end %d", md.PathInSchema, p.offset, end)
		}
		// The format's page checksum is CRC-32 (IEEE) of the page as
		// stored, after the header; zero is taken as absent.
		if payload := data[off+int64(r.BytesRead()) : off+int64(p.size)]; h.CRC != 0 && uint32(h.CRC) != crc32.ChecksumIEEE(payload) {
			t.Errorf("column %v: page at %d has crc %08x, its bytes %08x", md.PathInSchema, off, uint32(h.CRC), crc32.ChecksumIEEE(payload))
		}
		pages = append(pages, p)
		off += int64(p.size)
	}
	return pages
}

// checkLayout checks the file data against the Parquet format
// specification, independently of how it was written: column chunks
// contiguous from byte 4, in row group and column order, each made of the
// pages its metadata says (dictionary page first when there is one, value
// counts and sizes adding up); row group offsets, sizes and ordinals; the
// page index after the chunks, column indexes then offset indexes, with one
// entry per data page at the offsets where the pages are; the footer right
// after. codec is the codec every chunk must use; rep[c] is the maximum
// repetition level of column c (nil to skip the row-count check of flat
// columns).
func checkLayout(t testing.TB, data []byte, codec format.CompressionCodec, maxRep []int) {
	t.Helper()
	meta := rawFooter(t, data)
	pos := int64(4)
	var numRows int64
	for g := range meta.RowGroups {
		rg := &meta.RowGroups[g]
		if rg.Ordinal != int16(g) {
			t.Errorf("row group %d: ordinal %d", g, rg.Ordinal)
		}
		if rg.NumRows <= 0 {
			t.Errorf("row group %d: %d rows", g, rg.NumRows)
		}
		numRows += rg.NumRows
		if rg.FileOffset != pos {
			t.Errorf("row group %d: file_offset %d, want %d (where its first chunk starts)", g, rg.FileOffset, pos)
		}
		var compressed int64
		for c := range rg.Columns {
			cc := &rg.Columns[c]
			md := &cc.MetaData
			where := fmt.Sprintf("row group %d, column %d (%v)", g, c, md.PathInSchema)
			if md.Codec != codec {
				t.Errorf("%s: codec %v, want %v", where, md.Codec, codec)
			}
			start := md.DataPageOffset
			if md.DictionaryPageOffset > 0 {
				start = md.DictionaryPageOffset
			}
			if start != pos {
				t.Fatalf("%s: chunk starts at %d, want %d (right after the previous one)", where, start, pos)
			}
			pages := walkPages(t, data, md)
			pos += md.TotalCompressedSize
			compressed += md.TotalCompressedSize
			var dataPages []pageInfo
			var values, uncompressed int64
			for i, p := range pages {
				uncompressed += int64(p.size) - int64(p.header.CompressedPageSize) + int64(p.header.UncompressedPageSize)
				if p.header.Type == format.DictionaryPage {
					if i != 0 || md.DictionaryPageOffset != p.offset {
						t.Errorf("%s: dictionary page %d at %d, dictionary_page_offset %d", where, i, p.offset, md.DictionaryPageOffset)
					}
					continue
				}
				dataPages = append(dataPages, p)
				values += p.numValues
			}
			if md.DictionaryPageOffset > 0 && pages[0].header.Type != format.DictionaryPage {
				t.Errorf("%s: dictionary_page_offset %d points at a %v page", where, md.DictionaryPageOffset, pages[0].header.Type)
			}
			if len(dataPages) == 0 || dataPages[0].offset != md.DataPageOffset {
				t.Fatalf("%s: dataPagespage_offset %d is not the first data page", where, md.DataPageOffset)
			}
			if values != md.NumValues {
				t.Errorf("%s: pages hold %d values, metadata says %d", where, values, md.NumValues)
			}
			if uncompressed != md.TotalUncompressedSize {
				t.Errorf("%s: pages take %d bytes uncompressed, metadata says %d", where, uncompressed, md.TotalUncompressedSize)
			}

			oi := new(format.OffsetIndex)
			if err := thrift.Unmarshal(new(thrift.CompactProtocol), span(t, data, cc.OffsetIndexOffset, int64(cc.OffsetIndexLength)), oi); err != nil {
				t.Fatalf("%s: offset index: %v", where, err)
			}
			if len(oi.PageLocations) != len(dataPages) {
				t.Fatalf("%s: offset index has %d pages, the chunk %d", where, len(oi.PageLocations), len(dataPages))
			}
			var rows int64
			for i, loc := range oi.PageLocations {
				if loc.Offset != dataPages[i].offset || loc.CompressedPageSize != dataPages[i].size {
					t.Errorf("%s: offset index page %d at %d (+%d), the page is at %d (+%d)", where, i, loc.Offset, loc.CompressedPageSize, dataPages[i].offset, dataPages[i].size)
				}
				if i == 0 && loc.FirstRowIndex != 0 || i > 0 && loc.FirstRowIndex <= oi.PageLocations[i-1].FirstRowIndex || loc.FirstRowIndex >= rg.NumRows {
					t.Errorf("%s: offset index page %d first row %d is out of order", where, i, loc.FirstRowIndex)
				}
				if maxRep != nil && maxRep[c] == 0 && loc.FirstRowIndex != rows {
					t.Errorf("%s: offset index page %d first row %d, want %d", where, i, loc.FirstRowIndex, rows)
				}
				rows += dataPages[i].numValues
			}
			if maxRep != nil && maxRep[c] == 0 && rows != rg.NumRows {
				t.Errorf("%s: flat column holds %d values for %d rows", where, rows, rg.NumRows)
			}

			if cc.ColumnIndexOffset == 0 {
				// Left out for columns without statistics.
				if st := md.Statistics; st.MinValue != nil || st.MaxValue != nil || st.Min != nil || st.Max != nil {
					t.Errorf("%s: statistics with min/max but no column index", where)
				}
				continue
			}
			ci := new(format.ColumnIndex)
			if err := thrift.Unmarshal(new(thrift.CompactProtocol), span(t, data, cc.ColumnIndexOffset, int64(cc.ColumnIndexLength)), ci); err != nil {
				t.Fatalf("%s: column index: %v", where, err)
			}
			if len(ci.NullPages) != len(dataPages) || len(ci.MinValues) != len(dataPages) || len(ci.MaxValues) != len(dataPages) {
				t.Errorf("%s: column index for %d/%d/%d pages, the chunk has %d", where, len(ci.NullPages), len(ci.MinValues), len(ci.MaxValues), len(dataPages))
			}
			if len(ci.NullCounts) > 0 {
				var nulls int64
				for _, n := range ci.NullCounts {
					nulls += n
				}
				if nulls != md.Statistics.NullCount {
					t.Errorf("%s: column index counts %d nulls, statistics %d", where, nulls, md.Statistics.NullCount)
				}
			}
		}
		if compressed != rg.TotalCompressedSize {
			t.Errorf("row group %d: total_compressed_size %d, chunks take %d", g, rg.TotalCompressedSize, compressed)
		}
	}
	if numRows != meta.NumRows {
		t.Errorf("file num_rows %d, row groups hold %d", meta.NumRows, numRows)
	}
	// The page index follows the chunks: every column index, then every
	// offset index, in chunk order, without gaps.
	for _, which := range []string{"column", "offset"} {
		for g := range meta.RowGroups {
			for c := range meta.RowGroups[g].Columns {
				cc := &meta.RowGroups[g].Columns[c]
				off, n := cc.ColumnIndexOffset, int64(cc.ColumnIndexLength)
				if which == "offset" {
					off, n = cc.OffsetIndexOffset, int64(cc.OffsetIndexLength)
				} else if off == 0 && n == 0 {
					continue
				}
				if off != pos {
					t.Fatalf("row group %d, column %d: %s index at %d, want %d", g, c, which, off, pos)
				}
				pos += n
			}
		}
	}
	footerLen := int64(len(data)) - 8 - pos
	if got := int64(binary.LittleEndian.Uint32(data[len(data)-8:])); got != footerLen {
		t.Errorf("footer of %d bytes, %d between the page index and the tail", got, footerLen)
	}
}

// span returns data[off:off+n], failing the test when it is out of range.
func span(t testing.TB, data []byte, off, n int64) []byte {
	t.Helper()
	if off <= 0 || n <= 0 || off+n > int64(len(data)) {
		t.Fatalf("span [%d, +%d) outside the file of %d bytes", off, n, len(data))
	}
	return data[off : off+n]
}

// pageContent is a page with its payload decompressed and the header
// fields that depend on the codec (compressed size, checksum) cleared.
type pageContent struct {
	header  format.PageHeader
	payload []byte
}

// decodedPages returns the pages of every column chunk of data, in file
// order, decompressed by the codec their chunk names.
func decodedPages(t testing.TB, data []byte) [][]pageContent {
	t.Helper()
	meta := rawFooter(t, data)
	var out [][]pageContent
	for g := range meta.RowGroups {
		for c := range meta.RowGroups[g].Columns {
			md := &meta.RowGroups[g].Columns[c].MetaData
			codec := parquet.LookupCompressionCodec(md.Codec)
			var chunk []pageContent
			for _, p := range walkPages(t, data, md) {
				raw := data[p.offset+int64(p.size)-int64(p.header.CompressedPageSize) : p.offset+int64(p.size)]
				payload, err := codec.Decode(make([]byte, p.header.UncompressedPageSize), raw)
				if err != nil {
					t.Fatalf("row group %d, column %d: decompress page at %d: %v", g, c, p.offset, err)
				}
				h := p.header
				h.CompressedPageSize, h.CRC = 0, 0
				chunk = append(chunk, pageContent{header: h, payload: bytes.Clone(payload)})
			}
			out = append(out, chunk)
		}
	}
	return out
}

// samePages reports the first difference between the decompressed pages of
// two files.
func samePages(t testing.TB, got, want []byte) {
	t.Helper()
	a, b := decodedPages(t, got), decodedPages(t, want)
	if len(a) != len(b) {
		t.Fatalf("%d column chunks, want %d", len(a), len(b))
	}
	for i := range b {
		if len(a[i]) != len(b[i]) {
			t.Fatalf("column chunk %d: %d pages, want %d", i, len(a[i]), len(b[i]))
		}
		for j := range b[i] {
			if !reflect.DeepEqual(a[i][j].header, b[i][j].header) {
				t.Fatalf("column chunk %d, page %d: header\n%+v\nwant\n%+v", i, j, a[i][j].header, b[i][j].header)
			}
			if !bytes.Equal(a[i][j].payload, b[i][j].payload) {
				t.Fatalf("column chunk %d, page %d: decompressed payloads differ", i, j)
			}
		}
	}
}

// leafInfo is what the statistics checks need of a column.
type leafInfo struct {
	typ            parquet.Type
	maxRep, maxDef int
}

// leafInfos lists the columns of schema in order.
func leafInfos(schema *parquet.Schema) []leafInfo {
	var out []leafInfo
	var walk func(n parquet.Node, rep, def int, root bool)
	walk = func(n parquet.Node, rep, def int, root bool) {
		if !root {
			switch {
			case n.Repeated():
				rep, def = rep+1, def+1
			case n.Optional():
				def++
			}
		}
		if n.Leaf() {
			out = append(out, leafInfo{typ: n.Type(), maxRep: rep, maxDef: def})
			return
		}
		for _, f := range n.Fields() {
			walk(f, rep, def, false)
		}
	}
	walk(schema, 0, 0, true)
	return out
}

// specCompare compares two non-null values of type typ in the sort order
// the Parquet format defines for it (parquet.thrift, ColumnOrder); ok is
// false when the format defines none (INT96, INTERVAL).
func specCompare(typ parquet.Type, a, b parquet.Value) (cmp int, ok bool) {
	lt := typ.LogicalType()
	ct := typ.ConvertedType()
	isDecimal := lt != nil && isType[*format.DecimalType](lt) || ct != nil && *ct == deprecated.Decimal
	unsigned := lt != nil && isType[*format.IntType](lt) && !lt.Value.(*format.IntType).IsSigned ||
		ct != nil && (*ct == deprecated.Uint8 || *ct == deprecated.Uint16 || *ct == deprecated.Uint32 || *ct == deprecated.Uint64)
	switch typ.Kind() {
	case parquet.Boolean:
		return boolInt(a.Boolean()) - boolInt(b.Boolean()), true
	case parquet.Int32:
		if unsigned {
			return compare(uint32(a.Int32()), uint32(b.Int32())), true
		}
		return compare(a.Int32(), b.Int32()), true
	case parquet.Int64:
		if unsigned {
			return compare(uint64(a.Int64()), uint64(b.Int64())), true
		}
		return compare(a.Int64(), b.Int64()), true
	case parquet.Float:
		return compare(a.Float(), b.Float()), true
	case parquet.Double:
		return compare(a.Double(), b.Double()), true
	case parquet.ByteArray, parquet.FixedLenByteArray:
		if ct != nil && *ct == deprecated.Interval {
			return 0, false
		}
		if isDecimal {
			return twosComplement(a.ByteArray()).Cmp(twosComplement(b.ByteArray())), true
		}
		return bytes.Compare(a.ByteArray(), b.ByteArray()), true
	}
	return 0, false
}

func isType[T any](lt *format.LogicalType) bool {
	_, ok := lt.Value.(T)
	return ok
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func compare[T int32 | int64 | uint32 | uint64 | float32 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// twosComplement reads b as a signed big-endian integer.
func twosComplement(b []byte) *big.Int {
	x := new(big.Int).SetBytes(b)
	if len(b) > 0 && b[0]&0x80 != 0 {
		x.Sub(x, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
	}
	return x
}

// isNaN reports whether v is a floating-point NaN.
func isNaN(v parquet.Value) bool {
	switch v.Kind() {
	case parquet.Float:
		return math.IsNaN(float64(v.Float()))
	case parquet.Double:
		return math.IsNaN(v.Double())
	}
	return false
}

// checkBounds checks that min and max (raw statistics of a column of type
// typ) bound values in the format's order, and are not NaN.
func checkBounds(t testing.TB, where string, typ parquet.Type, minRaw, maxRaw []byte, values []parquet.Value) {
	t.Helper()
	lo, hi := typ.Kind().Value(minRaw), typ.Kind().Value(maxRaw)
	if isNaN(lo) || isNaN(hi) {
		t.Errorf("%s: NaN bound (min %v, max %v)", where, lo, hi)
		return
	}
	for _, v := range values {
		if isNaN(v) {
			continue
		}
		c1, ok := specCompare(typ, lo, v)
		c2, _ := specCompare(typ, v, hi)
		if !ok {
			t.Errorf("%s: min/max written for a type without order", where)
			return
		}
		if c1 > 0 || c2 > 0 {
			t.Errorf("%s: value %v outside [min %v, max %v] in the format's order", where, v, lo, hi)
			return
		}
	}
}

// checkStatistics checks the statistics of data, whose row groups hold
// groups, against the values: null counts; min/max of column chunks,
// pages (page headers) and column index entries bounding the values in the
// format's order for the column's type, or absent where the format defines
// no order or parquet-go's is wrong. Per-page checks cover flat columns,
// whose rows and values coincide.
func checkStatistics(t testing.TB, data []byte, schema *parquet.Schema, groups [][]parquet.Row) {
	t.Helper()
	leaves := leafInfos(schema)
	meta := rawFooter(t, data)
	for g := range meta.RowGroups {
		for c := range meta.RowGroups[g].Columns {
			cc := &meta.RowGroups[g].Columns[c]
			md := &cc.MetaData
			leaf := leaves[c]
			where := fmt.Sprintf("row group %d, column %d (%v, %s)", g, c, md.PathInSchema, leaf.typ)
			var values []parquet.Value // non-null values of the chunk, per row
			var perRow [][]parquet.Value
			var nulls int64
			for _, row := range groups[g] {
				var mine []parquet.Value
				for _, v := range row {
					if v.Column() != c {
						continue
					}
					if v.DefinitionLevel() < leaf.maxDef {
						nulls++
						continue
					}
					mine = append(mine, v)
				}
				values = append(values, mine...)
				perRow = append(perRow, mine)
			}
			if md.Statistics.NullCount != nulls {
				t.Errorf("%s: null_count %d, want %d", where, md.Statistics.NullCount, nulls)
			}
			_, ordered := specCompare(leaf.typ, parquet.ZeroValue(leaf.typ.Kind()), parquet.ZeroValue(leaf.typ.Kind()))
			if leaf.typ.Kind() == parquet.Int96 || leaf.typ.Kind() == parquet.FixedLenByteArray || leaf.typ.Kind() == parquet.ByteArray {
				if lt := leaf.typ.LogicalType(); lt != nil && isType[*format.DecimalType](lt) {
					ordered = false // parquet-go orders these unsigned: no statistics expected
				}
			}
			st := md.Statistics
			if !ordered {
				if st.MinValue != nil || st.MaxValue != nil || st.Min != nil || st.Max != nil || cc.ColumnIndexOffset != 0 && len(values) > 0 {
					t.Errorf("%s: min/max statistics or a column index for a column without a usable order", where)
				}
				for _, p := range walkPages(t, data, md) {
					if h, ok := p.header.DataPageHeader.Get(); ok && (h.Statistics.MinValue != nil || h.Statistics.MaxValue != nil) {
						t.Errorf("%s: page at %d has min/max statistics", where, p.offset)
					}
				}
				continue
			}
			nonNaN := 0
			for _, v := range values {
				if !isNaN(v) {
					nonNaN++
				}
			}
			if st.MinValue == nil || st.MaxValue == nil {
				if nonNaN > 0 {
					t.Errorf("%s: no min/max for %d values", where, nonNaN)
				}
			} else {
				checkBounds(t, where, leaf.typ, st.MinValue, st.MaxValue, values)
			}
			if leaf.maxRep > 0 || cc.ColumnIndexOffset == 0 {
				continue
			}
			// Flat column: page p holds rows [first_p, first_p+1).
			oi, ci := new(format.OffsetIndex), new(format.ColumnIndex)
			if err := thrift.Unmarshal(new(thrift.CompactProtocol), span(t, data, cc.OffsetIndexOffset, int64(cc.OffsetIndexLength)), oi); err != nil {
				t.Fatal(err)
			}
			if err := thrift.Unmarshal(new(thrift.CompactProtocol), span(t, data, cc.ColumnIndexOffset, int64(cc.ColumnIndexLength)), ci); err != nil {
				t.Fatal(err)
			}
			var dataPages []pageInfo
			for _, p := range walkPages(t, data, md) {
				if p.header.Type != format.DictionaryPage {
					dataPages = append(dataPages, p)
				}
			}
			for p, loc := range oi.PageLocations {
				end := int64(len(perRow))
				if p+1 < len(oi.PageLocations) {
					end = oi.PageLocations[p+1].FirstRowIndex
				}
				var pageValues []parquet.Value
				for _, vs := range perRow[loc.FirstRowIndex:end] {
					pageValues = append(pageValues, vs...)
				}
				pw := fmt.Sprintf("%s, page %d", where, p)
				if ci.NullPages[p] != (len(pageValues) == 0) {
					t.Errorf("%s: null_pages %t with %d values", pw, ci.NullPages[p], len(pageValues))
				}
				if !ci.NullPages[p] {
					checkBounds(t, pw+" column index", leaf.typ, ci.MinValues[p], ci.MaxValues[p], pageValues)
				}
				if h, ok := dataPages[p].header.DataPageHeader.Get(); ok && h.Statistics.MinValue != nil {
					checkBounds(t, pw+" header", leaf.typ, h.Statistics.MinValue, h.Statistics.MaxValue, pageValues)
				}
			}
		}
	}
}
