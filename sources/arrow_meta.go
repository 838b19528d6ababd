package sources

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The IPC metadata (Message, Schema, Footer flatbuffers) read and checked
// by hand before arrow-go reads a message: every vector, offset and block
// must lie inside the bytes that hold it, so no count from the file sizes
// an allocation unchecked.

// IPC message header types (the MessageHeader union of Message.fbs).
const (
	msgSchema          = 1
	msgDictionaryBatch = 2
	msgRecordBatch     = 3
)

// messageHeader is what opening needs of a message's flatbuffer header.
type messageHeader struct {
	kind  int         // msgSchema, ...
	body  int64       // body length in bytes
	rows  int64       // record batches: the row count
	views schemaViews // schemas: the view columns
}

// parseMessage decodes the parts of an IPC Message flatbuffer that
// opening needs. arrow-go keeps its flatbuffer bindings internal, so the
// few fields are read here; every offset is bounds-checked.
//
//	table Message { version: short; header: MessageHeader (union: type
//	  byte, then table); bodyLength: long; custom_metadata }
//	table RecordBatch { length: long; ... }
func parseMessage(b []byte) (messageHeader, error) {
	var h messageHeader
	msg, err := fbRoot(b)
	if err != nil {
		return h, err
	}
	kind, err := msg.uint8(1)
	if err != nil {
		return h, err
	}
	h.kind = int(kind)
	if h.body, err = msg.int64(3); err != nil {
		return h, err
	}
	if _, _, err := msg.vector(4, 4); err != nil {
		return h, fmt.Errorf("custom metadata: %w", err)
	}
	if h.kind == msgSchema {
		s, err := msg.table(2)
		if err != nil {
			return h, fmt.Errorf("schema: %w", err)
		}
		if h.views, err = checkSchemaFB(s); err != nil {
			return h, fmt.Errorf("schema: %w", err)
		}
	}
	switch h.kind {
	case msgRecordBatch:
		rb, err := msg.table(2)
		if err != nil {
			return h, fmt.Errorf("record batch header: %w", err)
		}
		if h.rows, err = rb.int64(0); err != nil {
			return h, err
		}
		if h.rows < 0 {
			return h, fmt.Errorf("record batch of %d rows", h.rows)
		}
		if err := checkRecordBatchFB(rb); err != nil {
			return h, fmt.Errorf("record batch header: %w", err)
		}
	case msgDictionaryBatch:
		db, err := msg.table(2)
		if err != nil {
			return h, fmt.Errorf("dictionary batch header: %w", err)
		}
		rb, err := db.table(1)
		if err != nil {
			return h, fmt.Errorf("dictionary batch header: %w", err)
		}
		if err := checkRecordBatchFB(rb); err != nil {
			return h, fmt.Errorf("dictionary batch header: %w", err)
		}
	}
	return h, nil
}

// checkRecordBatchFB checks the vectors of a RecordBatch table, whose
// variadic buffer counts arrow-go allocates by: each such buffer must be
// one of the batch's buffers.
//
//	table RecordBatch { length: long; nodes: [FieldNode]; buffers: [Buffer];
//	  compression: BodyCompression; variadicBufferCounts: [long] }
func checkRecordBatchFB(rb fbTable) error {
	if _, _, err := rb.vector(1, 16); err != nil {
		return fmt.Errorf("nodes: %w", err)
	}
	_, buffers, err := rb.vector(2, 16)
	if err != nil {
		return fmt.Errorf("buffers: %w", err)
	}
	start, n, err := rb.vector(4, 8)
	if err != nil {
		return fmt.Errorf("variadic buffer counts: %w", err)
	}
	total := int64(0)
	for k := range n {
		c := int64(binary.LittleEndian.Uint64(rb.buf[start+8*k:]))
		if c < 0 || c > int64(buffers) {
			return fmt.Errorf("%d variadic buffers for %d buffers", c, buffers)
		}
		if total += c; total > int64(buffers) {
			return fmt.Errorf("%d variadic buffers for %d buffers", total, buffers)
		}
	}
	return nil
}

// maxNesting bounds the depth of nested fields in a schema.
const maxNesting = 64

// checkSchemaFB checks the vectors of a Schema flatbuffer table that
// arrow-go sizes allocations by, and walks its fields: arrow-go trusts
// their lengths, so a damaged schema could make it allocate without bound
// or recurse forever (children pointing back at their parent).
//
//	table Schema { endianness: short; fields: [Field]; custom_metadata: [KeyValue]; features }
//	table Field { name; nullable; type_type; type; dictionary; children: [Field]; custom_metadata: [KeyValue] }
//
// It also counts the schema's view columns (see [schemaViews]).
func checkSchemaFB(s fbTable) (schemaViews, error) {
	v := schemaViews{dicts: map[int64]int{}}
	if _, _, err := s.vector(2, 4); err != nil {
		return v, err
	}
	budget := len(s.buf) / 8 // every field table takes more bytes than this
	p, err := s.field(0, 2)
	if err != nil {
		return v, err
	}
	if p >= 0 {
		v.bigEndian = binary.LittleEndian.Uint16(s.buf[p:]) != 0
	}
	v.record, err = checkFieldsFB(s, 1, 0, &budget, v.dicts)
	return v, err
}

// schemaViews counts the binary and string view columns of a schema:
// arrow-go reads one variadic buffer count per view column of a batch
// from the batch's header, without checking that the header holds that
// many, and allocates by the number it reads.
type schemaViews struct {
	record int           // in a record batch
	dicts  map[int64]int // in the dictionary batch of each dictionary id
	// bigEndian tells that the schema declares its buffers big-endian
	// (not little-endian): arrow-go swaps their bytes as it decodes them,
	// and then reports the schema as of the machine's byte order.
	bigEndian bool
}

// Field types of Schema.fbs that have variadic buffers.
const (
	typeBinaryView = 23
	typeUtf8View   = 24
)

// checkFieldsFB checks the fields of vector field i of table t, at depth,
// and returns the number of view columns among them and their children.
// A dictionary-encoded field's columns are counted in dicts under its
// dictionary id instead: a record batch holds only its indices.
func checkFieldsFB(t fbTable, i, depth int, budget *int, dicts map[int64]int) (int, error) {
	if depth > maxNesting {
		return 0, fmt.Errorf("fields nested more than %d deep", maxNesting)
	}
	start, n, err := t.vector(i, 4)
	if err != nil {
		return 0, err
	}
	views := 0
	for k := range n {
		if *budget--; *budget < 0 {
			return 0, errors.New("more fields than the schema's bytes can hold")
		}
		f, err := t.element(start + 4*k)
		if err != nil {
			return 0, err
		}
		if _, _, err := f.vector(6, 4); err != nil {
			return 0, err
		}
		own, err := checkFieldsFB(f, 5, depth+1, budget, dicts)
		if err != nil {
			return 0, err
		}
		typ, err := f.uint8(2)
		if err != nil {
			return 0, err
		}
		if typ == typeBinaryView || typ == typeUtf8View {
			own++
		}
		if p, err := f.field(4, 4); err != nil {
			return 0, err
		} else if p >= 0 {
			enc, err := f.table(4)
			if err != nil {
				return 0, fmt.Errorf("dictionary encoding: %w", err)
			}
			id, err := enc.int64(0)
			if err != nil {
				return 0, fmt.Errorf("dictionary encoding: %w", err)
			}
			dicts[id] += own
			own = 0
		}
		views += own
	}
	return views, nil
}

// fileBlock is a Block struct of the file footer.
type fileBlock struct{ off, meta, body int64 }

// checkBlock checks the message of a footer block against the block and
// the end of the data, and that it is of type kind.
func (a *Arrow) checkBlock(blk fileBlock, end int64, kind int) error {
	if blk.off < 8 || blk.meta < 8 || blk.body < 0 || blk.off+blk.meta < blk.off || blk.off+blk.meta+blk.body > end || blk.off+blk.meta+blk.body < blk.off {
		return fmt.Errorf("block [%d, +%d+%d) lies outside the data", blk.off, blk.meta, blk.body)
	}
	meta, err := a.readMeta(blk.off, blk.meta)
	if err != nil {
		return err
	}
	h, err := parseMessage(meta)
	if err != nil {
		return err
	}
	if h.kind != kind {
		return fmt.Errorf("block holds a message of type %d, want %d", h.kind, kind)
	}
	if h.body != blk.body {
		return fmt.Errorf("message body of %d bytes, block says %d", h.body, blk.body)
	}
	if kind == msgDictionaryBatch {
		return a.checkBody(meta, blk.off+blk.meta, blk.body)
	}
	return nil
}

// footerBlocks decodes the dictionary and record batch blocks of a file
// footer:
//
//	table Footer { version: short; schema: Schema; dictionaries: [Block];
//	  recordBatches: [Block]; custom_metadata }
//	struct Block { offset: long; metaDataLength: int; bodyLength: long }
func footerBlocks(b []byte) (dicts, batches []fileBlock, views schemaViews, err error) {
	footer, err := fbRoot(b)
	if err != nil {
		return nil, nil, views, err
	}
	schema, err := footer.table(1)
	if err != nil {
		return nil, nil, views, fmt.Errorf("schema: %w", err)
	}
	if views, err = checkSchemaFB(schema); err != nil {
		return nil, nil, views, fmt.Errorf("schema: %w", err)
	}
	if dicts, err = blockVector(footer, 2); err != nil {
		return nil, nil, views, fmt.Errorf("dictionary blocks: %w", err)
	}
	if batches, err = blockVector(footer, 3); err != nil {
		return nil, nil, views, fmt.Errorf("record batch blocks: %w", err)
	}
	return dicts, batches, views, nil
}

// blockVector decodes the vector of Block structs in field i of footer.
func blockVector(footer fbTable, i int) ([]fileBlock, error) {
	start, n, err := footer.vector(i, 24)
	if err != nil {
		return nil, err
	}
	blocks := make([]fileBlock, n)
	for k := range blocks {
		p := footer.buf[start+24*k:]
		blocks[k] = fileBlock{
			off:  int64(binary.LittleEndian.Uint64(p)),
			meta: int64(int32(binary.LittleEndian.Uint32(p[8:]))),
			body: int64(binary.LittleEndian.Uint64(p[16:])),
		}
	}
	return blocks, nil
}

// fbTable is a flatbuffers table: buf[pos:] starts with the signed offset
// back to its vtable.
type fbTable struct {
	buf    []byte
	pos    int
	vtable []byte
}

var errFlatbuffer = errors.New("malformed flatbuffer")

// fbRoot returns the root table of buf.
func fbRoot(buf []byte) (fbTable, error) {
	if len(buf) < 4 {
		return fbTable{}, errFlatbuffer
	}
	return fbTableAt(buf, int(binary.LittleEndian.Uint32(buf)))
}

func fbTableAt(buf []byte, pos int) (fbTable, error) {
	if pos < 0 || pos > len(buf)-4 {
		return fbTable{}, errFlatbuffer
	}
	vt := pos - int(int32(binary.LittleEndian.Uint32(buf[pos:])))
	if vt < 0 || vt > len(buf)-4 {
		return fbTable{}, errFlatbuffer
	}
	n := int(binary.LittleEndian.Uint16(buf[vt:]))
	if n < 4 || n%2 != 0 || vt+n > len(buf) {
		return fbTable{}, errFlatbuffer
	}
	return fbTable{buf: buf, pos: pos, vtable: buf[vt : vt+n]}, nil
}

// field returns the position of field i holding size bytes, or -1 when the
// field is absent (its default applies).
func (t fbTable) field(i, size int) (int, error) {
	o := 4 + 2*i
	if o+2 > len(t.vtable) {
		return -1, nil
	}
	off := int(binary.LittleEndian.Uint16(t.vtable[o:]))
	if off == 0 {
		return -1, nil
	}
	p := t.pos + off
	if p+size > len(t.buf) {
		return 0, errFlatbuffer
	}
	return p, nil
}

func (t fbTable) uint8(i int) (uint8, error) {
	p, err := t.field(i, 1)
	if p < 0 || err != nil {
		return 0, err
	}
	return t.buf[p], nil
}

func (t fbTable) int64(i int) (int64, error) {
	p, err := t.field(i, 8)
	if p < 0 || err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(t.buf[p:])), nil
}

// table returns the table field i refers to; an absent one is an error.
func (t fbTable) table(i int) (fbTable, error) {
	p, err := t.field(i, 4)
	if err != nil {
		return fbTable{}, err
	}
	if p < 0 {
		return fbTable{}, errFlatbuffer
	}
	return fbTableAt(t.buf, p+int(binary.LittleEndian.Uint32(t.buf[p:])))
}

// element returns the table referred to by the offset at position p (an
// element of a vector of tables).
func (t fbTable) element(p int) (fbTable, error) {
	if p < 0 || p > len(t.buf)-4 {
		return fbTable{}, errFlatbuffer
	}
	return fbTableAt(t.buf, p+int(binary.LittleEndian.Uint32(t.buf[p:])))
}

// vector returns the position of the first element of the vector field i
// refers to and its length, for elements of elem bytes. An absent vector
// is empty.
func (t fbTable) vector(i, elem int) (int, int, error) {
	p, err := t.field(i, 4)
	if p < 0 || err != nil {
		return 0, 0, err
	}
	v := p + int(binary.LittleEndian.Uint32(t.buf[p:]))
	if v < 0 || v > len(t.buf)-4 {
		return 0, 0, errFlatbuffer
	}
	n := int(binary.LittleEndian.Uint32(t.buf[v:]))
	if n < 0 || n > (len(t.buf)-v-4)/elem {
		return 0, 0, errFlatbuffer
	}
	return v + 4, n, nil
}
