package sources

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Ranges of a record batch read from the file. A record batch can be any
// size, one message, which arrow-go reads and decodes whole: a range of
// its rows decoded that way would hold the whole batch whatever the range.
// When the batch's body is not compressed and its columns are plain arrays
// (no dictionary or view columns), where rows [s, e) of every buffer lie
// follows from the buffer's position in the body: bits s/8 to e/8 of a
// validity bitmap or boolean array, values s*w to e*w of a fixed-width
// array, offsets s to e+1 of a string or binary array and the data they
// point at. Only those bytes are read, into arrays of the range's rows
// (starting at a multiple of 8 rows, so that bitmaps keep their bit
// positions, sliced to the range), which arrow-go validates as it
// validates a decoded batch; they are then copied into the batch as a
// decoded batch's are. Such a batch is cut into units by rows
// (ReadsRanges), each unit holding its rows only; other batches are read
// whole, as the row path reads them. Key passes read whole batches this
// way too, the buffers of the columns they need only (arrow_columns.go),
// compressed bodies included: each of those buffers is decompressed as
// arrow-go decompresses it, the others are neither read nor decompressed.

// Sizes of the flatbuffer structs of a record batch's header.
const (
	fieldNodeBytes = 16 // struct FieldNode { length: long; null_count: long }
	bufferBytes    = 16 // struct Buffer { offset: long; length: long }
)

// errNotPlain tells that a record batch is not read by ranges.
var errNotPlain = errors.New("record batch not readable by ranges")

// plainBatch is where the buffers of a record batch lie.
type plainBatch struct {
	body          int64 // input offset of the body
	nodes, bufs   int   // positions of the vectors in meta
	nNodes, nBufs int
	meta          []byte
	codec         int // body compression codec; -1: none
}

// ReadsRanges reports whether record batch i is read by ranges of rows
// from the buffers that hold them, without decoding the whole batch: its
// body is not compressed and every column is a plain array (no dictionary
// or view columns). A batch whose header cannot be read is not.
func (a *Arrow) ReadsRanges(i int) bool {
	if i < 0 || i >= len(a.batches) {
		return false
	}
	_, err := a.plainBatch(i, false)
	return err == nil
}

// plainBatch reads and checks the header of record batch i, and returns
// where its buffers lie, or an error wrapping errNotPlain when the batch
// cannot be read by ranges, or, with compressed, whole from the buffers
// of some of its columns: a compressed body is plain then, and the sizes
// of its buffers are checked as they are decompressed (rangeReader.buffer).
func (a *Arrow) plainBatch(i int, compressed bool) (*plainBatch, error) {
	if !a.plainSchema || !hostLittleEndian {
		return nil, errNotPlain
	}
	pb, err := a.plainBuffers(i, compressed)
	if err != nil && !errors.Is(err, errNotPlain) {
		return nil, corrupt(a.name, i, err)
	}
	return pb, err
}

func (a *Arrow) plainBuffers(i int, compressed bool) (*plainBatch, error) {
	b := a.batches[i]
	meta, err := a.readMeta(b.msg.off, b.meta)
	if err != nil {
		return nil, err
	}
	if err := a.checkBody(meta, b.msg.off+b.meta, b.msg.n-b.meta); err != nil {
		return nil, err
	}
	rb, _, err := a.batchTable(meta)
	if err != nil {
		return nil, err
	}
	pb := &plainBatch{body: b.msg.off + b.meta, meta: rb.buf, codec: -1}
	if p, err := rb.field(3, 4); err != nil {
		return nil, err
	} else if p >= 0 {
		if !compressed {
			return nil, fmt.Errorf("%w: compressed body", errNotPlain)
		}
		bc, err := rb.table(3)
		if err != nil {
			return nil, err
		}
		c, err := bc.uint8(0) // checkBody accepted it
		if err != nil {
			return nil, err
		}
		pb.codec = int(c)
	}
	if pb.nodes, pb.nNodes, err = rb.vector(1, fieldNodeBytes); err != nil {
		return nil, fmt.Errorf("nodes: %w", err)
	}
	if pb.bufs, pb.nBufs, err = rb.vector(2, bufferBytes); err != nil {
		return nil, fmt.Errorf("buffers: %w", err)
	}
	// Every field node and buffer must be as the rows need them; else
	// the batch is read whole, as ReadUnit reads it, which is as lenient
	// or strict as arrow-go (it reads field nodes past the end of their
	// vector, and struct fields longer than the struct).
	r := rangeReader{a: a, pb: pb, rows: b.rows, e: b.rows, dry: true}
	for _, f := range a.arrowSchema.Fields() {
		r.pathForErr = f.Name
		if _, err := r.array(f.Type); err != nil {
			return nil, fmt.Errorf("%w: column %s: %w", errNotPlain, r.pathForErr, err)
		}
	}
	return pb, nil
}

// plainType reports whether batches of arrays of type t are read by
// ranges: types of a validity bitmap and, for fixed-width values or bits,
// one buffer or, for strings and binaries, offsets and data.
func plainType(t arrow.DataType) bool {
	switch t := t.(type) {
	case *arrow.StructType:
		for _, f := range t.Fields() {
			if !plainType(f.Type) {
				return false
			}
		}
		return true
	case *arrow.StringType, *arrow.BinaryType, *arrow.LargeStringType, *arrow.LargeBinaryType:
		return true
	case *arrow.StringViewType, *arrow.BinaryViewType, *arrow.DictionaryType:
		return false
	case arrow.FixedWidthDataType:
		return t.BitWidth() > 0
	}
	return false
}

// rangeReader reads the arrays of rows [s, e) of a plain batch of n rows.
type rangeReader struct {
	a          *Arrow
	pb         *plainBatch
	rows       int64 // the batch's
	s, e       int64
	node, buf  int // next field node and buffer
	pathForErr string
	// dry makes the reader check the field nodes and buffers of the
	// whole batch without reading a byte of them (in a compressed body,
	// only that they exist: their sizes are known once decompressed).
	dry bool
	inf *inflater // decompresses the buffers of a compressed body
}

// rangeRecord reads rows [first, first+count) of record batch i from its
// buffers (see the top of this file) and returns them as a record whose
// arrays start at row first&^7 and are sliced to the range, validated.
// The caller releases it.
func (a *Arrow) rangeRecord(i int, first, count int64) (arrow.RecordBatch, error) {
	pb, err := a.plainBatch(i, false)
	if err != nil {
		return nil, err
	}
	r := rangeReader{a: a, pb: pb, rows: a.batches[i].rows, s: first &^ 7, e: first + count}
	cols := make([]arrow.Array, len(a.nodes))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	for k, f := range a.arrowSchema.Fields() {
		r.pathForErr = f.Name
		d, err := r.array(f.Type)
		if err != nil {
			return nil, &InputError{Path: a.name, RowGroup: i, Column: r.pathForErr, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
		}
		arr := array.MakeFromData(d)
		d.Release()
		cols[k] = array.NewSlice(arr, first-r.s, first-r.s+count)
		arr.Release()
	}
	rec := array.NewRecordBatch(a.arrowSchema, cols, count)
	if err := guard(a.name, i, func() error { return array.ValidateRecordFull(rec) }); err != nil {
		rec.Release()
		return nil, err
	}
	return rec, nil
}

// fieldNode returns the next field node: the array's length and null count.
func (r *rangeReader) fieldNode() (int64, int64, error) {
	if r.node >= r.pb.nNodes {
		return 0, 0, fmt.Errorf("%d field nodes for more fields", r.pb.nNodes)
	}
	p := r.pb.meta[r.pb.nodes+fieldNodeBytes*r.node:]
	r.node++
	length, nulls := int64(binary.LittleEndian.Uint64(p)), int64(binary.LittleEndian.Uint64(p[8:]))
	if length != r.rows {
		return 0, 0, fmt.Errorf("array of %d rows in a record batch of %d", length, r.rows)
	}
	if nulls < 0 || nulls > length {
		return 0, 0, fmt.Errorf("%d nulls among %d rows", nulls, length)
	}
	return length, nulls, nil
}

// buffer reads bytes [lo, hi) of the next buffer, which must hold at least
// need bytes (what the batch's rows take in it).
func (r *rangeReader) buffer(lo, hi, need int64) (*memory.Buffer, error) {
	k := r.buf
	if k >= r.pb.nBufs {
		return nil, fmt.Errorf("%d buffers for more arrays", r.pb.nBufs)
	}
	r.buf++
	p := r.pb.meta[r.pb.bufs+bufferBytes*k:]
	off, size := int64(binary.LittleEndian.Uint64(p)), int64(binary.LittleEndian.Uint64(p[8:]))
	// checkBody placed the buffer inside the body.
	if r.pb.codec >= 0 {
		if r.dry {
			return nil, nil
		}
		return r.inflated(k, off, size, lo, hi, need)
	}
	if size < need {
		return nil, fmt.Errorf("buffer %d of %d bytes, %d needed", k, size, need)
	}
	if lo < 0 || hi < lo || hi > size {
		return nil, fmt.Errorf("bytes [%d, %d) outside buffer %d of %d bytes", lo, hi, k, size)
	}
	if r.dry {
		return nil, nil
	}
	data := make([]byte, hi-lo)
	if _, err := r.a.r.ReadAt(data, r.pb.body+off+lo); err != nil {
		return nil, fmt.Errorf("read buffer %d: %w", k, err)
	}
	return memory.NewBufferBytes(data), nil
}

// bits reads the bytes of a bitmap holding rows [s, e) of the batch's.
func (r *rangeReader) bits() (*memory.Buffer, error) {
	return r.buffer(r.s/8, (r.e+7)/8, (r.rows+7)/8)
}

// array reads rows [s, e) of the next array, of type t.
func (r *rangeReader) array(t arrow.DataType) (arrow.ArrayData, error) {
	n := r.e - r.s
	_, nulls, err := r.fieldNode()
	if err != nil {
		return nil, err
	}
	var validity *memory.Buffer
	if nulls > 0 {
		if validity, err = r.bits(); err != nil {
			return nil, err
		}
	} else {
		if r.buf >= r.pb.nBufs {
			return nil, fmt.Errorf("%d buffers for more arrays", r.pb.nBufs)
		}
		r.buf++ // arrow-go ignores the bitmap of an array without nulls
	}
	bufs := []*memory.Buffer{validity}
	var children []arrow.ArrayData
	switch t := t.(type) {
	case *arrow.StructType:
		for _, f := range t.Fields() {
			path := r.pathForErr
			r.pathForErr += "." + f.Name
			c, err := r.array(f.Type)
			if err != nil {
				return nil, err
			}
			r.pathForErr = path
			children = append(children, c)
		}
	case *arrow.StringType, *arrow.BinaryType:
		off, data, err := r.byteArrays(4)
		if err != nil {
			return nil, err
		}
		bufs = append(bufs, off, data)
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		off, data, err := r.byteArrays(8)
		if err != nil {
			return nil, err
		}
		bufs = append(bufs, off, data)
	case arrow.FixedWidthDataType:
		w := int64(t.BitWidth())
		var values *memory.Buffer
		if w == 1 {
			values, err = r.bits()
		} else {
			w /= 8
			values, err = r.buffer(r.s*w, r.e*w, r.rows*w)
		}
		if err != nil {
			return nil, err
		}
		bufs = append(bufs, values)
	default:
		return nil, fmt.Errorf("internal error: %s read by ranges", t)
	}
	if r.dry {
		return nil, nil
	}
	d := array.NewData(t, int(n), bufs, children, array.UnknownNullCount, 0)
	for _, c := range children {
		c.Release()
	}
	return d, nil
}

// byteArrays reads the offsets, of w bytes, and the data of rows [s, e)
// of a string or binary array, the offsets made to count from the first
// byte read.
func (r *rangeReader) byteArrays(w int64) (*memory.Buffer, *memory.Buffer, error) {
	offs, err := r.buffer(r.s*w, (r.e+1)*w, (r.rows+1)*w)
	if err != nil || r.dry {
		if r.dry && r.buf >= r.pb.nBufs {
			err = fmt.Errorf("%d buffers for more arrays", r.pb.nBufs)
		}
		r.buf++ // the data, whose size the offsets bound
		return nil, nil, err
	}
	b := offs.Bytes()
	at := func(k int) int64 {
		if w == 4 {
			return int64(int32(binary.LittleEndian.Uint32(b[4*k:])))
		}
		return int64(binary.LittleEndian.Uint64(b[8*k:]))
	}
	n := int(r.e - r.s)
	lo, hi := at(0), at(n)
	// The data buffer's size bounds hi: buffer refuses more.
	if lo < 0 || hi < lo {
		return nil, nil, fmt.Errorf("string offsets [%d, %d) of rows [%d, %d)", lo, hi, r.s, r.e)
	}
	var data *memory.Buffer
	if hi > lo {
		data, err = r.buffer(lo, hi, 0)
	} else {
		// No byte to read: where empty values point is not checked,
		// as arrow-go does not check it for a buffer of no bytes.
		r.buf++
		data = memory.NewBufferBytes(nil)
	}
	if err != nil {
		return nil, nil, err
	}
	for k := 0; k <= n; k++ {
		// Rebased; one out of order stays out of order (and a
		// negative one negative) for validation to refuse.
		v := at(k) - lo
		if w == 4 {
			binary.LittleEndian.PutUint32(b[4*k:], uint32(int32(v)))
		} else {
			binary.LittleEndian.PutUint64(b[8*k:], uint64(v))
		}
	}
	return offs, data, nil
}
