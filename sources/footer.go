package sources

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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
