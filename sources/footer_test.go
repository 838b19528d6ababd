package sources_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/splitdata/splitdata/sources"
)

// Compact-protocol type codes, from the thrift compact protocol spec.
const (
	tBool   = 1 // true, as a field type
	tI8     = 3
	tI32    = 5
	tI64    = 6
	tBinary = 8
	tList   = 9
	tSet    = 10
	tMap    = 11
	tStruct = 12
)

// thriftWriter writes the thrift compact protocol, just enough of it to
// build Parquet footers by hand: valid ones, and ones that lie.
type thriftWriter struct {
	b    []byte
	last []int16 // last field id of each open struct
}

func (w *thriftWriter) uvarint(v uint64) *thriftWriter {
	w.b = binary.AppendUvarint(w.b, v)
	return w
}

func (w *thriftWriter) varint(v int64) *thriftWriter {
	w.b = binary.AppendVarint(w.b, v)
	return w
}

func (w *thriftWriter) raw(b ...byte) *thriftWriter {
	w.b = append(w.b, b...)
	return w
}

// field writes the header of field id of type t in the open struct.
func (w *thriftWriter) field(id int16, t byte) *thriftWriter {
	last := &w.last[len(w.last)-1]
	if d := id - *last; d > 0 && d <= 15 {
		w.b = append(w.b, byte(d)<<4|t)
	} else {
		w.b = append(w.b, t)
		w.varint(int64(id))
	}
	*last = id
	return w
}

// begin opens a struct (the field header, if any, is written first).
func (w *thriftWriter) begin() *thriftWriter {
	w.last = append(w.last, 0)
	return w
}

// end closes the open struct.
func (w *thriftWriter) end() *thriftWriter {
	w.b = append(w.b, 0)
	w.last = w.last[:len(w.last)-1]
	return w
}

// list writes a list header of n elements of type t.
func (w *thriftWriter) list(n int, t byte) *thriftWriter {
	if n < 15 {
		return w.raw(byte(n)<<4 | t)
	}
	return w.raw(0xF0 | t).uvarint(uint64(n))
}

func (w *thriftWriter) str(s string) *thriftWriter {
	w.uvarint(uint64(len(s)))
	w.b = append(w.b, s...)
	return w
}

func (w *thriftWriter) i32(id int16, v int32) *thriftWriter {
	return w.field(id, tI32).varint(int64(v))
}
func (w *thriftWriter) i64(id int16, v int64) *thriftWriter { return w.field(id, tI64).varint(v) }

// schemaElement writes a SchemaElement: a leaf of type INT64 when
// children < 0, else a group of that many children.
func (w *thriftWriter) schemaElement(name string, children int) *thriftWriter {
	w.begin()
	if children < 0 {
		w.i32(1, 2) // INT64
		w.i32(3, 0) // REQUIRED
	}
	w.field(4, tBinary).str(name)
	if children >= 0 {
		w.i32(5, int32(children))
	}
	return w.end()
}

// columnChunk writes a ColumnChunk with only its file offset.
func (w *thriftWriter) columnChunk() *thriftWriter {
	return w.begin().i64(2, 4).end()
}

// rowGroup writes a RowGroup of n column chunks and no rows.
func (w *thriftWriter) rowGroup(n int) *thriftWriter {
	w.begin().field(1, tList).list(n, tStruct)
	for range n {
		w.columnChunk()
	}
	return w.i64(2, 0).i64(3, 0).end()
}

// footerSpec is a FileMetaData to write: a schema of a root and leaves
// leaf columns under a chain of depth-1 groups, rowGroups row groups, kv
// key/value pairs.
type footerSpec struct {
	leaves, depth, rowGroups, kv int
}

func (s footerSpec) write() []byte {
	var w thriftWriter
	w.begin().i32(1, 1)
	groups := max(s.depth-1, 0)
	w.field(2, tList).list(1+groups+s.leaves, tStruct)
	w.schemaElement("schema", 1)
	if groups == 0 {
		w.b = w.b[:len(w.b)-2] // rewrite the root's child count
		w.varint(int64(s.leaves)).raw(0)
	}
	for i := range groups {
		n := 1
		if i == groups-1 {
			n = s.leaves
		}
		w.schemaElement("g", n)
	}
	for i := range s.leaves {
		w.schemaElement("c"+itoa(i), -1)
	}
	w.i64(3, 0)
	w.field(4, tList).list(s.rowGroups, tStruct)
	for range s.rowGroups {
		w.rowGroup(s.leaves)
	}
	if s.kv > 0 {
		w.field(5, tList).list(s.kv, tStruct)
		for i := range s.kv {
			w.begin().field(1, tBinary).str("k"+itoa(i)).field(2, tBinary).str("v").end()
		}
	}
	return w.end().b
}

func itoa(i int) string { return strconv.Itoa(i) }

// parquetFile wraps a footer into a Parquet file: magic, footer, its
// length, magic.
func parquetFile(footer []byte) []byte {
	b := append([]byte("PAR1"), footer...)
	b = binary.LittleEndian.AppendUint32(b, uint32(len(footer)))
	return append(b, "PAR1"...)
}

// fakeFile is a file of size bytes that is all zeros but for its first
// and last bytes, so that tests can claim sizes no test should write.
type fakeFile struct {
	size       int64
	head, tail []byte
}

func (f fakeFile) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 || off >= f.size {
		return 0, io.EOF
	}
	n := len(p)
	if int64(n) > f.size-off {
		n = int(f.size - off)
	}
	clear(p[:n])
	copy(p[:n], f.head[min(int64(len(f.head)), off):])
	if start := f.size - int64(len(f.tail)); off+int64(n) > start {
		src := max(0, off-start)
		dst := max(0, start-off)
		copy(p[dst:n], f.tail[src:])
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

func TestFooterWriterMakesValidFiles(t *testing.T) {
	// The crafted footers below are only as good as the writer: a valid
	// spec must open, with the shape it was written with.
	b := parquetFile(footerSpec{leaves: 3, depth: 2, rowGroups: 2, kv: 1}.write())
	p, err := sources.OpenParquet("ok.parquet", bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if got := len(p.Columns()); got != 3 {
		t.Errorf("%d columns, want 3", got)
	}
	if got := p.NumRowGroups(); got != 2 {
		t.Errorf("%d row groups, want 2", got)
	}
	if got := p.KeyValueMetadata(); len(got) != 1 || got[0].Key != "k0" {
		t.Errorf("key/value metadata %v, want k0", got)
	}
}

// deepSchema is a footer whose schema is a chain of depth groups above one
// leaf.
func deepSchema(depth int) []byte {
	return footerSpec{leaves: 1, depth: depth, rowGroups: 1}.write()
}

// lying returns a footer that starts like a FileMetaData and then holds
// what prefix writes, followed by a few bytes if it leaves a struct open.
func lying(prefix func(w *thriftWriter)) []byte {
	var w thriftWriter
	w.begin().i32(1, 1)
	prefix(&w)
	if len(w.last) > 0 {
		w.raw(0, 0, 0, 0) // a few bytes to walk into
	}
	return w.b
}

func TestHostileFooters(t *testing.T) {
	const huge = math.MaxInt32
	// The file of issue 23's case 4: 37 bytes whose footer claims 2^31-1
	// schema elements.
	case4 := parquetFile(append([]byte{0x29, 0xFC}, append(binary.AppendUvarint(nil, huge), make([]byte, 18)...)...))
	case4b := parquetFile(append([]byte{0x29, 0xFC}, append(binary.AppendUvarint(nil, 100_000_000), make([]byte, 18)...)...))
	if len(case4) != 37 || len(case4b) != 36 {
		t.Fatalf("case 4 files of %d and %d bytes, want 37 and 36", len(case4), len(case4b))
	}
	valid := footerSpec{leaves: 1, rowGroups: 1}.write()
	tests := []struct {
		name string
		file io.ReaderAt
		size int64
		kind error
		want string // in the message
		rg   int    // row group the error names, or -1
	}{
		{name: "2^31-1 schema elements in 37 bytes", file: bytes.NewReader(case4), size: 37,
			kind: sources.ErrCorrupt, want: "list of 2147483647 elements in the 18 bytes left", rg: -1},
		{name: "100M schema elements in 36 bytes", file: bytes.NewReader(case4b), size: 36,
			kind: sources.ErrCorrupt, want: "list of 100000000 elements", rg: -1},
		{name: "footer length 0xFFFFFFF0", size: 1000,
			file: fakeFile{size: 1000, head: []byte("PAR1"), tail: []byte{0xF0, 0xFF, 0xFF, 0xFF, 'P', 'A', 'R', '1'}},
			kind: sources.ErrCorrupt, want: "footer length 4294967280 exceeds the 988 bytes", rg: -1},
		{name: "footer over MaxFooterBytes in a 1 TiB file", size: 1 << 40,
			file: fakeFile{size: 1 << 40, head: []byte("PAR1"), tail: append(binary.LittleEndian.AppendUint32(nil, sources.MaxFooterBytes+1), "PAR1"...)},
			kind: sources.ErrUnsupported, want: "(MaxFooterBytes)", rg: -1},
		{name: "encrypted footer", file: bytes.NewReader(append([]byte("PAR1xxxxxxxx\x04\x00\x00\x00"), "PARE"...)), size: 20,
			kind: sources.ErrUnsupported, want: "encrypted footer", rg: -1},
		{name: "too short", file: bytes.NewReader([]byte("PAR1PAR1")), size: 8,
			kind: sources.ErrCorrupt, want: "too short", rg: -1},
		{name: "not parquet", file: bytes.NewReader([]byte("hello, world, this is text")), size: 26,
			kind: sources.ErrCorrupt, want: "not a Parquet file", rg: -1},
		{name: "file shorter than its size", file: bytes.NewReader(parquetFile(valid)), size: int64(len(parquetFile(valid))) + 100,
			kind: sources.ErrCorrupt, want: "", rg: -1},
		{name: "schema 20,000 deep", file: bytes.NewReader(parquetFile(deepSchema(20_000))), size: int64(len(parquetFile(deepSchema(20_000)))),
			kind: sources.ErrUnsupported, want: "schema nested more than 64 levels deep (MaxSchemaDepth)", rg: -1},
		{name: "schema 5,000 deep", file: bytes.NewReader(parquetFile(deepSchema(5_000))), size: int64(len(parquetFile(deepSchema(5_000)))),
			kind: sources.ErrUnsupported, want: `column "g.g.…(61 more)….g.g"`, rg: -1},
		{name: "schema 65 deep", file: bytes.NewReader(parquetFile(deepSchema(65))), size: int64(len(parquetFile(deepSchema(65)))),
			kind: sources.ErrUnsupported, want: "MaxSchemaDepth", rg: -1},
	}
	for _, l := range []struct {
		name string
		w    func(w *thriftWriter)
		want string
		kind error
		rg   int
	}{
		{"row groups", func(w *thriftWriter) { w.field(4, tList).list(huge, tStruct) }, "list of 2147483647 elements", sources.ErrCorrupt, -1},
		{"column chunks", func(w *thriftWriter) {
			w.field(4, tList).list(1, tStruct).begin().field(1, tList).list(huge, tStruct)
		}, "list of 2147483647 elements", sources.ErrCorrupt, -1},
		{"key/value metadata", func(w *thriftWriter) { w.field(5, tList).list(huge, tStruct) }, "list of 2147483647", sources.ErrCorrupt, -1},
		{"column orders", func(w *thriftWriter) { w.field(7, tList).list(1<<30, tStruct) }, "list of 1073741824", sources.ErrCorrupt, -1},
		{"bools", func(w *thriftWriter) { w.field(7, tList).list(5, tBool) }, "list of 5 elements in the 4 bytes left", sources.ErrCorrupt, -1},
		{"encodings", func(w *thriftWriter) {
			w.field(4, tList).list(1, tStruct).begin().field(1, tList).list(1, tStruct).begin().
				field(3, tStruct).begin().field(2, tList).list(huge, tI32)
		}, "list of 2147483647", sources.ErrCorrupt, -1},
		{"statistics value", func(w *thriftWriter) {
			w.field(4, tList).list(1, tStruct).begin().field(1, tList).list(1, tStruct).begin().
				field(3, tStruct).begin().field(12, tStruct).begin().field(5, tBinary).uvarint(huge)
		}, "binary of 2147483647 bytes in the 4 bytes left", sources.ErrCorrupt, -1},
		{"created_by", func(w *thriftWriter) { w.field(6, tBinary).uvarint(1 << 40) }, "binary length 1099511627776 out of range", sources.ErrCorrupt, -1},
		{"unknown map", func(w *thriftWriter) { w.field(99, tMap).uvarint(huge).raw(0x88) }, "map of 2147483647 entries", sources.ErrCorrupt, -1},
		{"unknown set", func(w *thriftWriter) { w.field(99, tSet).list(huge, tI64) }, "list of 2147483647", sources.ErrCorrupt, -1},
		{"unknown type", func(w *thriftWriter) { w.field(99, 14) }, "unknown thrift type 14", sources.ErrCorrupt, -1},
		{"list of unknown type", func(w *thriftWriter) { w.field(99, tList).list(huge, 0) }, "unknown type 0", sources.ErrCorrupt, -1},
		{"nesting", func(w *thriftWriter) {
			w.field(99, tList)
			for range 100_000 {
				w.list(1, tList)
			}
		}, "nested more than 64 deep", sources.ErrCorrupt, -1},
		{"varint", func(w *thriftWriter) { w.field(3, tI64).raw(bytes.Repeat([]byte{0xFF}, 11)...) }, "overflows", sources.ErrCorrupt, -1},
		{"field twice", func(w *thriftWriter) { w.field(2, tList).list(0, tStruct).field(2, tList).list(0, tStruct) }, "field 2 appears twice", sources.ErrCorrupt, -1},
		{"no schema", func(w *thriftWriter) { w.i64(3, 0).field(4, tList).list(0, tStruct).end() }, "no schema", sources.ErrCorrupt, -1},
		{"num_children beyond the schema", func(w *thriftWriter) {
			w.field(2, tList).list(2, tStruct).schemaElement("schema", 1000).schemaElement("a", -1).end()
		}, `schema ends with 999 children of "schema" missing`, sources.ErrCorrupt, -1},
		{"num_children of a long-named group", func(w *thriftWriter) {
			w.field(2, tList).list(2, tStruct).schemaElement("schema", 1).schemaElement(strings.Repeat("n", 100_000), 5).end()
		}, `schema ends with 5 children of "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn…" missing`, sources.ErrCorrupt, -1},
		{"negative num_children", func(w *thriftWriter) {
			w.field(2, tList).list(2, tStruct).schemaElement("schema", 1).schemaElement("a", 0)
			w.b[len(w.b)-2] = 1 // zigzag -1
			w.end()
		}, `column "a": -1 children`, sources.ErrCorrupt, -1},
		{"elements beyond the root", func(w *thriftWriter) {
			w.field(2, tList).list(3, tStruct).schemaElement("schema", 1).schemaElement("a", -1).schemaElement("b", -1).end()
		}, "schema element 2 lies outside the root's columns", sources.ErrCorrupt, -1},
		{"leaf with children", func(w *thriftWriter) {
			w.field(2, tList).list(2, tStruct).schemaElement("schema", 1)
			w.begin().i32(1, 2).field(4, tBinary).str("a").i32(5, 3).end()
			w.end()
		}, "leaf column declares 3 children", sources.ErrCorrupt, -1},
		{"row group of other width", func(w *thriftWriter) {
			w.field(2, tList).list(2, tStruct).schemaElement("schema", 1).schemaElement("a", -1)
			w.i64(3, 0).field(4, tList).list(3, tStruct).rowGroup(1).rowGroup(1).rowGroup(2).end()
		}, "row groups hold different numbers of column chunks", sources.ErrCorrupt, 2},
		{"row groups wider than the schema", func(w *thriftWriter) {
			w.field(2, tList).list(2, tStruct).schemaElement("schema", 1).schemaElement("a", -1)
			w.i64(3, 0).field(4, tList).list(1, tStruct).rowGroup(5000).end()
		}, "5000 column chunks for 1 leaf columns", sources.ErrCorrupt, 0},
	} {
		b := parquetFile(lying(l.w))
		tests = append(tests, struct {
			name string
			file io.ReaderAt
			size int64
			kind error
			want string
			rg   int
		}{"huge " + l.name, bytes.NewReader(b), int64(len(b)), l.kind, l.want, l.rg})
	}
	// A valid footer of 600,000 row groups in 5 MiB would take over a GiB
	// decoded.
	big := parquetFile(footerSpec{leaves: 1, rowGroups: 600_000}.write())
	tests = append(tests, struct {
		name string
		file io.ReaderAt
		size int64
		kind error
		want string
		rg   int
	}{"decoded size over MaxFooterMemory", bytes.NewReader(big), int64(len(big)), sources.ErrUnsupported, "(MaxFooterMemory)", -1})
	// Trailing bytes after the metadata: 28 of them are an AES-GCM signature.
	for _, n := range []int{1, 28} {
		b := parquetFile(append(bytes.Clone(valid), make([]byte, n)...))
		kind, want := sources.ErrCorrupt, "1 bytes after the end of the file metadata"
		if n == 28 {
			kind, want = sources.ErrUnsupported, "signed footer"
		}
		tests = append(tests, struct {
			name string
			file io.ReaderAt
			size int64
			kind error
			want string
			rg   int
		}{"trailing " + itoa(n), bytes.NewReader(b), int64(len(b)), kind, want, -1})
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			p, err := sources.OpenParquet("hostile.parquet", tc.file, tc.size)
			runtime.ReadMemStats(&after)
			if err == nil {
				p.Close()
				t.Fatal("opened")
			}
			t.Log(err)
			checkInputError(t, err, "hostile.parquet", tc.kind, tc.want)
			var ie *sources.InputError
			if errors.As(err, &ie) && ie.RowGroup != tc.rg {
				t.Errorf("row group %d, want %d", ie.RowGroup, tc.rg)
			}
			if d := after.TotalAlloc - before.TotalAlloc; d > 16<<20 {
				t.Errorf("allocated %d MiB to refuse the file", d>>20)
			}
		})
	}
}

// checkInputError checks that err is one short line, an InputError naming
// path and wrapping kind, whose message holds want.
func checkInputError(t *testing.T, err error, path string, kind error, want string) {
	t.Helper()
	msg := err.Error()
	var ie *sources.InputError
	switch {
	case !errors.As(err, &ie):
		t.Errorf("%q is not an InputError", msg)
	case ie.Path != path:
		t.Errorf("error names %q, want %q", ie.Path, path)
	}
	if !errors.Is(err, kind) {
		t.Errorf("%q does not wrap %v", msg, kind)
	}
	if !strings.Contains(msg, want) {
		t.Errorf("error %q does not say %q", msg, want)
	}
	if len(msg) > 300 || strings.Contains(msg, "\n") {
		t.Errorf("error of %d bytes, not one short line: %q", len(msg), msg)
	}
}

func TestFooterMemoryEstimate(t *testing.T) {
	// The footer check refuses footers whose decoding it estimates above
	// MaxFooterMemory; the estimate must not fall short of what opening
	// really allocates, whatever the footer's shape.
	for _, tc := range []struct {
		name string
		spec footerSpec
	}{
		{"wide", footerSpec{leaves: 60_000, rowGroups: 1}},
		{"many row groups", footerSpec{leaves: 1, rowGroups: 30_000}},
		{"many chunks", footerSpec{leaves: 200, rowGroups: 200}},
		{"deep", footerSpec{leaves: 1000, depth: 64, rowGroups: 2}},
		{"key/value", footerSpec{leaves: 1, rowGroups: 1, kv: 100_000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			footer := tc.spec.write()
			b := parquetFile(footer)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			p, err := sources.OpenParquet("ok.parquet", bytes.NewReader(b), int64(len(b)))
			p.Columns()
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			estimate := p.FooterMemory()
			if estimate > sources.MaxFooterMemory {
				t.Errorf("estimate %d above MaxFooterMemory for a footer that opened", estimate)
			}
			got := int64(after.TotalAlloc - before.TotalAlloc)
			t.Logf("footer %d bytes, estimate %d, allocated %d (%.2f)", len(footer), estimate, got, float64(estimate)/float64(got))
			if got > estimate {
				t.Errorf("opening allocated %d bytes, more than the estimate of %d", got, estimate)
			}
		})
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.ReaderAt
	n int64
}

func (c *countingReader) ReadAt(p []byte, off int64) (int, error) {
	n, err := c.r.ReadAt(p, off)
	c.n += int64(n)
	return n, err
}

func TestOpenParquetReadsFooterOnce(t *testing.T) {
	// The decoder decodes the footer that was checked, from memory: reading
	// it again from the file would double the I/O of a big footer and
	// decode bytes that could have changed since.
	footer := footerSpec{leaves: 50, rowGroups: 20, kv: 10}.write()
	b := parquetFile(footer)
	r := &countingReader{r: bytes.NewReader(b)}
	p, err := sources.OpenParquet("ok.parquet", r, int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	// The head magic, the length and magic at the end, then the footer
	// with them, each once.
	if want := int64(4 + 8 + len(footer) + 8); r.n != want {
		t.Errorf("opening read %d bytes, want %d", r.n, want)
	}
}

var updateHostile = flag.Bool("update-hostile", false, "rewrite the crafted Parquet files of cmd/splitdata/testdata/hostile")

// hostileFiles are the crafted files the command-line script
// hostile_footer.txtar runs splitdata on; a txtar cannot hold binary files,
// so they are committed, and made here.
func hostileFiles() map[string][]byte {
	tail := func(n uint32) []byte {
		return append(binary.LittleEndian.AppendUint32(append([]byte("PAR1"), make([]byte, 16)...), n), "PAR1"...)
	}
	claim := func(n uint64) []byte {
		return parquetFile(append(append([]byte{0x29, 0xFC}, binary.AppendUvarint(nil, n)...), make([]byte, 18)...))
	}
	return map[string][]byte{
		"schema-2g.parquet":    claim(math.MaxInt32),
		"schema-100m.parquet":  claim(100_000_000),
		"footer-4g.parquet":    tail(0xFFFFFFF0),
		"deep-5000.parquet":    parquetFile(deepSchema(5_000)),
		"deep-20000.parquet":   parquetFile(deepSchema(20_000)),
		"rowgroups-2g.parquet": parquetFile(lying(func(w *thriftWriter) { w.field(4, tList).list(math.MaxInt32, tStruct) })),
	}
}

func TestHostileFiles(t *testing.T) {
	dir := filepath.Join("..", "cmd", "splitdata", "testdata", "hostile")
	for name, want := range hostileFiles() {
		path := filepath.Join(dir, name)
		if *updateHostile {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (go test ./sources -run TestHostileFiles -update-hostile writes it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the test makes (go test ./sources -run TestHostileFiles -update-hostile rewrites it)", path)
		}
		if _, err := sources.OpenParquet(name, bytes.NewReader(got), int64(len(got))); err == nil {
			t.Errorf("%s opened", name)
		}
	}
}
