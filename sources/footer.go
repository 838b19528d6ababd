package sources

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/parquet-go/parquet-go"
)

// Limits on a Parquet footer, checked by [OpenParquet] before the footer is
// decoded. The Parquet decoder allocates from the counts and lengths the
// footer states (a list of 2^31-1 schema elements in a 37-byte file, a
// footer length of 4 GiB), so every one of them is checked against the
// bytes that are really there, and the whole against these caps, before
// anything is allocated from it.
const (
	// MaxFooterBytes is the largest footer (the thrift-encoded FileMetaData
	// before the trailing length and magic) an input may have. Footers of
	// well-formed files are kilobytes to a few megabytes; a bigger one is
	// refused as unsupported rather than read into memory.
	MaxFooterBytes = 64 << 20

	// MaxFooterMemory bounds the memory the decoded footer may take: its
	// bytes, the thrift structures decoded from them and the column tree
	// built on them, as estimated by the footer check from the number of
	// schema elements, row groups, column chunks and list entries (an
	// estimate that errs on the high side). A footer of valid structure
	// above it is refused as unsupported.
	MaxFooterMemory = 1 << 30

	// MaxSchemaDepth is the deepest nesting of groups a schema may have:
	// a top-level column is at depth 1, a field of a top-level group at
	// depth 2. Each level costs the decoder a path segment per column below
	// it, and real schemas stay within a handful of levels; 64 is the limit
	// the Arrow IPC reader applies to nested fields too.
	MaxSchemaDepth = 64

	// maxThriftNesting bounds the nesting of thrift structs and containers
	// in a footer, as Apache Thrift's default recursion limit does. The
	// FileMetaData of the Parquet format nests about 8 deep; the decoder
	// recurses once per level, unknown fields included.
	maxThriftNesting = 64
)

// Estimated bytes that one decoded element of each kind costs, with the
// Parquet decoder's structures and ours built from it: the format struct,
// the column tree node, row-group bookkeeping, slice and interface slots.
// They are measured upper bounds (TestFooterMemoryEstimate checks that
// opening crafted footers of each shape stays within the estimate).
const (
	costSchemaElement = 1536 // format.SchemaElement, parquet.Column, field and child slots, our layout
	costPathSegment   = 160  // one name in one column's path, in the decoder's path slab and our dotted path
	costRowGroup      = 512  // format.RowGroup, parquet.FileRowGroup, our row counts
	costColumnChunk   = 1536 // format.ColumnChunk with its metadata, parquet.FileColumnChunk and its slots
	costListStruct    = 64   // any other struct in a list (key/value, column order, sorting column ...)
	costListValue     = 16   // a scalar or string header in a list
)

// footerTail serves reads of the last bytes of a file from the footer
// already read and checked, so that the Parquet decoder decodes the very
// bytes that were checked and does not read them a second time. Every other
// read goes to the file. Set tail to nil once the decoder has its footer.
type footerTail struct {
	r    io.ReaderAt
	off  int64  // offset of tail in the file
	tail []byte // the file's bytes from off to its end
}

// ReadAt implements io.ReaderAt.
func (t *footerTail) ReadAt(p []byte, off int64) (int, error) {
	if t.tail != nil && off >= t.off && off-t.off <= int64(len(t.tail)) && int64(len(p)) <= int64(len(t.tail))-(off-t.off) {
		return copy(p, t.tail[off-t.off:]), nil
	}
	return t.r.ReadAt(p, off)
}

// readFooter reads and checks the footer of the Parquet data in r, which
// holds size bytes. It returns the file's last bytes (the footer, its
// length and the magic) and the estimated memory of the decoded footer.
func readFooter(name string, r io.ReaderAt, size int64) ([]byte, int64, error) {
	bad := func(kind error, format string, args ...any) error {
		return &InputError{Path: name, RowGroup: -1, Err: fmt.Errorf("%w: %s", kind, fmt.Sprintf(format, args...))}
	}
	const magic = "PAR1"
	if size < 12 {
		return nil, 0, bad(ErrCorrupt, "%d bytes, too short for a Parquet file (magic, footer length, magic: at least 12)", size)
	}
	var head [4]byte
	var end [8]byte
	if err := readFull(r, head[:], 0); err != nil {
		return nil, 0, footerReadError(name, err)
	}
	if err := readFull(r, end[:], size-8); err != nil {
		return nil, 0, footerReadError(name, err)
	}
	switch {
	case string(end[4:]) == "PARE":
		return nil, 0, bad(ErrUnsupported, "encrypted footer (Parquet modular encryption)")
	case string(end[4:]) != magic:
		return nil, 0, bad(ErrCorrupt, "not a Parquet file: ends in %q, not %q", end[4:], magic)
	case string(head[:]) != magic:
		return nil, 0, bad(ErrCorrupt, "not a Parquet file: starts with %q, not %q", head[:], magic)
	}
	n := int64(binary.LittleEndian.Uint32(end[:4]))
	switch {
	case n > size-12:
		return nil, 0, bad(ErrCorrupt, "footer length %d exceeds the %d bytes between the magic numbers", n, size-12)
	case n > MaxFooterBytes:
		return nil, 0, bad(ErrUnsupported, "footer of %d bytes, over the limit of %d (MaxFooterBytes)", n, MaxFooterBytes)
	case n == 0:
		return nil, 0, bad(ErrCorrupt, "empty footer")
	}
	tail := make([]byte, n+8)
	if err := readFull(r, tail, size-8-n); err != nil {
		return nil, 0, footerReadError(name, err)
	}
	memory, err := checkFooter(tail[:n])
	if err != nil {
		var le *limitError
		if errors.As(err, &le) {
			return nil, 0, &InputError{Path: name, RowGroup: le.rowGroup, Err: fmt.Errorf("%w: %w", le.kind, err)}
		}
		return nil, 0, &InputError{Path: name, RowGroup: -1, Err: fmt.Errorf("%w: footer: %w", ErrCorrupt, err)}
	}
	return tail, memory, nil
}

// readFull reads len(p) bytes at off.
func readFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// footerReadError wraps an error reading the footer: a file shorter than its
// stated size is corrupt, any other error is the system's.
func footerReadError(name string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return &InputError{Path: name, RowGroup: -1, Err: fmt.Errorf("%w: file shorter than its size: %w", ErrCorrupt, err)}
	}
	return fmt.Errorf("read footer of %s: %w", name, err)
}

// limitError is a footer check failure that is not a malformed encoding:
// a limit exceeded (kind ErrUnsupported) or an inconsistent schema or row
// group (kind ErrCorrupt), with the row group it concerns or -1.
type limitError struct {
	kind     error
	rowGroup int
	msg      string
}

func (e *limitError) Error() string { return e.msg }

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

// schemaWalk checks the flat list of schema elements as they are walked,
// the way the decoder will build its tree from them, with a stack bounded by
// MaxSchemaDepth instead of recursion: element 0 is the root, each group's
// num_children elements follow it depth first.
type schemaWalk struct {
	elements int
	leaves   int
	memory   int64
	depth    int // open groups, the root included: the depth of the next element
	open     [MaxSchemaDepth + 1]struct {
		name []byte
		left int64 // children not yet seen
		text int64 // bytes of the dotted path of this group
	}
	done bool // the root's last descendant was seen
}

// add takes the next schema element.
func (s *schemaWalk) add(name []byte, numChildren int64, isLeaf bool) error {
	i := s.elements
	s.elements++
	switch {
	case s.done:
		return s.fail(ErrCorrupt, nil, "schema element %d lies outside the root's columns", i)
	case numChildren < 0:
		return s.fail(ErrCorrupt, name, "%d children", numChildren)
	case numChildren > 0 && isLeaf:
		return s.fail(ErrCorrupt, name, "leaf column declares %d children", numChildren)
	case s.depth > MaxSchemaDepth:
		return s.fail(ErrUnsupported, name, "schema nested more than %d levels deep (MaxSchemaDepth)", MaxSchemaDepth)
	}
	// The decoder gives each element a path of its ancestors' names and
	// its own; we keep the leaves' dotted paths twice (path and shared
	// prefix).
	text := int64(len(name)) + 1
	if s.depth > 0 {
		s.open[s.depth-1].left--
		text += s.open[s.depth-1].text
	}
	s.memory += int64(s.depth+1)*costPathSegment + 2*text
	switch {
	case i == 0 && numChildren == 0:
		s.done = true // a root without columns, refused later
	case numChildren == 0:
		if isLeaf {
			s.leaves++
			if s.leaves > parquet.MaxColumnIndex+1 {
				return s.fail(ErrUnsupported, nil, "more than %d leaf columns", parquet.MaxColumnIndex+1)
			}
		}
	default:
		s.open[s.depth].name = name
		s.open[s.depth].left = numChildren
		s.open[s.depth].text = text
		if i == 0 {
			s.open[s.depth].text = 0 // the root's name is not part of paths
		}
		s.depth++
	}
	for s.depth > 0 && s.open[s.depth-1].left == 0 {
		s.depth--
		if s.depth == 0 {
			s.done = true
		}
	}
	return nil
}

// fail builds a schema error naming the column at the top of the stack,
// then name.
func (s *schemaWalk) fail(kind error, name []byte, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if path := s.path(name); path != "" {
		msg = fmt.Sprintf("column %s: %s", path, msg)
	}
	return &limitError{kind: kind, rowGroup: -1, msg: msg}
}

// path is the dotted path of the open groups below the root, then name,
// shortened for an error message.
func (s *schemaWalk) path(name []byte) string {
	var parts [][]byte
	for i := 1; i < s.depth; i++ {
		parts = append(parts, s.open[i].name)
	}
	if name != nil && s.elements > 1 {
		parts = append(parts, name)
	}
	if len(parts) == 0 {
		return ""
	}
	return shortPath(parts)
}

// finish checks that the schema is complete.
func (s *schemaWalk) finish() error {
	switch {
	case s.elements == 0:
		return &limitError{kind: ErrCorrupt, rowGroup: -1, msg: "footer has no schema"}
	case s.depth > 0:
		top := s.open[s.depth-1]
		return s.fail(ErrCorrupt, nil, "schema ends with %d children of %s missing", top.left, quoteName(top.name))
	}
	return nil
}

// Bounds on names and paths quoted in error messages, which must stay one
// short line whatever the file holds.
const (
	maxNameInError = 40 // bytes of one name
	maxPathParts   = 4  // names of a long path shown: the first two and last two
	maxErrorText   = 240
)

// cutName cuts a name to maxNameInError bytes for an error message.
func cutName(s string) string {
	if len(s) <= maxNameInError {
		return s
	}
	cut := maxNameInError
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// quoteName quotes a column name for an error message, cut to
// maxNameInError bytes.
func quoteName(b []byte) string { return strconv.Quote(cutName(string(b))) }

// shortPath formats a column path for an error message, quoted: each name
// cut to maxNameInError bytes and, of a long path, only the first and last
// two names around a count of those left out.
func shortPath(parts [][]byte) string {
	names := make([]string, 0, min(len(parts), maxPathParts+1))
	for i, p := range parts {
		if len(parts) > maxPathParts && i >= maxPathParts/2 && i < len(parts)-maxPathParts/2 {
			if i == maxPathParts/2 {
				names = append(names, fmt.Sprintf("…(%d more)…", len(parts)-maxPathParts))
			}
			continue
		}
		names = append(names, cutName(string(p)))
	}
	return strconv.Quote(strings.Join(names, "."))
}

// shortColumn shortens a dotted column path from the decoder's schema for
// [InputError.Column], unquoted, as shortPath does.
func shortColumn(path string) string {
	if len(path) <= maxErrorText/2 {
		return path
	}
	parts := bytes.Split([]byte(path), []byte("."))
	s, _ := strconv.Unquote(shortPath(parts))
	return s
}

// clippedError is an error from the decoder whose text is cut to
// maxErrorText bytes: the decoder quotes column paths and values in its
// errors, which a hostile file can make megabytes long.
type clippedError struct {
	msg string
	err error
}

func (e *clippedError) Error() string { return e.msg }
func (e *clippedError) Unwrap() error { return e.err }

// clip cuts the text of err to maxErrorText bytes.
func clip(err error) error {
	msg := err.Error()
	if len(msg) <= maxErrorText {
		return err
	}
	cut := maxErrorText
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return &clippedError{msg: msg[:cut] + "…", err: err}
}
