package sources

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The walk of a thrift compact-protocol struct without decoding it: a
// footer's FileMetaData (readFooter) or a column chunk's offset index
// (indexedChunk). Every count and length is checked against the bytes
// left, and nothing is allocated from them.

// Compact-protocol type codes (thrift-compact-protocol.md).
const (
	ctStop   = 0
	ctTrue   = 1
	ctFalse  = 2
	ctI8     = 3
	ctI16    = 4
	ctI32    = 5
	ctI64    = 6
	ctDouble = 7
	ctBinary = 8
	ctList   = 9
	ctSet    = 10
	ctMap    = 11
	ctStruct = 12
	ctUUID   = 13
)

// Where a struct sits in the FileMetaData, for the few structs the check
// looks inside.
const (
	inOther = iota
	inFileMetaData
	inSchemaElement
	inRowGroup
	inColumnChunk
)

// footerWalker walks a thrift compact-protocol FileMetaData without
// decoding it, reading it the way the Parquet decoder does (parquet-go's
// encoding/thrift), and checks that every count and length it states fits
// the bytes left. It allocates nothing that depends on the input.
type footerWalker struct {
	buf    []byte
	off    int
	depth  int
	memory int64 // estimated bytes of the decoded footer

	schema schemaWalk

	rowGroups    int
	firstColumns int // column chunks of row group 0
	badRowGroup  int // first row group whose chunk count differs from row group 0's, or -1
}

// checkFooter checks the thrift-encoded FileMetaData b and returns the
// estimated memory of its decoded form.
func checkFooter(b []byte) (int64, error) {
	w := footerWalker{buf: b, badRowGroup: -1}
	w.memory = 2 * int64(len(b)) // our copy, and the decoder's
	if err := w.walkStruct(inFileMetaData); err != nil {
		return 0, err
	}
	if trailing := len(b) - w.off; trailing != 0 {
		if trailing == 28 {
			// A plaintext footer signed with AES-GCM (nonce and tag).
			return 0, &limitError{kind: ErrUnsupported, rowGroup: -1, msg: "signed footer (Parquet modular encryption)"}
		}
		return 0, fmt.Errorf("%d bytes after the end of the file metadata", trailing)
	}
	if err := w.schema.finish(); err != nil {
		return 0, err
	}
	leaves := w.schema.leaves
	switch {
	case w.badRowGroup >= 0:
		return 0, &limitError{kind: ErrCorrupt, rowGroup: w.badRowGroup, msg: fmt.Sprintf("row groups hold different numbers of column chunks (%d in row group 0)", w.firstColumns)}
	case w.rowGroups > 0 && w.firstColumns != leaves:
		return 0, &limitError{kind: ErrCorrupt, rowGroup: 0, msg: fmt.Sprintf("%d column chunks for %d leaf columns", w.firstColumns, leaves)}
	}
	w.memory += w.schema.memory
	if w.memory > MaxFooterMemory {
		return 0, &limitError{kind: ErrUnsupported, rowGroup: -1, msg: fmt.Sprintf("footer would take about %d MiB decoded, over the limit of %d MiB (MaxFooterMemory)", w.memory>>20, MaxFooterMemory>>20)}
	}
	return w.memory, nil
}

func (w *footerWalker) errorf(format string, args ...any) error {
	return fmt.Errorf("byte %d of %d: %s", w.off, len(w.buf), fmt.Sprintf(format, args...))
}

func (w *footerWalker) byte() (byte, error) {
	if w.off >= len(w.buf) {
		return 0, w.errorf("footer ends inside its metadata")
	}
	b := w.buf[w.off]
	w.off++
	return b, nil
}

func (w *footerWalker) skip(n int) error {
	if n > len(w.buf)-w.off {
		return w.errorf("footer ends inside a value of %d bytes", n)
	}
	w.off += n
	return nil
}

// uvarint reads an unsigned varint of at most max.
func (w *footerWalker) uvarint(what string, max uint64) (uint64, error) {
	v, n := binary.Uvarint(w.buf[w.off:])
	switch {
	case n == 0:
		return 0, w.errorf("footer ends inside a %s", what)
	case n < 0:
		return 0, w.errorf("%s varint overflows 64 bits", what)
	case v > max:
		return 0, w.errorf("%s %d out of range (at most %d)", what, v, max)
	}
	w.off += n
	return v, nil
}

// varint reads a zigzag varint in [min, max].
func (w *footerWalker) varint(what string, min, max int64) (int64, error) {
	v, n := binary.Varint(w.buf[w.off:])
	switch {
	case n == 0:
		return 0, w.errorf("footer ends inside a %s", what)
	case n < 0:
		return 0, w.errorf("%s varint overflows 64 bits", what)
	case v < min || v > max:
		return 0, w.errorf("%s %d out of range [%d, %d]", what, v, min, max)
	}
	w.off += n
	return v, nil
}

func (w *footerWalker) enter() error {
	w.depth++
	if w.depth > maxThriftNesting {
		return w.errorf("structures nested more than %d deep", maxThriftNesting)
	}
	return nil
}

// minBytes is the fewest bytes a container element of type t takes, or 0
// for a type that cannot be an element.
func minBytes(t byte) int {
	switch t {
	case ctTrue, ctFalse, ctI8, ctI16, ctI32, ctI64, ctBinary, ctList, ctSet, ctMap, ctStruct:
		return 1 // a bool element is one byte; a varint, length, header or stop at least one
	case ctDouble:
		return 8
	case ctUUID:
		return 16
	}
	return 0
}

// walkStruct walks a struct up to and including its stop byte.
func (w *footerWalker) walkStruct(where int) error {
	if err := w.enter(); err != nil {
		return err
	}
	var (
		lastID      int16
		name        []byte
		numChildren int64
		isLeaf      bool
		columns     = -1
		seen        uint32 // fields 1 to 31 of FileMetaData already seen
	)
	for {
		b, err := w.byte()
		if err != nil {
			return err
		}
		t := b & 0xF
		if t == ctStop { // the decoder ends a struct at any field of type stop
			break
		}
		var id int16
		if d := b >> 4; d != 0 {
			id = lastID + int16(d)
		} else {
			v, err := w.varint("field id", math.MinInt16, math.MaxInt16)
			if err != nil {
				return err
			}
			id = int16(v)
		}
		lastID = id
		if where == inFileMetaData && id > 0 && id < 32 {
			// A repeated list field would be decoded twice over the same
			// slice; no writer repeats a field.
			if seen&(1<<id) != 0 {
				return w.errorf("file metadata field %d appears twice", id)
			}
			seen |= 1 << id
		}
		switch {
		case t == ctTrue || t == ctFalse:
			// A bool field's value is its type; no byte follows.
		case where == inFileMetaData && id == 2 && t == ctList:
			if _, err := w.walkList(inSchemaElement); err != nil {
				return err
			}
		case where == inFileMetaData && id == 4 && t == ctList:
			n, err := w.walkList(inRowGroup)
			if err != nil {
				return err
			}
			w.rowGroups = n
		case where == inRowGroup && id == 1 && t == ctList:
			if columns, err = w.walkList(inColumnChunk); err != nil {
				return err
			}
		case where == inSchemaElement && id == 1 && t == ctI32:
			isLeaf = true
			if err := w.value(t); err != nil {
				return err
			}
		case where == inSchemaElement && id == 4 && t == ctBinary:
			start := w.off
			if err := w.value(t); err != nil {
				return err
			}
			name = w.buf[start:w.off]
			_, n := binary.Uvarint(name)
			name = name[n:]
		case where == inSchemaElement && id == 5 && t == ctI32:
			if numChildren, err = w.varint("num_children", math.MinInt32, math.MaxInt32); err != nil {
				return err
			}
		default:
			if err := w.value(t); err != nil {
				return err
			}
		}
	}
	w.depth--
	switch where {
	case inSchemaElement:
		return w.schema.add(name, numChildren, isLeaf)
	case inRowGroup:
		if columns < 0 {
			columns = 0
		}
		i := w.rowGroups // row groups are counted as they end
		if i == 0 {
			w.firstColumns = columns
		} else if columns != w.firstColumns && w.badRowGroup < 0 {
			w.badRowGroup = i
		}
		w.rowGroups++
	}
	return nil
}

// walkList walks a list or set whose elements, if structs, sit at where.
// It returns the number of elements, or 0 for a list the decoder would
// skip as not a list of structs.
func (w *footerWalker) walkList(where int) (int, error) {
	if err := w.enter(); err != nil {
		return 0, err
	}
	b, err := w.byte()
	if err != nil {
		return 0, err
	}
	n := int(b >> 4)
	if n == 0xF {
		v, err := w.uvarint("list size", math.MaxInt32)
		if err != nil {
			return 0, err
		}
		n = int(v)
	}
	t := b & 0xF
	if n > 0 {
		min := minBytes(t)
		if min == 0 {
			return 0, w.errorf("list of %d elements of unknown type %d", n, t)
		}
		if left := len(w.buf) - w.off; n > left/min {
			return 0, w.errorf("list of %d elements in the %d bytes left", n, left)
		}
	}
	if t != ctStruct {
		where = inOther
	}
	switch {
	case where == inSchemaElement:
		w.memory += int64(n) * costSchemaElement
	case where == inRowGroup:
		w.memory += int64(n) * costRowGroup
	case where == inColumnChunk:
		w.memory += int64(n) * costColumnChunk
	case t == ctStruct:
		w.memory += int64(n) * costListStruct
	default:
		w.memory += int64(n) * costListValue
	}
	for range n {
		if err := w.element(t, where); err != nil {
			return 0, err
		}
	}
	w.depth--
	if t != ctStruct {
		return 0, nil
	}
	return n, nil
}

// walkMap walks a map.
func (w *footerWalker) walkMap() error {
	if err := w.enter(); err != nil {
		return err
	}
	v, err := w.uvarint("map size", math.MaxInt32)
	if err != nil {
		return err
	}
	n := int(v)
	if n > 0 {
		b, err := w.byte()
		if err != nil {
			return err
		}
		k, e := b>>4, b&0xF
		min := minBytes(k) + minBytes(e)
		if minBytes(k) == 0 || minBytes(e) == 0 {
			return w.errorf("map of %d entries of unknown types %d, %d", n, k, e)
		}
		if left := len(w.buf) - w.off; n > left/min {
			return w.errorf("map of %d entries in the %d bytes left", n, left)
		}
		w.memory += int64(n) * 2 * costListStruct
		for range n {
			if err := w.element(k, inOther); err != nil {
				return err
			}
			if err := w.element(e, inOther); err != nil {
				return err
			}
		}
	}
	w.depth--
	return nil
}

// element walks one container element of type t.
func (w *footerWalker) element(t byte, where int) error {
	switch t {
	case ctTrue, ctFalse: // in a container a bool takes a byte
		_, err := w.byte()
		return err
	case ctStruct:
		return w.walkStruct(where)
	}
	return w.value(t)
}

// value walks a field value of type t other than a bool.
func (w *footerWalker) value(t byte) error {
	switch t {
	case ctI8:
		return w.skip(1)
	case ctI16:
		_, err := w.varint("i16", math.MinInt16, math.MaxInt16)
		return err
	case ctI32:
		_, err := w.varint("i32", math.MinInt32, math.MaxInt32)
		return err
	case ctI64:
		_, err := w.varint("i64", math.MinInt64, math.MaxInt64)
		return err
	case ctDouble:
		return w.skip(8)
	case ctUUID:
		return w.skip(16)
	case ctBinary:
		n, err := w.uvarint("binary length", math.MaxInt32)
		if err != nil {
			return err
		}
		if left := len(w.buf) - w.off; n > uint64(left) {
			return w.errorf("binary of %d bytes in the %d bytes left", n, left)
		}
		w.off += int(n)
		return nil
	case ctList, ctSet:
		_, err := w.walkList(inOther)
		return err
	case ctMap:
		return w.walkMap()
	case ctStruct:
		return w.walkStruct(inOther)
	}
	return w.errorf("unknown thrift type %d", t)
}
