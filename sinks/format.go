package sinks

import (
	"fmt"
	"io"

	"github.com/parquet-go/parquet-go"
)

// Chunk is an encoded piece of an output file: rows ready to be appended by
// a [FileWriter] of the same [Format]. Chunks are encoded concurrently and
// appended in order; their bytes depend only on their rows and the format's
// options.
type Chunk interface {
	// NumRows is the number of rows in the chunk.
	NumRows() int64
	// Size is the memory the chunk holds, in bytes.
	Size() int64
}

// Encoder turns rows into a [Chunk]. An Encoder is safe for concurrent use.
type Encoder interface {
	Encode(rows parquet.RowReader) (Chunk, error)
}

// CheckedEncoder is implemented by encoders that can skip their own
// structural check of rows already checked against the same schema (see
// [RowGroupEncoder.EncodeChecked]).
type CheckedEncoder interface {
	EncodeChecked(rows parquet.RowReader) (Chunk, error)
}

// FileWriter writes one output file from chunks appended in order. It is
// for a single goroutine. Close writes what the format needs after the last
// chunk (a footer); the caller owns and closes the io.Writer.
type FileWriter interface {
	Append(c Chunk) error
	Close() error
}

// Format is an output file format with its options.
type Format interface {
	// Name is the format's name as --format takes it: parquet, arrow, csv.
	Name() string
	// Ext is the file name extension of the format's files, with its dot.
	Ext() string
	// NewEncoder returns an encoder of rows of schema.
	NewEncoder(schema *parquet.Schema) (Encoder, error)
	// NewFileWriter returns a writer of one file of rows of schema to w,
	// with kv as the file's key/value metadata where the format has any.
	NewFileWriter(w io.Writer, schema *parquet.Schema, kv []KeyValue) (FileWriter, error)
}

// Output format names, as --format takes them.
const (
	FormatParquet = "parquet"
	FormatArrow   = "arrow" // Arrow IPC file format
	FormatCSV     = "csv"
	FormatJSONL   = "jsonl" // JSON Lines
)

// Formats returns the names of the output formats.
func Formats() []string { return []string{FormatParquet, FormatArrow, FormatCSV, FormatJSONL} }

// Parquet is the Parquet [Format] with the given options.
func Parquet(opts ParquetOptions) Format { return parquetFormat{opts} }

type parquetFormat struct{ opts ParquetOptions }

func (parquetFormat) Name() string { return FormatParquet }
func (parquetFormat) Ext() string  { return ".parquet" }

func (f parquetFormat) NewEncoder(schema *parquet.Schema) (Encoder, error) {
	e, err := NewRowGroupEncoder(schema, f.opts)
	if err != nil {
		return nil, err
	}
	return parquetEncoder{e}, nil
}

func (f parquetFormat) NewFileWriter(w io.Writer, schema *parquet.Schema, kv []KeyValue) (FileWriter, error) {
	pw, err := NewParquetFileWriter(w, schema, f.opts, kv)
	if err != nil {
		return nil, err
	}
	return parquetFileWriter{pw}, nil
}

type parquetEncoder struct{ *RowGroupEncoder }

func (e parquetEncoder) Encode(rows parquet.RowReader) (Chunk, error) {
	return e.RowGroupEncoder.Encode(rows)
}

func (e parquetEncoder) EncodeChecked(rows parquet.RowReader) (Chunk, error) {
	return e.RowGroupEncoder.EncodeChecked(rows)
}

type parquetFileWriter struct{ *ParquetFileWriter }

func (w parquetFileWriter) Append(c Chunk) error {
	g, ok := c.(*EncodedRowGroup)
	if !ok {
		return fmt.Errorf("%w: a %T is not a Parquet row group", ErrIncompatibleRowGroup, c)
	}
	return w.ParquetFileWriter.Append(g)
}
