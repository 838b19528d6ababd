package sources

import (
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/endian"
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

	// arrowSchema is the input's Arrow schema; plainSchema tells that its
	// record batches may be read by ranges (arrow_direct.go): a schema
	// whose buffers are little-endian, as the machine's are (told from the
	// schema's flatbuffer: arrow-go reports the schema of data it swaps
	// as of the machine's order), without lists, maps, dictionaries or
	// views.
	arrowSchema *arrow.Schema
	plainSchema bool

	// sizes holds each record batch's buffers' bytes decoded and their
	// total, read once on request (arrow_size.go).
	sizesOnce sync.Once
	sizes     []int64
	sizesSum  int64
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
	if errors.As(err, &ie) && ie.Path == name && ie.RowGroup >= 0 && ie.Unit != UnitRecordBatch {
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
	a.arrowSchema = schema
	a.plainSchema = !a.views.bigEndian && endian.NativeEndian == endian.LittleEndian
	for _, f := range schema.Fields() {
		a.plainSchema = a.plainSchema && plainType(f.Type)
	}
	md := schema.Metadata()
	for i, k := range md.Keys() {
		a.kv = append(a.kv, KeyValue{Key: k, Value: md.Values()[i]})
	}
	for _, b := range a.batches {
		a.numRows += b.rows
	}
	return a, nil
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

var _ FileSource = (*Arrow)(nil)
