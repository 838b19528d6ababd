package sinks

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/rowcheck"
)

// parquetMagic opens and closes every Parquet file.
const parquetMagic = "PAR1"

// rowBatch is how many rows Encode hands to parquet-go's writer at a time.
// The writer consumes rows 64 at a time and closes a page when, after such a
// chunk, the page has grown past its target size; so page boundaries, and
// the bytes, depend on how rows are grouped into calls. Encode therefore
// always passes exactly rowBatch rows (only the last call of a group has
// fewer), whatever the reader returns per call. A few chunks per call
// amortise the call overhead without holding many rows.
const rowBatch = 256

// RowGroupEncoder encodes rows into self-contained row groups that a
// [ParquetFileWriter] appends to a file. An encoder is immutable after
// construction and safe for concurrent use: encoding independent row groups
// on several goroutines is how Parquet output uses more than one core. The
// bytes of an [EncodedRowGroup] depend only on the rows, the schema and the
// options, never on which goroutine encoded it or when.
//
// Each row group is encoded by parquet-go's own writer into an in-memory
// single-row-group Parquet file, whose footer is then parsed to find the
// column chunks, their metadata and their page index. Row groups given as
// batches ([RowGroupEncoder.EncodeBatches], [RowGroupStream.WriteBatches])
// have their top-level numeric, string and binary columns, PLAIN or with a
// dictionary, written by splitdata's own page writer instead, with the
// same bytes, and joined
// with parquet-go's chunks of the other columns (parquet_pagewriter.go).
type RowGroupEncoder struct {
	opts   ParquetOptions
	config *parquet.WriterConfig // every chunk's, or with EncodingAuto those of chunks without a dictionary
	leaves []leafLayout
	layout rowcheck.Layout // what every row is checked against
	shape  *fileShape

	// sizeHint is the capacity given to the next in-memory file, taken from
	// the previous one, to spare most of a buffer's regrowth. It only ever
	// affects capacity, never bytes.
	sizeHint atomic.Int64

	// free holds buffers of released row groups for the next ones: a
	// fresh buffer of a row group's size costs the runtime page faults
	// and zeroing (see EncodedRowGroup.Release).
	free chan *bytes.Buffer

	// schema and codec make the configuration of each choice of
	// dictionary columns (EncodingAuto) and of columns left to parquet-go
	// (see RowGroupStream), kept in configs by that choice.
	auto    bool
	schema  *parquet.Schema
	codec   compress.Codec
	mu      sync.Mutex
	configs map[string]*parquet.WriterConfig

	// dictCodec compresses dictionary pages (see dictionaryCodec).
	dictCodec compress.Codec

	// noPageWriter leaves every column to parquet-go (tests only).
	noPageWriter bool

	// pagers holds, per column, page writers released by earlier row
	// groups (see newPageWriter).
	pagers []pagerList
	// chunkHints holds, per column, the capacity a page writer's chunk
	// buffer starts with: the last chunk's size and an eighth.
	chunkHints []atomic.Int64
}

// maxConfigs bounds how many configurations an encoder keeps; others are
// made for their row group only.
const maxConfigs = 64

// freeBuffers is how many released buffers an encoder keeps.
const freeBuffers = IdleEncodeBuffers

// IdleEncodeBuffers is the most buffers of released row groups a
// [RowGroupEncoder] keeps for the next ones it encodes, each of about a
// row group's encoded size and an eighth, for memory plans.
const IdleEncodeBuffers = 2

// NewRowGroupEncoder returns an encoder of rows of schema with the given
// options. The schema usually comes from an input file
// (parquet.File.Schema); flat and nested schemas (lists, maps, structs,
// optional and repeated fields) are supported. The encodings and codecs the
// schema's nodes report are ignored: the output's are fixed by opts (see
// [ParquetOptions]).
func NewRowGroupEncoder(schema *parquet.Schema, opts ParquetOptions) (*RowGroupEncoder, error) {
	out, leaves, config, shape, err := prepare(schema, opts)
	if err != nil {
		return nil, fmt.Errorf("new row group encoder: %w", err)
	}
	// The rows are checked against the schema they are written with; its
	// structure is the input schema's, only encodings and codecs differ.
	layout := rowcheck.New(out)
	e := &RowGroupEncoder{opts: opts, config: config, leaves: leaves, layout: layout, shape: shape, free: make(chan *bytes.Buffer, freeBuffers)}
	e.auto, e.schema = opts.encoding() == EncodingAuto, schema
	if e.codec, err = opts.codec(); err != nil {
		return nil, fmt.Errorf("new row group encoder: %w", err)
	}
	e.dictCodec = opts.dictionaryCodec(e.codec)
	e.configs = make(map[string]*parquet.WriterConfig)
	e.pagers = make([]pagerList, len(leaves))
	e.chunkHints = make([]atomic.Int64, len(leaves))
	return e, nil
}

// configFor returns the writer configuration of a chunk whose columns c
// with dict[c] set are dictionary encoded (EncodingAuto).
func (e *RowGroupEncoder) configFor(dict []bool) (*parquet.WriterConfig, error) {
	if !slices.Contains(dict, true) {
		return e.config, nil
	}
	key := make([]byte, len(dict))
	for c, d := range dict {
		if d {
			key[c] = 1
		}
	}
	return e.cachedConfig(key, func() (*parquet.WriterConfig, error) {
		out, leaves, err := outputSchema(e.schema, e.codec, func(c int, _ parquet.Kind) bool { return dict[c] })
		if err != nil {
			return nil, err
		}
		return e.opts.writerConfig(out, leaves, e.codec)
	})
}

// cachedConfig returns the configuration kept under key, else the one
// build makes, which it keeps while the encoder holds fewer than
// maxConfigs.
func (e *RowGroupEncoder) cachedConfig(key []byte, build func() (*parquet.WriterConfig, error)) (*parquet.WriterConfig, error) {
	e.mu.Lock()
	config, ok := e.configs[string(key)]
	e.mu.Unlock()
	if ok {
		return config, nil
	}
	config, err := build()
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	if len(e.configs) < maxConfigs {
		e.configs[string(key)] = config
	}
	e.mu.Unlock()
	return config, nil
}

// prepare validates opts and derives what encoding schema with them takes:
// the output schema and its leaf layouts, parquet-go's writer configuration
// and the file shape the encoder and the file writer must agree on.
func prepare(schema *parquet.Schema, opts ParquetOptions) (*parquet.Schema, []leafLayout, *parquet.WriterConfig, *fileShape, error) {
	if err := opts.Validate(); err != nil {
		return nil, nil, nil, nil, err
	}
	codec, err := opts.codec()
	if err != nil {
		return nil, nil, nil, nil, err
	}
	// With EncodingAuto, this is the configuration of chunks without a
	// dictionary; the encoder makes the others (configFor).
	var dict func(int, parquet.Kind) bool
	if opts.plainDictionary() {
		dict = func(_ int, kind parquet.Kind) bool { return kind == parquet.ByteArray }
	}
	out, leaves, err := outputSchema(schema, codec, dict)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	config, err := opts.writerConfig(out, leaves, codec)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	shape, err := shapeOf(config)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return out, leaves, config, shape, nil
}

// Encode reads rows from rows until io.EOF and encodes them as one row
// group; zero rows give an empty group, which [ParquetFileWriter.Append]
// skips. Rows must be parquet.Row values as parquet-go produces them for the
// encoder's schema: one or more values per leaf column, in column order,
// with repetition and definition levels set. A row that does not fit the
// schema is reported as an error wrapping [ErrInvalidRow] with its index
// in the group; an error from rows is returned wrapped.
//
// The bytes depend on the rows only, not on how many rows each ReadRows
// call returns. Rows are used, or copied, before the next ReadRows call, so
// rows may reuse its buffers from one call to the next.
//
// The whole row group is held in memory, compressed: about
// [EncodedRowGroup.Size] bytes plus one page per column while encoding.
func (e *RowGroupEncoder) Encode(rows parquet.RowReader) (*EncodedRowGroup, error) {
	return e.encode(rows, true)
}

// EncodeChecked is [RowGroupEncoder.Encode] for rows already checked
// against the encoder's schema (the structure rowcheck verifies: levels,
// kinds, widths), such as rows a source decoded and checked: it skips the
// check, which costs about a tenth of encoding. Rows that would fail it
// may make the encoder fail or write a file readers reject.
func (e *RowGroupEncoder) EncodeChecked(rows parquet.RowReader) (*EncodedRowGroup, error) {
	return e.encode(rows, false)
}

func (e *RowGroupEncoder) encode(rows parquet.RowReader, check bool) (*EncodedRowGroup, error) {
	if rows == nil {
		return nil, errors.New("encode row group: row reader is nil")
	}
	s := e.NewStream(!check)
	s.batch = make([]parquet.Row, rowBatch)
	// Rows are read straight into the stream's batch. Rows a reader
	// returned may alias its buffers until its next call, so rows kept
	// across a call are cloned first; with readers that fill what they are
	// given, that happens only at their short reads.
	_, err := drainRows("encode row group", rows, func() []parquet.Row { return s.batch[s.k:] }, func(read []parquet.Row, _ int64) error {
		m := len(read)
		if err := s.push(m); err != nil {
			return err
		}
		if s.k > 0 {
			for i := max(s.k-m, 0); i < s.k; i++ {
				s.batch[i] = s.batch[i].Clone()
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.Finish()
}

// fileWriter is what the encoder uses of parquet-go's writer (whose type
// is deprecated in favour of its generic one, which takes Go values, not
// rows or columns).
type fileWriter interface {
	WriteRows(rows []parquet.Row) (int, error)
	ColumnWriters() []*parquet.ColumnWriter
	Close() error
}

// newWriter returns parquet-go's writer of one in-memory file with
// config, and the buffer it writes to.
func (e *RowGroupEncoder) newWriter(config *parquet.WriterConfig) (fileWriter, *bytes.Buffer) {
	buf := e.buffer()
	return parquet.NewWriter(buf, config), buf
}

// buffer returns an empty buffer for a row group's in-memory file.
func (e *RowGroupEncoder) buffer() *bytes.Buffer {
	hint := int(e.sizeHint.Load())
	var buf *bytes.Buffer
	select {
	case buf = <-e.free:
		buf.Reset()
	default:
	}
	// The hint is the last row group's size and an eighth: a released
	// buffer within a sixteenth of it holds the next group of about the
	// same size (consecutive groups' sizes differ by well under 1%). A
	// new one gets exactly the hint, where bytes.Buffer.Grow would double
	// a released buffer a little short of it, allocating and zeroing
	// twice its size.
	if buf == nil || buf.Cap() < hint-hint/16 {
		buf = bytes.NewBuffer(make([]byte, 0, hint))
	}
	return buf
}

// finish closes w, which wrote n rows to buf, and locates the row group
// in the in-memory file.
func (e *RowGroupEncoder) finish(w fileWriter, buf *bytes.Buffer, n int64) (*EncodedRowGroup, error) {
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: %w", n, err)
	}
	data := buf.Bytes()
	e.sizeHint.Store(int64(len(data) + len(data)/8))

	g, err := e.parse(data)
	if err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: %w", n, err)
	}
	g.buf, g.free = buf, e.free
	if err := e.indexRuns(g, nil); err != nil {
		return nil, fmt.Errorf("encode row group of %d rows: %w", n, err)
	}
	if g.numRows != n {
		return nil, fmt.Errorf("encode row group: wrote %d rows but the encoded group holds %d", n, g.numRows)
	}
	return g, nil
}

// Load reads back an encoded row group from data: a Parquet file holding
// exactly that one row group, as a [ParquetFileWriter] with the encoder's
// schema and options writes it. That is how encoded row groups travel
// between processes (sharded runs write them, a merge appends them):
// appending the loaded group writes the same bytes as appending the
// original. data is kept, not copied.
func (e *RowGroupEncoder) Load(data []byte) (*EncodedRowGroup, error) {
	g, err := e.parse(data)
	if err != nil {
		return nil, fmt.Errorf("load row group: %w", err)
	}
	return g, nil
}

// EncodedRowGroup is one encoded row group: its column-chunk bytes, their
// metadata and page index, with offsets not yet placed in a file. It is
// immutable and may be shared between goroutines until it is released;
// appending it does not modify it.
type EncodedRowGroup struct {
	opts    ParquetOptions
	shape   *fileShape
	numRows int64
	held    int64
	buf     *bytes.Buffer      // holding data, when the encoder made it
	free    chan *bytes.Buffer // where Release returns buf
	pages   *spooledPages      // the column chunks, instead of data, of a streamed row group (parquet_stream_spool.go)

	data        []byte          // column chunks; offsets in meta are data's in-memory file offsets
	file        []byte          // the magic and data, when they lie one after the other; else nil
	meta        format.RowGroup // as written in the in-memory file, page index locations cleared
	columnIndex [][]byte        // per column, thrift-encoded ColumnIndex; nil when absent
	offsetIndex []*format.OffsetIndex
}

// Release gives the memory holding g's bytes back to its encoder, for the
// next row group it encodes; g must not be used after. Releasing a row
// group is optional (the garbage collector frees it otherwise), and a
// no-op for one made by [RowGroupEncoder.Load].
func (g *EncodedRowGroup) Release() {
	if g.pages != nil {
		g.pages.release()
		g.pages = nil
	}
	if g.buf == nil {
		return
	}
	select {
	case g.free <- g.buf:
	default:
	}
	g.buf, g.data, g.file = nil, nil, nil
}

// NumRows returns the number of rows in g.
func (g *EncodedRowGroup) NumRows() int64 { return g.numRows }

// Size returns the number of bytes g holds, for memory accounting: the
// buffer holding its encoded column chunks, page index and metadata. It is
// at least the number of bytes [ParquetFileWriter.Append] writes for g,
// except for a row group a stream left in its blocks and temporary file
// (see [RowGroupEncoder.NewStreamWith]): the blocks' bytes.
func (g *EncodedRowGroup) Size() int64 { return g.held }

// EncodedBytes returns the bytes of g's column chunks as encoded
// (compressed pages, dictionary pages included): what g's rows take in a
// file, without its page index and metadata, and without the slack of
// the buffer holding them that [EncodedRowGroup.Size] counts.
func (g *EncodedRowGroup) EncodedBytes() int64 {
	var n int64
	for i := range g.meta.Columns {
		n += g.meta.Columns[i].MetaData.TotalCompressedSize
	}
	return n
}

// fileShape is what every file of one schema shares: its schema elements
// and column orders as parquet-go writes them, and their encoding, used to
// check that a row group is appended to a file of its own schema.
type fileShape struct {
	version  int32
	elements []format.SchemaElement
	orders   []format.ColumnOrder
	key      string
}

// shapeOf writes an empty file with config in memory and keeps the schema
// part of its footer, so that the final footer describes the schema exactly
// as parquet-go's writer does.
func shapeOf(config *parquet.WriterConfig) (*fileShape, error) {
	var buf bytes.Buffer
	w := parquet.NewWriter(&buf, config)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("write empty file: %w", err)
	}
	meta, _, err := readFooter(buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("empty file: %w", err)
	}
	key, err := thrift.Marshal(new(thrift.CompactProtocol), &format.FileMetaData{
		Schema:       meta.Schema,
		ColumnOrders: meta.ColumnOrders,
	})
	if err != nil {
		return nil, fmt.Errorf("encode schema: %w", err)
	}
	return &fileShape{
		version:  meta.Version,
		elements: meta.Schema,
		orders:   meta.ColumnOrders,
		key:      string(key),
	}, nil
}

// makeLarge returns a new slice of n bytes for a row group read back
// whole, after a collection when the memory the Go runtime holds and n
// would exceed its soft limit (runtime/debug.SetMemoryLimit, the heap
// budget). Allocated at once on a heap the collector has let grow to the
// limit, the buffer came on top of the garbage: the row path's split of
// the wide shape of benchmarks/peers.sh (--group s00) under its least
// budget, 107 MiB, held 114 MiB of anonymous memory, 20 MiB above its
// heap budget, where its live heap peaked at 78 MB. Collected first, the
// garbage's pages are free, and the runtime returns them to the system
// as the buffer takes it past the limit.
func makeLarge(n int64) []byte {
	if n >= largeAlloc {
		if limit := debug.SetMemoryLimit(-1); limit < math.MaxInt64 && heldMemory()+n > limit {
			runtime.GC()
		}
	}
	return make([]byte, n)
}

// largeAlloc is the least allocation makeLarge may collect before.
const largeAlloc = 4 << 20

// heldMemory is the memory the Go runtime holds as its soft limit counts
// it: all it mapped less the heap it released to the system.
func heldMemory() int64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return int64(s[0].Value.Uint64() - s[1].Value.Uint64())
}
