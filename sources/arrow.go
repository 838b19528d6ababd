package sources

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/rowcheck"
)

// arrowMagic opens and closes an Arrow IPC file (the file format); a stream
// has no magic.
const arrowMagic = "ARROW1"

// maxArrowMetadata bounds one IPC message's metadata (its flatbuffer
// header), read whole while the input is opened.
const maxArrowMetadata = 64 << 20

// Arrow is an opened Arrow IPC input, in the file format (.arrow, Feather
// version 2) or the stream format (.arrows). Its units are the record
// batches, in order. An Arrow may be read by several goroutines at once,
// one record batch each.
//
// Opening reads only message headers: for the file format the footer and
// the metadata (flatbuffer header, not the body) of every record batch, to
// learn its row count, plus the schema and the dictionary batches, which
// arrow-go decodes when it opens a file and keeps until Close; for the
// stream format one pass over the message headers, recording where every
// message lies (each header is read, each body skipped). No record batch
// body is read before [Arrow.ReadUnit].
type Arrow struct {
	name string
	size int64
	r    io.ReaderAt
	mem  memory.Allocator
	file *ipc.FileReader // file format; nil for a stream
	// fileMu serialises file's RecordBatchAt: arrow-go's FileReader shares
	// a dictionary mapper between calls and is not safe for concurrent
	// use (the race detector caught it). Shredding the decoded batch, the
	// larger cost, still runs in parallel.
	fileMu  sync.Mutex
	schema  *parquet.Schema
	nodes   []*arrowNode
	leaves  int
	layout  rowcheck.Layout
	kv      []KeyValue
	batches []arrowBatch
	numRows int64
	closer  io.Closer
	stamp   fileStamp

	// Stream format: the schema message and every dictionary batch, in
	// stream order, with the index of the first record batch after each.
	schemaMsg section
	dicts     []arrowDict

	// views counts the variadic buffer counts each batch must state.
	views schemaViews
}

// section is a byte range of the input.
type section struct{ off, n int64 }

// arrowBatch is one record batch: where its message lies, how many of its
// bytes are the prefixed metadata (the body follows) and its row count.
type arrowBatch struct {
	msg  section
	meta int64
	rows int64
}

// arrowDict is a dictionary batch of a stream that precedes record batch
// before.
type arrowDict struct {
	msg    section
	before int
}

// ArrowOption configures [OpenArrow] and [OpenArrowFile].
type ArrowOption func(*Arrow)

// WithAllocator makes the input allocate the record batches it decodes
// from mem instead of a new Go allocator of its own.
func WithAllocator(mem memory.Allocator) ArrowOption {
	return func(a *Arrow) { a.mem = mem }
}

// OpenArrowFile opens the Arrow IPC file or stream at path; see
// [OpenArrow]. The caller must Close it.
func OpenArrowFile(path string, opts ...ArrowOption) (*Arrow, error) {
	f, stamp, err := openFile(path)
	if err != nil {
		return nil, err
	}
	a, err := OpenArrow(path, f, stamp.opened.Size(), opts...)
	if err != nil {
		f.Close()
		return nil, err
	}
	a.closer = f
	a.stamp = stamp
	return a, nil
}

// OpenArrow opens the Arrow IPC data in r, which holds size bytes; name is
// used in errors. The format is told by content: data that starts with the
// "ARROW1" magic is the file format, anything else the stream format. The
// schema is converted to a Parquet schema (see the table in
// arrow_convert.go: every Arrow type splitdata handles and what it becomes);
// a type without a mapping is an [*InputError] wrapping [ErrUnsupported]
// naming the column. The caller must Close the Arrow.
func OpenArrow(name string, r io.ReaderAt, size int64, opts ...ArrowOption) (*Arrow, error) {
	a, err := openArrow(name, r, size, opts...)
	return a, batchUnit(name, err)
}

// batchUnit makes err, when it is an [*InputError] about input name at a
// known unit, count record batches rather than row groups.
func batchUnit(name string, err error) error {
	var ie *InputError
	if errors.As(err, &ie) && ie.Path == name && ie.RowGroup >= 0 {
		ie.Unit = UnitRecordBatch
	}
	return err
}

func openArrow(name string, r io.ReaderAt, size int64, opts ...ArrowOption) (*Arrow, error) {
	a := &Arrow{name: name, size: size, r: r}
	for _, o := range opts {
		o(a)
	}
	if a.mem == nil {
		a.mem = memory.NewGoAllocator()
	}
	head := make([]byte, min(size, int64(len(arrowMagic))))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return nil, corrupt(name, -1, fmt.Errorf("read header: %w", err))
	}
	var schema *arrow.Schema
	var err error
	if string(head) == arrowMagic {
		schema, err = a.openFile()
	} else {
		schema, err = a.openStream()
	}
	if err != nil {
		a.Close()
		return nil, err
	}
	if a.schema, a.nodes, err = arrowSchema(name, schema); err != nil {
		a.Close()
		return nil, err
	}
	a.leaves = len(a.schema.Columns())
	if a.leaves > MaxColumns {
		a.Close()
		return nil, &InputError{Path: name, RowGroup: -1, Err: tooManyColumns(a.leaves)}
	}
	a.layout = rowcheck.New(a.schema)
	md := schema.Metadata()
	for i, k := range md.Keys() {
		a.kv = append(a.kv, KeyValue{Key: k, Value: md.Values()[i]})
	}
	for _, b := range a.batches {
		a.numRows += b.rows
	}
	return a, nil
}

// openFile reads the footer of the file format, the metadata of its record
// batches, and lets arrow-go read the schema and dictionaries.
func (a *Arrow) openFile() (*arrow.Schema, error) {
	const tail = 4 + len(arrowMagic)
	if a.size < int64(8+tail) {
		return nil, corrupt(a.name, -1, fmt.Errorf("arrow file of %d bytes is too short", a.size))
	}
	end := make([]byte, tail)
	if _, err := a.r.ReadAt(end, a.size-int64(tail)); err != nil {
		return nil, corrupt(a.name, -1, fmt.Errorf("read footer: %w", err))
	}
	if string(end[4:]) != arrowMagic {
		return nil, corrupt(a.name, -1, errors.New("arrow file does not end with the ARROW1 magic (truncated?)"))
	}
	n := int64(binary.LittleEndian.Uint32(end))
	start := a.size - int64(tail) - n
	if n <= 0 || n > maxArrowMetadata || start < 8 {
		return nil, corrupt(a.name, -1, fmt.Errorf("footer length %d does not fit the file", n))
	}
	footer := make([]byte, n)
	if _, err := a.r.ReadAt(footer, start); err != nil {
		return nil, corrupt(a.name, -1, fmt.Errorf("read footer: %w", err))
	}
	dicts, blocks, views, err := footerBlocks(footer)
	if err != nil {
		return nil, corrupt(a.name, -1, fmt.Errorf("footer: %w", err))
	}
	a.views = views
	// arrow-go reads the dictionaries when it opens the file: their
	// headers are checked first, as the record batches' are.
	for i, blk := range dicts {
		if err := a.checkBlock(blk, start, msgDictionaryBatch); err != nil {
			return nil, corrupt(a.name, -1, fmt.Errorf("dictionary batch %d: %w", i, err))
		}
	}
	for i, blk := range blocks {
		if blk.off < 8 || blk.meta < 8 || blk.body < 0 || blk.off+blk.meta < blk.off || blk.off+blk.meta+blk.body > start || blk.off+blk.meta+blk.body < blk.off {
			return nil, corrupt(a.name, i, fmt.Errorf("record batch block [%d, +%d+%d) lies outside the data", blk.off, blk.meta, blk.body))
		}
		meta, err := a.readMeta(blk.off, blk.meta)
		if err != nil {
			return nil, corrupt(a.name, i, err)
		}
		h, err := parseMessage(meta)
		if err != nil {
			return nil, corrupt(a.name, i, err)
		}
		if h.kind != msgRecordBatch {
			return nil, corrupt(a.name, i, fmt.Errorf("block %d holds a message of type %d, not a record batch", i, h.kind))
		}
		if h.body != blk.body {
			return nil, corrupt(a.name, i, fmt.Errorf("message body of %d bytes, block says %d", h.body, blk.body))
		}
		a.batches = append(a.batches, arrowBatch{msg: section{blk.off, blk.meta + blk.body}, meta: blk.meta, rows: h.rows})
	}
	var fr *ipc.FileReader
	err = guard(a.name, -1, func() error {
		var err error
		fr, err = ipc.NewFileReader(io.NewSectionReader(a.r, 0, a.size),
			ipc.WithAllocator(a.mem), ipc.WithMetadataSizeLimit(maxArrowMetadata))
		return err
	})
	if err != nil {
		return nil, err
	}
	a.file = fr
	if fr.NumRecords() != len(a.batches) {
		return nil, corrupt(a.name, -1, fmt.Errorf("footer lists %d record batches, the reader %d", len(a.batches), fr.NumRecords()))
	}
	return fr.Schema(), nil
}

// readMeta reads the flatbuffer of the message whose prefixed metadata
// lies at [off, off+n): a 0xFFFFFFFF continuation marker and a length, or
// (before Arrow 0.15) the length alone.
func (a *Arrow) readMeta(off, n int64) ([]byte, error) {
	if n > maxArrowMetadata {
		return nil, fmt.Errorf("message metadata of %d bytes at byte %d exceeds %d", n, off, int64(maxArrowMetadata))
	}
	buf := make([]byte, n)
	if _, err := a.r.ReadAt(buf, off); err != nil {
		return nil, fmt.Errorf("read message at byte %d: %w", off, err)
	}
	prefix, length, err := messagePrefix(buf)
	if err != nil {
		return nil, fmt.Errorf("message at byte %d: %w", off, err)
	}
	if prefix+length > n {
		return nil, fmt.Errorf("message at byte %d: metadata of %d bytes overruns its block of %d", off, length, n)
	}
	return buf[prefix : prefix+length], nil
}

// messagePrefix decodes the prefix of an IPC message: its length and that
// of the flatbuffer that follows (0 for the end-of-stream marker).
func messagePrefix(b []byte) (prefix, length int64, err error) {
	if len(b) < 4 {
		return 0, 0, io.ErrUnexpectedEOF
	}
	v := binary.LittleEndian.Uint32(b)
	if v != 0xFFFFFFFF {
		return 4, int64(int32(v)), checkLength(int64(int32(v)))
	}
	if len(b) < 8 {
		return 0, 0, io.ErrUnexpectedEOF
	}
	l := int64(int32(binary.LittleEndian.Uint32(b[4:])))
	return 8, l, checkLength(l)
}

func checkLength(l int64) error {
	if l < 0 || l > maxArrowMetadata {
		return fmt.Errorf("message metadata length %d out of range", l)
	}
	return nil
}

// openStream scans the messages of a stream, records where each lies and
// decodes the schema from the first.
func (a *Arrow) openStream() (*arrow.Schema, error) {
	var off int64
	first := true
	for off < a.size {
		var pre [8]byte
		k, err := a.r.ReadAt(pre[:min(8, a.size-off)], off)
		if err != nil && err != io.EOF {
			return nil, corrupt(a.name, -1, fmt.Errorf("read message at byte %d: %w", off, err))
		}
		prefix, length, err := messagePrefix(pre[:k])
		if err != nil {
			return nil, corrupt(a.name, -1, fmt.Errorf("message at byte %d: %w", off, err))
		}
		if length == 0 {
			break // end-of-stream marker
		}
		if off+prefix+length > a.size {
			return nil, corrupt(a.name, -1, fmt.Errorf("message at byte %d: metadata of %d bytes overruns the input (truncated?)", off, length))
		}
		meta, err := a.readMeta(off, prefix+length)
		if err != nil {
			return nil, corrupt(a.name, -1, err)
		}
		h, err := parseMessage(meta)
		if err != nil {
			return nil, corrupt(a.name, -1, fmt.Errorf("message at byte %d: %w", off, err))
		}
		n := prefix + length + h.body
		if h.body < 0 || n < 0 || off+n > a.size || off+n < off {
			return nil, corrupt(a.name, len(a.batches), fmt.Errorf("message at byte %d: body of %d bytes overruns the input (truncated?)", off, h.body))
		}
		msg := section{off, n}
		switch {
		case first && h.kind != msgSchema:
			return nil, corrupt(a.name, -1, fmt.Errorf("stream starts with a message of type %d, not a schema (not an Arrow IPC file or stream?)", h.kind))
		case first:
			a.schemaMsg = msg
			a.views = h.views
			first = false
		case h.kind == msgDictionaryBatch:
			// Every record batch after it decodes it again: check it once.
			if err := a.checkBody(meta, off+prefix+length, h.body); err != nil {
				return nil, corrupt(a.name, -1, fmt.Errorf("dictionary batch at byte %d: %w", off, err))
			}
			a.dicts = append(a.dicts, arrowDict{msg: msg, before: len(a.batches)})
		case h.kind == msgRecordBatch:
			a.batches = append(a.batches, arrowBatch{msg: msg, meta: prefix + length, rows: h.rows})
		default:
			return nil, &InputError{Path: a.name, RowGroup: -1, Err: fmt.Errorf("%w: IPC message of type %d at byte %d", ErrUnsupported, h.kind, off)}
		}
		off += n
	}
	if first {
		return nil, corrupt(a.name, -1, errors.New("empty stream: no schema message"))
	}
	var schema *arrow.Schema
	err := guard(a.name, -1, func() error {
		rd, err := ipc.NewReader(io.NewSectionReader(a.r, a.schemaMsg.off, a.schemaMsg.n), ipc.WithAllocator(a.mem),
			ipc.WithMetadataSizeLimit(maxArrowMetadata))
		if err != nil {
			return err
		}
		defer rd.Release()
		schema = rd.Schema()
		return nil
	})
	return schema, err
}

// Name returns the name the input was opened with.
func (a *Arrow) Name() string { return a.name }

// Size returns the size of the input in bytes.
func (a *Arrow) Size() int64 { return a.size }

// Schema returns the input's schema converted to Parquet.
func (a *Arrow) Schema() *parquet.Schema { return a.schema }

// NumUnits returns the number of record batches.
func (a *Arrow) NumUnits() int { return len(a.batches) }

// UnitNumRows returns the number of rows of record batch i, as its message
// header declares.
func (a *Arrow) UnitNumRows(i int) int64 { return a.batches[i].rows }

// NumRows returns the sum of the record batches' rows.
func (a *Arrow) NumRows() int64 { return a.numRows }

// KeyValueMetadata returns the Arrow schema's metadata, in schema order.
func (a *Arrow) KeyValueMetadata() []KeyValue { return a.kv }

// CheckUnchanged reports, as an [InputError] wrapping [ErrChanged],
// whether the file opened by [OpenArrowFile] changed since it was opened.
// Inputs opened with [OpenArrow] are not checked.
func (a *Arrow) CheckUnchanged() error { return a.stamp.check() }

// Close releases the input.
func (a *Arrow) Close() error {
	if a.file != nil {
		a.file.Close()
		a.file = nil
	}
	if a.closer == nil {
		return nil
	}
	err := a.closer.Close()
	a.closer = nil
	return err
}

// ReadUnit decodes record batch i and streams its rows to fn, converted to
// parquet.Rows of [Arrow.Schema], in batches of at most batch rows. The
// rows passed to fn are borrowed: they alias the decoded batch and are
// valid only until fn returns. The batch must hold the rows its header
// declares; bad data gives an [*InputError] wrapping [ErrCorrupt] with
// RowGroup i.
func (a *Arrow) ReadUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	return batchUnit(a.name, a.readUnit(ctx, i, batch, fn))
}

func (a *Arrow) readUnit(ctx context.Context, i, batch int, fn func(rows []parquet.Row) error) error {
	if i < 0 || i >= len(a.batches) {
		return fmt.Errorf("%s: record batch %d out of range [0,%d)", a.name, i, len(a.batches))
	}
	if batch <= 0 {
		return fmt.Errorf("%s: batch size %d, want > 0", a.name, batch)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	rec, err := a.decode(i)
	if err != nil {
		return err
	}
	defer rec.Release()
	want := a.batches[i].rows
	if got := rec.NumRows(); got != want {
		return corrupt(a.name, i, fmt.Errorf("header declares %d rows, found %d", want, got))
	}
	if int(rec.NumCols()) != len(a.nodes) {
		return corrupt(a.name, i, fmt.Errorf("%d columns for %d fields", rec.NumCols(), len(a.nodes)))
	}
	var s shredder
	buf := make([]parquet.Row, 0, batch)
	for lo := int64(0); lo < want; lo += int64(batch) {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+int64(batch), want)
		buf, err = s.rows(buf[:0], a.nodes, rec.Columns(), a.leaves, int(lo), int(hi))
		if err != nil {
			var se *shredError
			if errors.As(err, &se) {
				return &InputError{Path: a.name, RowGroup: i, Column: se.column, Err: fmt.Errorf("row %d: %w", lo+int64(len(buf)), se.err)}
			}
			return err
		}
		for k, row := range buf {
			if err := a.layout.Check(row); err != nil {
				return corrupt(a.name, i, fmt.Errorf("row %d: %w", lo+int64(k), err))
			}
		}
		if err := fn(buf); err != nil {
			return err
		}
	}
	return nil
}

// decode reads and validates record batch i. The caller releases it.
func (a *Arrow) decode(i int) (arrow.RecordBatch, error) {
	b := a.batches[i]
	meta, err := a.readMeta(b.msg.off, b.meta)
	if err == nil {
		err = a.checkBody(meta, b.msg.off+b.meta, b.msg.n-b.meta)
	}
	if err != nil {
		return nil, corrupt(a.name, i, err)
	}
	var rec arrow.RecordBatch
	err = guard(a.name, i, func() error {
		var err error
		if a.file != nil {
			rec, err = a.recordBatchAt(i)
		} else {
			rec, err = a.readStreamBatch(i)
		}
		if err != nil {
			return err
		}
		return array.ValidateRecordFull(rec)
	})
	if err != nil {
		if rec != nil {
			rec.Release()
		}
		return nil, err
	}
	return rec, nil
}

// recordBatchAt decodes batch i of the file format under fileMu, released
// even when the decoder panics on bad input (guard recovers the panic).
func (a *Arrow) recordBatchAt(i int) (arrow.RecordBatch, error) {
	a.fileMu.Lock()
	defer a.fileMu.Unlock()
	return a.file.RecordBatchAt(i)
}

// eosMarker ends a stream.
var eosMarker = []byte{0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0}

// readStreamBatch decodes record batch i of a stream by reading a stream
// made of the schema, the dictionary batches that precede batch i in the
// input, and batch i.
func (a *Arrow) readStreamBatch(i int) (arrow.RecordBatch, error) {
	parts := []io.Reader{io.NewSectionReader(a.r, a.schemaMsg.off, a.schemaMsg.n)}
	for _, d := range a.dicts {
		if d.before > i {
			break
		}
		parts = append(parts, io.NewSectionReader(a.r, d.msg.off, d.msg.n))
	}
	b := a.batches[i].msg
	parts = append(parts, io.NewSectionReader(a.r, b.off, b.n), bytes.NewReader(eosMarker))
	rd, err := ipc.NewReader(io.MultiReader(parts...), ipc.WithAllocator(a.mem), ipc.WithMetadataSizeLimit(maxArrowMetadata))
	if err != nil {
		return nil, err
	}
	defer rd.Release()
	if !rd.Next() {
		if err := rd.Err(); err != nil {
			return nil, err
		}
		return nil, errors.New("record batch missing from the stream")
	}
	rec := rd.RecordBatch()
	rec.Retain()
	return rec, nil
}

var _ FileSource = (*Arrow)(nil)

// IPC message header types (the MessageHeader union of Message.fbs).
const (
	msgSchema          = 1
	msgDictionaryBatch = 2
	msgRecordBatch     = 3
)
