package sinks

import (
	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// FreeBlocks returns how many of p's blocks are free: all it made once
// every row group holding them was released.
func FreeBlocks(p *BlockPool) (free, made int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.free), p.made
}

// Spooled reports whether g's pages were left where its stream held them
// (blocks and temporary file) rather than joined in one buffer.
func Spooled(g *EncodedRowGroup) bool { return g.pages != nil }

// PaysDictionaryRows is paysDictionaryRows: EncodingAuto's decision for
// column c of the rows of segs, read where they are.
func PaysDictionaryRows(kind parquet.Kind, segs []columnar.Rows, c int) bool {
	rows := 0
	for _, seg := range segs {
		rows += seg.NumRows()
	}
	pays, _ := paysDictionaryRows(kind, segs, c, rows, nil, make([]columnar.Chunk, len(segs)))
	return pays
}

// SampleRowBytes returns the bytes of each of rows [0, m) of r as the
// sample counts them (sampleRowBytes).
func SampleRowBytes(r columnar.Rows, m int) []int64 {
	return sampleRowBytes(nil, r, m, new(columnar.Chunk))
}

// ValueBytes is valueBytes: the bytes of a value the sample counts.
func ValueBytes(v parquet.Value) int64 { return valueBytes(&v) }

// AppendSample is appendSample: the rows of segs copied into a batch of
// their own.
var AppendSample = appendSample

// DictionaryRows is e's dictionaryRows: EncodingAuto's decision for every
// column of the sample whose rows are segs.
func DictionaryRows(e *RowGroupEncoder, segs []columnar.Rows) []bool { return e.dictionaryRows(segs) }
