package sinks

import (
	"encoding/binary"
	"fmt"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// This file holds EncodingAuto's decision for a stream of batches, made
// from the sample's rows where they sit in the batches: the decision
// paysDictionary makes from parquet.Values (parquet_dict.go), the same
// counts of the same bytes, without making a parquet.Value per row and
// column of the sample and cloning its byte arrays.
// TestDictionaryRowsMatchValues holds the two to the same answers.

// sampleRowBytes returns the bytes each of rows [0, m) of r holds, as
// valueBytes counts them summed over the row's values: a non-null
// fixed-width value its width, a byte array its length, a null nothing.
// It reuses sizes and ch, and fails when a column's picked byte arrays
// are more than a chunk addresses.
func sampleRowBytes(sizes []int64, r columnar.Rows, m int, ch *columnar.Chunk) ([]int64, error) {
	sizes = append(sizes[:0], make([]int64, m)...)
	if m == 0 {
		return sizes, nil
	}
	for c := range r.Batches()[0].Cols {
		if err := ch.Read(r, c, 0, m); err != nil {
			return nil, fmt.Errorf("dictionary sample: %w", err)
		}
		if ch.Width == 0 {
			// A null's byte array is empty.
			for k := range sizes {
				sizes[k] += int64(ch.Offsets[k+1] - ch.Offsets[k])
			}
			continue
		}
		w := int64(ch.Width)
		for k := range sizes {
			if !ch.Null(k) {
				sizes[k] += w
			}
		}
	}
	return sizes, nil
}

// dictionaryRows returns, per leaf column of e's schema, whether the
// chunk whose sample is the rows of segs, in order, gets a dictionary:
// what dictionaryColumns returns for their values. Raw pricing (0.5.0 to
// 0.7.0) counts the rows where they sit; priced compressed (0.8.0), each
// column's sample is encoded both ways from its values, one column at a
// time, as the other paths price it. It fails when a column's picked
// byte arrays are more than a chunk addresses.
func (e *RowGroupEncoder) dictionaryRows(segs []columnar.Rows) ([]bool, error) {
	mask := make([]bool, len(e.leaves))
	if !e.opts.RawDictionaryPricing {
		p := e.newPricer()
		defer p.release()
		var vals []parquet.Value
		for c, leaf := range e.leaves {
			vals = vals[:0]
			for _, seg := range segs {
				vals = seg.AppendValues(vals, c, 0, seg.NumRows())
			}
			mask[c] = p.pays(leaf.kind, vals)
		}
		return mask, nil
	}
	rows := 0
	for _, seg := range segs {
		rows += seg.NumRows()
	}
	var keys []uint64
	chunks := make([]columnar.Chunk, len(segs))
	for c, leaf := range e.leaves {
		var err error
		if mask[c], keys, err = paysDictionaryRows(leaf.kind, segs, c, rows, keys, chunks); err != nil {
			return nil, fmt.Errorf("dictionary sample, column %d: %w", c, err)
		}
	}
	return mask, nil
}

// paysDictionaryRows is paysDictionary for column c of the rows of segs
// (rows of them in all), whose kind is kind. It reuses keys, and returns
// them, and reads segs[k] into chunks[k], whose buffers picked rows are
// gathered into from one column to the next.
func paysDictionaryRows(kind parquet.Kind, segs []columnar.Rows, c, rows int, keys []uint64, chunks []columnar.Chunk) (bool, []uint64, error) {
	var plain, dict, nonNull int64
	var distinct int
	switch kind {
	case parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
		// Keys are the values' bits, as parquet.Value's Uint32 and
		// Uint64 give them.
		keys = keys[:0]
		for j, seg := range segs {
			n := seg.NumRows()
			if n == 0 {
				continue
			}
			ch := &chunks[j]
			if err := ch.Read(seg, c, 0, n); err != nil {
				return false, keys, err
			}
			for k := range n {
				if ch.Null(k) {
					continue
				}
				if ch.Width == 4 {
					keys = append(keys, uint64(binary.LittleEndian.Uint32(ch.Fixed[4*k:])))
				} else {
					keys = append(keys, binary.LittleEndian.Uint64(ch.Fixed[8*k:]))
				}
			}
		}
		width := int64(4)
		if kind == parquet.Int64 || kind == parquet.Double {
			width = 8
		}
		nonNull = int64(len(keys))
		distinct = countDistinct(keys)
		plain, dict = width*nonNull, width*int64(distinct)
	case parquet.Int96, parquet.FixedLenByteArray, parquet.ByteArray:
		prefix := int64(0)
		if kind == parquet.ByteArray {
			prefix = 4
		}
		set := newByteSet(rows)
		for j, seg := range segs {
			n := seg.NumRows()
			if n == 0 {
				continue
			}
			// A chunk per segment: the set keeps the column's values,
			// which a chunk's next Read of picked rows overwrites.
			ch := &chunks[j]
			if err := ch.Read(seg, c, 0, n); err != nil {
				return false, keys, err
			}
			w := ch.Width
			for k := range n {
				if ch.Null(k) {
					continue
				}
				nonNull++
				var b []byte
				if w == 0 {
					b = ch.Value(k)
				} else {
					b = ch.Fixed[w*k : w*k+w : w*k+w]
				}
				m := prefix + int64(len(b))
				plain += m
				if set.add(b) {
					dict += m
				}
			}
		}
		distinct = len(set.vals)
	default:
		return false, keys, nil
	}
	return rawPays(plain, dict, nonNull, distinct), keys, nil
}

// appendSample appends the rows of segs to dst (nil: a new batch) as
// rows of its own, copied, and returns it: the sample's rows given in one
// call, kept for the next, whose caller may reuse the batches they are
// in. An optional column's definition levels are copied, or made when a
// batch holds none (no nulls).
func appendSample(dst *columnar.Batch, segs []columnar.Rows) (*columnar.Batch, error) {
	var ch columnar.Chunk
	for _, seg := range segs {
		n := seg.NumRows()
		if n == 0 {
			continue
		}
		if dst == nil {
			dst = &columnar.Batch{Cols: make([]columnar.Column, len(seg.Batches()[0].Cols))}
		}
		for c := range dst.Cols {
			if err := ch.Read(seg, c, 0, n); err != nil {
				return nil, fmt.Errorf("dictionary sample, column %d: %w", c, err)
			}
			col := &dst.Cols[c]
			col.Type = ch.Type
			if ch.MaxDef > 0 {
				if ch.Defs != nil {
					col.Defs = append(col.Defs, ch.Defs...)
				} else {
					for range n {
						col.Defs = append(col.Defs, ch.MaxDef)
					}
				}
			}
			if ch.Width != 0 {
				col.Fixed = append(col.Fixed, ch.Fixed...)
				continue
			}
			if len(col.Offsets) == 0 {
				col.Offsets = append(col.Offsets, 0)
			}
			first, end := ch.Offsets[0], ch.Offsets[n]
			base := col.Offsets[len(col.Offsets)-1]
			for _, off := range ch.Offsets[1 : n+1] {
				col.Offsets = append(col.Offsets, base+off-first)
			}
			col.Bytes = append(col.Bytes, ch.Bytes[first:end]...)
		}
		dst.Len += n
	}
	return dst, nil
}
