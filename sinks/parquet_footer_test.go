package sinks_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/sinks"
)

// TestEmptyFile checks files without row groups: no Append, or only empty
// groups, give the same bytes, a valid file with the schema, created_by
// and key/value metadata, and no rows.
func TestEmptyFile(t *testing.T) {
	schema := testSchemas()[3].schema
	opts := sinks.ParquetOptions{Compression: "zstd", CreatedBy: "splitdata test"}
	kv := []sinks.KeyValue{{Key: "k", Value: "v"}}
	enc, err := sinks.NewRowGroupEncoder(schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	none := writeFile(t, schema, opts, kv, nil)
	empties := writeFile(t, schema, opts, kv, encodeGroups(t, enc, [][]parquet.Row{{}, {}}))
	if !bytes.Equal(none, empties) {
		t.Errorf("appending empty groups changed the file (%d bytes, %d without)", len(empties), len(none))
	}
	checkLayout(t, none, format.Zstd, nil)
	f, groups := readBack(t, none)
	if f.NumRows() != 0 || len(groups) != 0 {
		t.Errorf("empty file has %d rows in %d row groups", f.NumRows(), len(groups))
	}
	if !parquet.EqualNodes(f.Schema(), schema) {
		t.Errorf("schema read back:\n%v\nwant:\n%v", f.Schema(), schema)
	}
	meta := rawFooter(t, none)
	if meta.RowGroups == nil || len(meta.RowGroups) != 0 || meta.CreatedBy != "splitdata test" || len(meta.KeyValueMetadata) != 1 {
		t.Errorf("footer %+v", meta)
	}
}

// TestCreatedBy checks that created_by is the file writer's option (or
// DefaultCreatedBy), that groups encoded with another CreatedBy may be
// appended, and that created_by changes nothing but the footer.
func TestCreatedBy(t *testing.T) {
	schema := typicalSchema()
	rows := typicalRows(0, 500)
	enc, err := sinks.NewRowGroupEncoder(schema, sinks.ParquetOptions{CreatedBy: "encoder"})
	if err != nil {
		t.Fatal(err)
	}
	groups := encodeGroups(t, enc, [][]parquet.Row{rows[:200], rows[200:]})
	def := writeFile(t, schema, sinks.ParquetOptions{}, nil, groups)
	pinned := writeFile(t, schema, sinks.ParquetOptions{CreatedBy: "splitdata version 1.2.0"}, nil, groups)
	if got := rawFooter(t, def).CreatedBy; got != sinks.DefaultCreatedBy {
		t.Errorf("default created_by %q, want %q", got, sinks.DefaultCreatedBy)
	}
	if got := rawFooter(t, pinned).CreatedBy; got != "splitdata version 1.2.0" {
		t.Errorf("created_by %q, want the writer's", got)
	}
	// Both files hold the same chunks and page index; only the footer
	// differs.
	n := firstDiff(def, pinned)
	footer := len(def) - 8 - int(rawFooterLen(def))
	if n < footer {
		t.Errorf("files differ at offset %d, before the footer at %d", n, footer)
	}
	_, got := readBack(t, pinned)
	compareRows(t, "rows", concat(got), rows)
}

// rawFooterLen returns the footer length recorded before the final magic.
func rawFooterLen(data []byte) uint32 { return binary.LittleEndian.Uint32(data[len(data)-8:]) }

// TestAppendSameGroupTwice checks that appending does not modify a group:
// the same group appended twice to one file, and to another file, gives
// valid files whose row groups all hold its rows.
func TestAppendSameGroupTwice(t *testing.T) {
	sc := testSchemas()[3]
	opts := sinks.ParquetOptions{PageBufferSize: 1024}
	enc, err := sinks.NewRowGroupEncoder(sc.schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	rows := newRowGen(sc.schema, 9).rows(300)
	g := encodeGroups(t, enc, [][]parquet.Row{rows})[0]
	for _, data := range [][]byte{
		writeFile(t, sc.schema, opts, nil, []*sinks.EncodedRowGroup{g, g, g}),
		writeFile(t, sc.schema, opts, nil, []*sinks.EncodedRowGroup{g}),
	} {
		checkLayout(t, data, format.Snappy, maxRepetition(sc.schema))
		f, got := readBack(t, data)
		for i := range got {
			compareRows(t, "row group", got[i], rows)
		}
		checkSeeks(t, f, [][]parquet.Row{rows, rows, rows}[:len(got)])
	}
}

// countWriter counts the bytes written to it.
type countWriter struct{ n int64 }

func (w *countWriter) Write(p []byte) (int, error) {
	w.n += int64(len(p))
	return len(p), nil
}

// TestSize checks that EncodedRowGroup.Size is at least what Append writes
// for the group, as its documentation promises for memory accounting.
func TestSize(t *testing.T) {
	for _, sc := range testSchemas() {
		enc, err := sinks.NewRowGroupEncoder(sc.schema, sinks.ParquetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		rows := newRowGen(sc.schema, 4).rows(500)
		for i, g := range encodeGroups(t, enc, [][]parquet.Row{rows[:1], rows}) {
			var cw countWriter
			w, err := sinks.NewParquetFileWriter(&cw, sc.schema, sinks.ParquetOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Append(g); err != nil {
				t.Fatal(err)
			}
			if written := cw.n - 4; written > g.Size() { // less the magic
				t.Errorf("%s group %d: Append wrote %d bytes, Size() = %d", sc.name, i, written, g.Size())
			}
		}
	}
}

// TestAppendErrors checks Append's refusals: groups of another schema or
// encoding, nil and zero groups, and calls after Close.
func TestAppendErrors(t *testing.T) {
	schema := typicalSchema()
	rows := typicalRows(0, 50)
	group := func(schema *parquet.Schema, opts sinks.ParquetOptions, rows []parquet.Row) *sinks.EncodedRowGroup {
		t.Helper()
		enc, err := sinks.NewRowGroupEncoder(schema, opts)
		if err != nil {
			t.Fatal(err)
		}
		return encodeGroups(t, enc, [][]parquet.Row{rows})[0]
	}
	other := parquet.NewSchema("other", parquet.Group{"v": parquet.Int(64)})
	tests := []struct {
		name string
		g    *sinks.EncodedRowGroup
		is   error
		want string
	}{
		{"other schema", group(other, sinks.ParquetOptions{}, []parquet.Row{{parquet.Int64Value(1).Level(0, 0, 0)}}), sinks.ErrIncompatibleRowGroup, "another schema"},
		{"other codec", group(schema, sinks.ParquetOptions{Compression: "zstd"}, rows), sinks.ErrIncompatibleRowGroup, "encoded with"},
		{"other level", group(schema, sinks.ParquetOptions{Compression: "gzip", CompressionLevel: 2}, rows), sinks.ErrIncompatibleRowGroup, "encoded with"},
		{"other page size", group(schema, sinks.ParquetOptions{PageBufferSize: 4096}, rows), sinks.ErrIncompatibleRowGroup, "encoded with"},
		{"plain", group(schema, sinks.ParquetOptions{Compression: "gzip", Encoding: sinks.EncodingPlain}, rows), sinks.ErrIncompatibleRowGroup, "encoded with"},
		{"plain dictionary", group(schema, sinks.ParquetOptions{Compression: "gzip", Encoding: sinks.EncodingPlain, Dictionary: true}, rows), sinks.ErrIncompatibleRowGroup, "encoded with"},
		{"nil group", nil, nil, "nil"},
		{"zero group", &sinks.EncodedRowGroup{}, nil, "not made by a RowGroupEncoder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			w, err := sinks.NewParquetFileWriter(&buf, schema, sinks.ParquetOptions{Compression: "gzip"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = w.Append(tt.g)
			if err == nil || tt.is != nil && !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Append = %v, want an error containing %q (wrapping %v)", err, tt.want, tt.is)
			}
			// A refused group leaves the writer usable.
			if err := w.Close(); err != nil {
				t.Fatalf("Close after a refused Append: %v", err)
			}
			checkLayout(t, buf.Bytes(), format.Gzip, nil)
		})
	}
	t.Run("after Close", func(t *testing.T) {
		w, err := sinks.NewParquetFileWriter(io.Discard, schema, sinks.ParquetOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if err := w.Append(group(schema, sinks.ParquetOptions{}, rows)); !errors.Is(err, sinks.ErrClosed) {
			t.Errorf("Append after Close = %v, want ErrClosed", err)
		}
		if err := w.Close(); !errors.Is(err, sinks.ErrClosed) {
			t.Errorf("second Close = %v, want ErrClosed", err)
		}
	})
}

// TestNewParquetFileWriterErrors checks the constructor's refusals.
func TestNewParquetFileWriterErrors(t *testing.T) {
	schema := typicalSchema()
	tests := []struct {
		name string
		w    io.Writer
		opts sinks.ParquetOptions
		kv   []sinks.KeyValue
		want string
	}{
		{"nil writer", nil, sinks.ParquetOptions{}, nil, "io.Writer is nil"},
		{"bad options", io.Discard, sinks.ParquetOptions{PageBufferSize: -1}, nil, "page_buffer_size"},
		{"key not UTF-8", io.Discard, sinks.ParquetOptions{}, []sinks.KeyValue{{Key: "a", Value: "b"}, {Key: "\xc3", Value: "v"}}, "entry 1"},
		{"value not UTF-8", io.Discard, sinks.ParquetOptions{}, []sinks.KeyValue{{Key: "k", Value: "\xff"}}, "entry 0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := sinks.NewParquetFileWriter(tt.w, schema, tt.opts, tt.kv)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewParquetFileWriter = %v, %v; want an error containing %q", w, err, tt.want)
			}
		})
	}
}

// failWriter accepts limit bytes, then fails; with short set it reports
// the failure as a short write without an error.
type failWriter struct {
	limit int
	short bool
	err   error
}

func (w *failWriter) Write(p []byte) (int, error) {
	if len(p) <= w.limit {
		w.limit -= len(p)
		return len(p), nil
	}
	n := w.limit
	w.limit = 0
	if w.short {
		return n, nil
	}
	return n, w.err
}

// TestWriteErrors fails the underlying writer at every stage of a file:
// the error comes back from Append or Close, wrapped, further calls report
// it too, and nothing panics.
func TestWriteErrors(t *testing.T) {
	schema := typicalSchema()
	rows := typicalRows(0, 300)
	enc, err := sinks.NewRowGroupEncoder(schema, sinks.ParquetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	groups := encodeGroups(t, enc, [][]parquet.Row{rows[:100], rows[100:]})
	full := writeFile(t, schema, sinks.ParquetOptions{}, nil, groups)
	boom := errors.New("disk full")
	for _, limit := range []int{0, 3, 4, 100, len(full) / 2, len(full) - 100, len(full) - 1} {
		for _, short := range []bool{false, true} {
			fw := &failWriter{limit: limit, short: short, err: boom}
			want := boom
			if short {
				want = io.ErrShortWrite
			}
			w, err := sinks.NewParquetFileWriter(fw, schema, sinks.ParquetOptions{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			var first error
			for _, g := range groups {
				if err := w.Append(g); err != nil && first == nil {
					first = err
				} else if err != nil && !errors.Is(err, want) {
					t.Errorf("limit %d: Append after a failure = %v, want it to wrap %v", limit, err, want)
				}
			}
			cerr := w.Close()
			if first == nil {
				first = cerr
			} else if !errors.Is(cerr, want) {
				t.Errorf("limit %d: Close after a failure = %v, want it to wrap %v", limit, cerr, want)
			}
			if !errors.Is(first, want) {
				t.Errorf("limit %d, short %t: first error %v, want it to wrap %v", limit, short, first, want)
			}
		}
	}
}

// writeLog records the length of each write given to it, and the bytes.
type writeLog struct {
	sizes []int
	buf   bytes.Buffer
}

func (w *writeLog) Write(p []byte) (int, error) {
	w.sizes = append(w.sizes, len(p))
	return w.buf.Write(p)
}

// TestAppendWritesRowGroupsWhole holds Append to one write per row group,
// the first with the magic: a bufio.Writer, as the pipeline's files have,
// takes such writes straight to the file (and the hash) only while it
// holds nothing, and copied a buffer's worth of a file's first row group
// written after the magic on its own. Row groups encoded by any path
// (parquet-go's writer, loaded from a file, with trimmed statistics) make
// a file that reads back whole.
func TestAppendWritesRowGroupsWhole(t *testing.T) {
	sc := testSchemas()[3]
	opts := sinks.ParquetOptions{PageBufferSize: 1024}
	enc, err := sinks.NewRowGroupEncoder(sc.schema, opts)
	if err != nil {
		t.Fatal(err)
	}
	gen := newRowGen(sc.schema, 11)
	groups := encodeGroups(t, enc, [][]parquet.Row{gen.rows(300), gen.rows(200)})
	loaded, err := enc.Load(writeFile(t, sc.schema, opts, nil, groups[1:]))
	if err != nil {
		t.Fatal(err)
	}
	long := parquet.NewSchema("long", parquet.Group{"s": parquet.String()})
	longEnc, err := sinks.NewRowGroupEncoder(long, opts)
	if err != nil {
		t.Fatal(err)
	}
	trimmed := encodeGroups(t, longEnc, [][]parquet.Row{{parquet.Row{parquet.ByteArrayValue(bytes.Repeat([]byte("x"), 2*sinks.MaxStatisticsBytes)).Level(0, 0, 0)}}})
	tests := []struct {
		name   string
		schema *parquet.Schema
		groups []*sinks.EncodedRowGroup
	}{
		{"encoded", sc.schema, groups},
		{"loaded first", sc.schema, []*sinks.EncodedRowGroup{loaded, groups[0]}},
		{"trimmed statistics", long, trimmed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log writeLog
			w, err := sinks.NewParquetFileWriter(&log, tt.schema, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			for i, g := range tt.groups {
				if err := w.Append(g); err != nil {
					t.Fatal(err)
				}
				if tt.name != "trimmed statistics" && len(log.sizes) != i+1 {
					t.Fatalf("row group %d: %d writes so far (sizes %v), want %d", i, len(log.sizes), log.sizes, i+1)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			_, got := readBack(t, log.buf.Bytes())
			if len(got) != len(tt.groups) {
				t.Fatalf("read back %d row groups, want %d", len(got), len(tt.groups))
			}
		})
	}
}
