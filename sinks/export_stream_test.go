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
	pays, _, err := paysDictionaryRows(kind, segs, c, rows, nil, make([]columnar.Chunk, len(segs)))
	if err != nil {
		panic(err) // test inputs are small
	}
	return pays
}

// SampleRowBytes returns the bytes of each of rows [0, m) of r as the
// sample counts them (sampleRowBytes).
func SampleRowBytes(r columnar.Rows, m int) []int64 {
	sizes, err := sampleRowBytes(nil, r, m, new(columnar.Chunk))
	if err != nil {
		panic(err) // test inputs are small
	}
	return sizes
}

// ValueBytes is valueBytes: the bytes of a value the sample counts.
func ValueBytes(v parquet.Value) int64 { return valueBytes(&v) }

// AppendSample is appendSample: the rows of segs copied into a batch of
// their own.
func AppendSample(dst *columnar.Batch, segs []columnar.Rows) *columnar.Batch {
	b, err := appendSample(dst, segs)
	if err != nil {
		panic(err) // test inputs are small
	}
	return b
}

// DictionaryRows is e's dictionaryRows: EncodingAuto's decision for every
// column of the sample whose rows are segs.
func DictionaryRows(e *RowGroupEncoder, segs []columnar.Rows) []bool {
	mask, err := e.dictionaryRows(segs)
	if err != nil {
		panic(err) // test inputs are small
	}
	return mask
}
