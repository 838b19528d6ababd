package sinks

import (
	"bytes"
	"hash/maphash"
	"math/bits"

	"github.com/parquet-go/parquet-go"
)

// This file holds EncodingAuto's decision: which column chunks of a row
// group get a dictionary. Polars, DuckDB, parquet-java and Arrow C++ all
// write dictionaries by default and decide per column chunk; splitdata
// decides from the chunk's first rows (the sample), before its first page,
// so that a row group streamed a piece at a time is encoded like one
// given whole, and the parquet-go writer is configured once per chunk.

// valueBytes returns the bytes of v's PLAIN encoding without the length
// prefix of a BYTE_ARRAY: what a row holds of it. Nulls hold nothing.
func valueBytes(v *parquet.Value) int64 {
	if v.IsNull() {
		return 0
	}
	switch v.Kind() {
	case parquet.Boolean:
		return 1
	case parquet.Int32, parquet.Float:
		return 4
	case parquet.Int64, parquet.Double:
		return 8
	case parquet.Int96:
		return 12
	default:
		return int64(len(v.ByteArray()))
	}
}

// sampleCut returns how many of the next rows, whose sizes in bytes are
// given by size(i) for i in [0, n), complete the sample of a chunk that
// already holds rows rows of bytes bytes, and whether they complete it:
// the sample ends after DictionarySampleRows rows or after the row at
// which its bytes reach DictionarySampleBytes, whichever comes first.
func sampleCut(rows int, bytes int64, n int, size func(i int) int64) (take int, done bool, total int64) {
	for i := range n {
		bytes += size(i)
		if rows+i+1 >= DictionarySampleRows || bytes >= DictionarySampleBytes {
			return i + 1, true, bytes
		}
	}
	return n, false, bytes
}

// paysDictionary reports whether a dictionary pays for a column chunk of
// kind whose sample holds vals: whether its distinct values (PLAIN
// encoded, the dictionary page) and one index per non-null value (at the
// bit width the distinct count needs) take fewer bytes than the values'
// PLAIN encoding. BOOLEAN columns, whose PLAIN encoding is one bit a
// value, and columns without a value in the sample are PLAIN.
func paysDictionary(kind parquet.Kind, vals []parquet.Value) bool {
	var plain, dict, nonNull int64
	var distinct int
	switch kind {
	case parquet.Int32, parquet.Int64, parquet.Float, parquet.Double:
		width := int64(4)
		if kind == parquet.Int64 || kind == parquet.Double {
			width = 8
		}
		keys := make([]uint64, 0, len(vals))
		for i := range vals {
			v := &vals[i]
			if v.IsNull() {
				continue
			}
			switch kind {
			case parquet.Int32, parquet.Float:
				keys = append(keys, uint64(v.Uint32()))
			default:
				keys = append(keys, v.Uint64())
			}
		}
		nonNull = int64(len(keys))
		distinct = countDistinct(keys)
		plain, dict = width*nonNull, width*int64(distinct)
	case parquet.Int96, parquet.FixedLenByteArray, parquet.ByteArray:
		prefix := int64(0)
		if kind == parquet.ByteArray {
			prefix = 4
		}
		set := newByteSet(len(vals))
		for i := range vals {
			v := &vals[i]
			if v.IsNull() {
				continue
			}
			nonNull++
			var b []byte
			if kind == parquet.Int96 {
				b = v.Bytes()
			} else {
				b = v.ByteArray()
			}
			n := prefix + int64(len(b))
			plain += n
			if set.add(b) {
				dict += n
			}
		}
		distinct = len(set.vals)
	default:
		return false
	}
	return rawPays(plain, dict, nonNull, distinct)
}

// rawPays is paysDictionary's rule for a sample of nonNull values taking
// plain bytes PLAIN, of which distinct take dict bytes: the dictionary
// page and an index per value at the bit width distinct needs take fewer
// bytes than the values. A sample without a value is PLAIN.
func rawPays(plain, dict, nonNull int64, distinct int) bool {
	if nonNull == 0 {
		return false
	}
	width := int64(max(bits.Len(uint(distinct-1)), 1))
	index := (nonNull*width + 7) / 8
	return dict+index < plain
}

// The sets below count a sample's distinct values exactly, as maps did,
// at a fraction of their cost (3% of a split's CPU went to the maps, a
// string key allocated per distinct value): open addressing over a table
// of a power of two at least twice the values' count, each slot 0 or 1 +
// the index of a distinct value, linear probing. Values are compared, so
// the count does not depend on the hash, whose seed is random: a sample
// cannot be made to collide on purpose.

// tableSize returns the size of a table for n values.
func tableSize(n int) int {
	return 1 << bits.Len(uint(2*n))
}

// countDistinct returns the number of distinct keys.
func countDistinct(keys []uint64) int {
	seed := maphash.MakeSeed()
	slots := make([]int32, tableSize(len(keys)))
	mask := uint64(len(slots) - 1)
	distinct := 0
	for i, key := range keys {
		for k := maphash.Comparable(seed, key) & mask; ; k = (k + 1) & mask {
			j := slots[k]
			if j == 0 {
				slots[k] = int32(i + 1)
				distinct++
				break
			}
			if keys[j-1] == key {
				break
			}
		}
	}
	return distinct
}

// byteSet is a set of byte strings, which it does not copy.
type byteSet struct {
	seed  maphash.Seed
	slots []int32
	mask  uint64
	vals  [][]byte // the distinct values, in order of insertion
}

// newByteSet returns a set for up to n values.
func newByteSet(n int) *byteSet {
	size := tableSize(n)
	return &byteSet{seed: maphash.MakeSeed(), slots: make([]int32, size), mask: uint64(size - 1)}
}

// add inserts b and reports whether it was not in the set.
func (s *byteSet) add(b []byte) bool {
	for k := maphash.Bytes(s.seed, b) & s.mask; ; k = (k + 1) & s.mask {
		j := s.slots[k]
		if j == 0 {
			s.vals = append(s.vals, b)
			s.slots[k] = int32(len(s.vals))
			return true
		}
		if bytes.Equal(s.vals[j-1], b) {
			return false
		}
	}
}

// dictionaryColumns returns, per leaf column of e's schema, whether the
// chunk whose sample holds cols[c] for column c gets a dictionary.
func (e *RowGroupEncoder) dictionaryColumns(cols [][]parquet.Value) []bool {
	mask := make([]bool, len(e.leaves))
	if e.opts.RawDictionaryPricing {
		for c, leaf := range e.leaves {
			if c < len(cols) {
				mask[c] = paysDictionary(leaf.kind, cols[c])
			}
		}
		return mask
	}
	p := e.newPricer()
	defer p.release()
	for c, leaf := range e.leaves {
		if c < len(cols) {
			mask[c] = p.pays(leaf.kind, cols[c])
		}
	}
	return mask
}
