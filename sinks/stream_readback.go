package sinks

// StreamReadsBack reports whether a finished row group that enc streams
// ([RowGroupEncoder.NewStreamWith]) of rows or, with batches, of columnar
// batches may be read back whole into one buffer of its encoded size
// before it is written, which a memory plan must then count (see
// [RowGroupEncoder.StreamReadsBack]). Every row group of an encoder that
// is not Parquet's, which does not stream, counts as read back.
func StreamReadsBack(enc Encoder, batches bool) bool {
	pe, ok := enc.(parquetEncoder)
	if !ok || pe.RowGroupEncoder == nil {
		return true
	}
	return pe.StreamReadsBack(batches)
}

// StreamReadsBack reports whether a finished row group e streams of rows
// or, with batches, of columnar batches may be read back whole into one
// buffer of its encoded size. A row group of batches whose every column
// splitdata's page writer writes (flat INT32, INT64, FLOAT, DOUBLE,
// strings and plain binary; see ownColumn) keeps its pages in a
// [BlockPool]'s blocks and a temporary file until it is written, a block
// at a time, whatever its values: the long bounds of its pages are left
// out as each page is written (pageWriter.flush) rather than trimmed in
// the joined row group. Any other (rows, whose columns parquet-go writes,
// or batches with a column it writes) is read back.
func (e *RowGroupEncoder) StreamReadsBack(batches bool) bool {
	if !batches || e.noPageWriter {
		return true
	}
	for c := range e.leaves {
		if !e.ownColumn(c) {
			return true
		}
	}
	return false
}
