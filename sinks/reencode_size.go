package sinks

import "github.com/parquet-go/parquet-go"

// ReencoderBytes is what a memory plan counts for the index re-encoder
// (parquet_rle_chunks.go) of each row group enc encodes at once, of rows
// or, with batches, of columnar batches: PooledReencoderBytes of its page
// size when some column of its schema may be re-encoded, else 0. A
// column is re-encoded when parquet-go writes it with a dictionary: every
// column of rows; of batches, those splitdata's page writer does not
// cover (nested, BOOLEAN, FIXED_LEN_BYTE_ARRAY, unsigned integers and
// byte arrays of other logical types than strings), which are written
// beside its pages. A column may have a dictionary unless the options
// leave it PLAIN: EncodingAuto prices every column but a BOOLEAN one,
// EncodingPlain with Dictionary gives byte arrays one, EncodingPlain none.
// An encoder that writes parquet-go's index runs as they are
// (ParquetOptions.AlignedIndexRuns) and compresses dictionaries with its
// data pages' codec re-encodes nothing, and encoders of other formats
// have no re-encoder.
//
// The re-encoder's scratch does not grow with the number of columns: it
// re-encodes a row group's chunks one page at a time, and keeps at most
// ReencodedAsideBytes and a page aside. So a schema needs one re-encoder
// or none; what grows with its columns is the page writers' scratch
// (PooledWriterBytes a column).
func ReencoderBytes(enc Encoder, batches bool) int64 {
	pe, ok := enc.(parquetEncoder)
	if !ok || pe.RowGroupEncoder == nil || pe.reencodedColumns(batches) == 0 {
		return 0
	}
	return PooledReencoderBytes(int64(pe.opts.pageBufferSize()))
}

// reencodedColumns returns the number of e's leaf columns whose
// dictionary indexes e may re-encode in a row group of rows or, with
// batches, of columnar batches (see ReencoderBytes).
func (e *RowGroupEncoder) reencodedColumns(batches bool) int {
	if e.opts.AlignedIndexRuns && !e.recompressDictionaries() {
		return 0
	}
	n := 0
	for c := range e.leaves {
		if batches && !e.noPageWriter && e.ownColumn(c) {
			continue
		}
		if e.mayDictionary(c) {
			n++
		}
	}
	return n
}

// mayDictionary reports whether e's options may give leaf column c a
// dictionary.
func (e *RowGroupEncoder) mayDictionary(c int) bool {
	switch {
	case e.auto:
		return e.leaves[c].kind != parquet.Boolean
	case e.opts.plainDictionary():
		return e.leaves[c].kind == parquet.ByteArray
	}
	return false
}
