package sinks

import "unsafe"

// ReencodeIndexRuns re-encodes g's dictionary indexes as an encoder of
// e's options without AlignedIndexRuns would (e must have written g with
// AlignedIndexRuns and RawDictionaryPricing, which leave parquet-go's
// indexes as they are), into a copy of its buffer when copied (as for a
// row group that does not own its buffer), and reports whether g's bytes
// stayed in the buffer they were in.
// aside, when not negative, replaces the bound of the pages kept
// re-encoded aside (maxReencodedAside).
func ReencodeIndexRuns(e *RowGroupEncoder, g *EncodedRowGroup, copied bool, aside int) (inPlace bool, err error) {
	if aside >= 0 {
		defer func(keep int) { maxReencodedAside = keep }(maxReencodedAside)
		maxReencodedAside = aside
	}
	e.opts.AlignedIndexRuns, g.opts.AlignedIndexRuns = false, false
	if copied {
		g.buf = nil
	}
	before := unsafe.SliceData(g.file)
	err = e.indexRuns(g, nil)
	return unsafe.SliceData(g.file) == before, err
}
