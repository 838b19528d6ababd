package sources

import "github.com/splitdata/splitdata/internal/columnar"

// SetCodecErr makes the capped codecs count as not installed, for err,
// until restore is called.
func SetCodecErr(err error) (restore func()) {
	old := codecErr
	codecErr = err
	return func() { codecErr = old }
}

// SetFetchWindow makes the windows of Parquet inputs over a Fetcher hold
// at most n bytes, until restore is called.
func SetFetchWindow(n int64) (restore func()) {
	old := fetchWindow
	fetchWindow = n
	return func() { fetchWindow = old }
}

// ExpandIndexed appends to col the n rows of a dictionary-encoded page
// (definition levels defs, indexes of its defined rows into dict) as the
// columnar decoder does.
func ExpandIndexed(col *columnar.Column, n int, defs []byte, indexes []int32, dict *columnar.Column) error {
	return appendIndexed(col, n, defs, indexes, dict)
}

// SharedDictionaries returns the dictionaries p's shared cache has
// decoded so far, and the row groups and dictionaries it holds now.
func SharedDictionaries(p *Parquet) (decodes, rowGroups, held int) {
	p.dicts.mu.Lock()
	defer p.dicts.mu.Unlock()
	return p.dicts.decodes, len(p.dicts.pending), len(p.dicts.entries)
}

// Reserve is reserve for byte slices: s emptied with room for n bytes,
// and an eighth more (at most most) when s is reused but short.
func Reserve(s []byte, n, most int64) []byte { return reserve(s, n, most) }

// SetDirectOff leaves every column chunk of ReadBatch to parquet-go's
// pages when off is true, until restore is called.
func SetDirectOff(off bool) (restore func()) {
	old := directOff
	directOff = off
	return func() { directOff = old }
}

// DirectChunks returns the column chunks ReadBatch has decoded directly,
// and those it left to parquet-go, so far.
func DirectChunks() (direct, left int64) {
	return directStats.direct.Load(), directStats.left.Load()
}

// DecodeHybrid decodes len(dst) values of width bits from src, in the
// RLE/bit-packing hybrid encoding, as direct decoding does.
func DecodeHybrid(dst []int32, src []byte, width int) error {
	var pad []byte
	return decodeHybrid(dst, src, width, &pad)
}

// RoomFixed is roomFixed: room in col for the values of rows more rows of
// a chunk of want rows presized with limit.
func RoomFixed(col *columnar.Column, rows int, want, limit int64) { roomFixed(col, rows, want, limit) }

// DecodeLevels decodes len(dst) definition levels of width bits from src,
// as the columnar decoder does, and returns how many are maxDef.
func DecodeLevels(dst []byte, src []byte, width int, maxDef byte) (int, error) {
	var pad []byte
	return decodeLevels(dst, src, width, maxDef, &pad)
}

// DecodeDeltaInt64 decodes len(dst) integers of src, DELTA_BINARY_PACKED,
// as direct decoding does, and returns the bytes past them.
func DecodeDeltaInt64(dst []int64, src []byte) ([]byte, error) {
	var pad []byte
	return decodeDelta(dst, src, &pad)
}

// DecodeDeltaInt32 is DecodeDeltaInt64 for INT32s.
func DecodeDeltaInt32(dst []int32, src []byte) ([]byte, error) {
	var pad []byte
	return decodeDelta(dst, src, &pad)
}

// PageBuffers are direct decoding's buffers for one goroutine's pages.
type PageBuffers = pageBuffers

// AppendDeltaLengths appends to col the n rows of a page whose
// definition levels are defs and whose defined values are src,
// DELTA_LENGTH_BYTE_ARRAY (or DELTA_BYTE_ARRAY when prefixed), as direct
// decoding does, with the buffers bufs (new ones when nil).
func AppendDeltaLengths(col *columnar.Column, n int, defs, src []byte, prefixed bool, bufs *PageBuffers) error {
	defined := n
	if defs != nil {
		defined = definedIn(defs, col.MaxDef)
	}
	if bufs == nil {
		bufs = new(pageBuffers)
	}
	if prefixed {
		return directDeltaBytes(col, n, defs, src, 0, defined, defined, bufs)
	}
	return directDeltaLengths(col, n, defs, src, 0, defined, defined, bufs)
}

// EdgeHits returns how many times direct decoding found a page at the
// edge of a unit decompressed by another.
func EdgeHits() int64 {
	edges.mu.Lock()
	defer edges.mu.Unlock()
	return edges.hits
}

// SetDirectSpanBytes sets the largest span direct decoding reads whole
// (0: every page read on its own) until restore is called.
func SetDirectSpanBytes(n int64) (restore func()) {
	old := directSpanBytes
	directSpanBytes = n
	return func() { directSpanBytes = old }
}
