// Package scratch holds a job's temporary files: spilled shuffle
// partitions, row tables, the runs of a content count. A [Dir] makes
// [File]s; a file is written once, by appends through a buffer ([io.Writer],
// then [File.Flush]) or by ranges ([io.WriterAt]), then read back at any
// offset ([io.ReaderAt], or [NewReader] from its start).
// Files are never rewritten in place, so a store without random writes (an
// object store: storage.Scratch) can hold them as well as a local
// directory ([Local], [NewLocked]).
//
// A Dir may be shared by goroutines; a File's Write and Flush belong to one
// goroutine at a time, WriteAt and ReadAt may be called concurrently on
// disjoint ranges.
package scratch

import (
	"bufio"
	"fmt"
	"io"
)

// Dir makes temporary files.
type Dir interface {
	// Create makes an empty file. name says what it holds, for messages
	// and the file's own name; the Dir makes it unique, so callers may
	// use one name for many files.
	Create(name string, o Options) (File, error)
	// String names the Dir in messages: a path, or a URL without
	// parameters.
	String() string
}

// Options describe how a file is written, so that its Dir sizes its
// buffers. The zero value is an unbuffered file.
type Options struct {
	// Buffer is the write buffer of a local file: appends are written
	// to the file by blocks of this size. 0 writes each append at once.
	Buffer int
	// Files is how many files the caller may be writing at once, this
	// one among them: a Dir whose appends cost a request each sizes its
	// buffers from its memory divided by Files. 0 counts as 1.
	Files int
}

// File is a temporary file of a [Dir]. Close removes it.
type File interface {
	// Write appends p, through the file's buffer. Appended bytes are
	// readable after Flush.
	io.Writer
	// WriteAt writes p at off, at once. A range written again reads as
	// its last write; ranges written concurrently must not overlap, nor
	// overlap what was appended. Bytes never written read as zero below
	// Size.
	io.WriterAt
	// ReadAt reads what was written. Past Size it returns io.EOF.
	io.ReaderAt
	// Flush writes out the appended bytes still buffered and lets the
	// buffer go (a later append takes a new one).
	Flush() error
	// Truncate sets the size to n, which must be at least the size
	// written: the bytes between read as zero.
	Truncate(n int64) error
	// Size is the end of what was written (flushed), or of Truncate.
	Size() int64
	// Name names the file in messages.
	Name() string
	// Close removes the file; it is safe to call more than once.
	Close() error
}

// Streamer is a [File] with a faster way to read itself from the start
// than ReadAt calls of a small buffer: an object file reads a segment a
// request. [NewReader] uses it.
type Streamer interface {
	// Stream returns a reader of the whole file, from its start.
	Stream() io.Reader
}

// NewReader returns a buffered reader of f from its start (after Flush):
// its [Streamer] if it has one, else ReadAt calls of size bytes.
func NewReader(f File, size int) *bufio.Reader {
	if s, ok := f.(Streamer); ok {
		return bufio.NewReaderSize(s.Stream(), size)
	}
	return bufio.NewReaderSize(io.NewSectionReader(f, 0, f.Size()), size)
}

// ReadAll reads the whole of f (after Flush) into a new slice. A file
// that gives fewer bytes than its Size is an error naming it, even when
// its ReadAt ends them with io.EOF: the rest of the slice would be zeros.
func ReadAll(f File) ([]byte, error) {
	b := make([]byte, f.Size())
	if len(b) == 0 {
		return b, nil
	}
	n, err := f.ReadAt(b, 0)
	if n == len(b) && (err == nil || err == io.EOF) {
		return b, nil
	}
	if err == nil || err == io.EOF {
		err = fmt.Errorf("%s: read %d of its %d bytes: %w", f.Name(), n, len(b), io.ErrUnexpectedEOF)
	}
	return nil, err
}
