package sources

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// Opening an Arrow input: the file format's footer and record batch
// blocks, or one pass over a stream's message headers, each checked
// against the input's size before anything is read from it.

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
