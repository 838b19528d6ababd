package sources

import (
	"slices"

	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
)

// Sizing a batch's columns before they are decoded: from the footer's
// counts, which are untrusted, within limits.

// scaledMeta returns a copy of md, the metadata of a column chunk of rows
// rows, with its counts and sizes scaled to want of them, for sizing the
// buffers of a range of the chunk's rows.
func scaledMeta(md *format.ColumnMetaData, want, rows int64) *format.ColumnMetaData {
	scaled := *md
	if rows > 0 {
		frac := float64(want) / float64(rows)
		scaled.NumValues = want
		scaled.TotalUncompressedSize = int64(float64(max(md.TotalUncompressedSize, 0))*frac) + 1
	}
	return &scaled
}

// presize gives col room for its rows so that appends rarely regrow: as
// many as the footer and the chunk's metadata agree on, and value bytes as
// many as the chunk holds uncompressed (which a plainly encoded column
// needs at most); a fixed-width column's values get theirs at its first
// page (roomFixed). Both counts are untrusted, and a footer promising
// billions of rows must fail when its pages run short, not exhaust memory
// up front: no slice gets more than presizeLimit bytes.
//
// A column reused from an earlier batch keeps its slices, emptied, when
// they are large enough.
func presize(col *columnar.Column, rows int64, md *format.ColumnMetaData) {
	limit := presizeLimit(md)
	rows = max(min(rows, md.NumValues), 0)
	col.Defs, col.Fixed, col.Offsets, col.Bytes = col.Defs[:0], col.Fixed[:0], col.Offsets[:0], col.Bytes[:0]
	if col.MaxDef > 0 {
		col.Defs = reserve(col.Defs, min(rows, limit), limit)
	} else {
		col.Defs = nil
	}
	if col.Width == 0 {
		col.Offsets = append(reserve(col.Offsets, min(rows, limit/4)+1, limit/4+1), 0)
		col.Bytes = reserve(col.Bytes, min(max(md.TotalUncompressedSize, 0), limit), limit)
		col.Fixed = nil
		return
	}
	// Fixed-width values get their memory when the first page comes
	// (roomFixed), from the rows it holds.
	col.Offsets, col.Bytes = nil, nil
}

// roomFixed makes room in col, a fixed-width column of a chunk of want
// rows presized with limit (presizeLimit), for the values of rows more
// rows, before a page's are appended. A column short of room grows at
// once to the chunk's values, but at most to twice its memory or limit
// bytes, whichever is more, and at least to what the page needs: a chunk
// of one page (as Polars and DuckDB write them) gets its exact memory,
// where reserving limit bytes up front, as byte arrays do, left the
// dictionary-encoded columns (whose chunks are small for their rows) to
// outgrow it and copy their values over; a footer promising more rows
// than the pages hold still gets no more than pages bring.
func roomFixed(col *columnar.Column, rows int, want, limit int64) {
	w := int64(col.Width)
	need := int64(len(col.Fixed)) + int64(rows)*w
	if w == 0 || need <= int64(cap(col.Fixed)) {
		return
	}
	size := max(need, min(max(want, 0)*w, max(2*int64(cap(col.Fixed)), limit)))
	grown := make([]byte, len(col.Fixed), size)
	copy(grown, col.Fixed)
	col.Fixed = grown
}

// reserve returns s emptied, with room for n elements: s's own memory if
// it has that much, else new memory. A reused slice that falls short is
// replaced by one an eighth larger than n (but at most most elements), so that the next units, whose
// sizes vary a little (a range's share of its chunk, the strings'
// lengths), fit in it rather than each allocate anew: on the 20 string
// columns of benchmarks/peers.sh's wide shape, about a quarter of the
// reused slices fell short.
func reserve[T any](s []T, n, most int64) []T {
	if int64(cap(s)) >= n {
		return s[:0]
	}
	if cap(s) > 0 {
		n = max(min(n+n/8, most), n)
	}
	return make([]T, 0, n)
}

// presizeLimit is the most bytes presize reserves for one slice of a
// column: four times its chunk's uncompressed size (which is at most
// MaxColumnChunkBytes, and as much as the decoder may allocate for one
// page of the chunk), or 1 MiB for small chunks. That covers plainly
// encoded columns; columns that dictionary or run-length encoding shrank
// further grow as they fill.
func presizeLimit(md *format.ColumnMetaData) int64 {
	return max(4*max(md.TotalUncompressedSize, 0), 1<<20)
}

// presizeIndexed gives a ByteArray column room for the values of its rows
// once its dictionary is known: rows times the dictionary's mean value
// length, at most presizeLimit bytes.
func presizeIndexed(col, dict *columnar.Column, rows int64, md *format.ColumnMetaData) {
	n := dict.Rows()
	if col.Width != 0 || n == 0 {
		return
	}
	need := min(rows*int64(len(dict.Bytes))/int64(n), presizeLimit(md))
	if extra := need - int64(len(col.Bytes)); extra > int64(cap(col.Bytes)-len(col.Bytes)) {
		col.Bytes = slices.Grow(col.Bytes, int(extra))
	}
}
