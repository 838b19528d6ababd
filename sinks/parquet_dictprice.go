package sinks

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/encoding/rle"
	"github.com/parquet-go/parquet-go/format"
)

// This file holds EncodingAuto's decision since splitdata 0.8.0
// (docs/algorithm.md, "Dictionary pricing"): both encodings of a chunk's
// sample are written as the chunk would hold them and compressed, and the
// smaller wins. paysDictionary (0.5.0 to 0.7.0, and
// [ParquetOptions.RawDictionaryPricing]) compares raw sizes, with every
// index at full bit width: a sorted column such as flights' timestamps,
// about 11 rows a value in its input and 2 to 9 in a split's, gets a
// dictionary whose page (8 bytes a distinct value, which snappy's fast
// encoder leaves as it is) and indexes take more than its PLAIN values
// compressed, whose equal neighbours and shared high bytes the codec
// finds.

// pricer prices a column chunk's two encodings from its sample. It holds
// scratch reused from column to column; it is for one goroutine.
type pricer struct {
	codec     compress.Codec // data pages', nil: uncompressed
	dictCodec compress.Codec // the dictionary page's, nil: uncompressed
	aligned   bool           // indexes as parquet-go encodes them (0.6.0)

	plain []byte   // the sample's non-null values, PLAIN encoded
	dict  []byte   // its distinct values, PLAIN encoded in order of first appearance
	offs  []int    // byte arrays: where each distinct value's PLAIN encoding starts in dict
	keys  []uint64 // fixed widths: the distinct values' bits
	idx   []int32  // each non-null value's index in dict
	slots []int32  // 0 or 1 + a distinct value's index
	seed  maphash.Seed
	body  []byte // the indexes encoded
	comp  []byte // a compressed body
	enc   rle.DictionaryEncoding
}

// pricers holds pricers between row groups, whose scratch would
// otherwise be allocated for every chunk's decision: at most as many as
// were in use at once, each of at most PooledPricerBytes.
var pricers keptList[*pricer]

// newPricer returns a pricer for e's chunks, which release gives back.
func (e *RowGroupEncoder) newPricer() *pricer {
	p := pricers.get()
	if p == nil {
		p = &pricer{seed: maphash.MakeSeed()}
	}
	p.codec, p.dictCodec, p.aligned = compressing(e.codec), compressing(e.dictCodec), e.opts.AlignedIndexRuns
	return p
}

// release gives p back to the pool, unless a sample of long values grew
// its scratch beyond PooledPricerBytes.
func (p *pricer) release() {
	p.codec, p.dictCodec = nil, nil
	if p.scratchSize() <= PooledPricerBytes {
		pricers.put(p)
		return
	}
	pricers.drop()
}

// scratchSize returns the capacity of p's buffers, in bytes.
func (p *pricer) scratchSize() int64 {
	return int64(cap(p.plain) + cap(p.dict) + 8*cap(p.offs) + 8*cap(p.keys) + 4*cap(p.idx) + 4*cap(p.slots) + cap(p.body) + cap(p.comp))
}

// compressing returns codec, or nil when it leaves pages uncompressed.
func compressing(codec compress.Codec) compress.Codec {
	if codec == nil || codec.CompressionCodec() == format.Uncompressed {
		return nil
	}
	return codec
}

// pays reports whether a dictionary pays for a column chunk of kind whose
// sample holds vals: whether the dictionary page and the page of indexes
// the sample makes take fewer bytes than its PLAIN values, both as they
// are and each compressed as it would be written. BOOLEAN columns, whose
// PLAIN encoding is one bit a value, and columns without a value in the
// sample are PLAIN.
//
// Raw sizes alone favour dictionaries of sorted values, which compress
// less well than those values PLAIN; compressed sizes alone favour those
// of values nearly all distinct, when the dictionary page's encoder
// compresses better than the data pages' (snappy's better against its
// fast one): in a sample of a few thousand rows such a dictionary looks
// as small as the values, but it keeps growing over the chunk, past
// [DictionaryMaxBytes], where the chunk falls back to PLAIN behind a
// dictionary page of little use. Requiring both keeps those PLAIN, and
// compresses only the samples whose raw sizes favour a dictionary.
func (p *pricer) pays(kind parquet.Kind, vals []parquet.Value) bool {
	if sampleBytes(vals) > maxPricedBytes {
		return paysDictionary(kind, vals)
	}
	if !p.encode(kind, vals) {
		return false
	}
	var err error
	if p.aligned {
		p.body, err = p.enc.EncodeInt32(p.body[:0], p.idx)
	} else {
		p.body = appendIndexRuns(p.body[:0], p.idx)
	}
	if err != nil {
		// parquet-go's encoder fails on negative indexes only, which
		// encode never makes; priced at full width all the same.
		return paysDictionary(kind, vals)
	}
	if len(p.dict)+len(p.body) >= len(p.plain) {
		return false
	}
	if p.codec == nil && p.dictCodec == nil {
		return true
	}
	dict := p.size(p.dictCodec, p.dict) + p.size(p.codec, p.body)
	return dict < p.size(p.codec, p.plain)
}

// maxPricedBytes bounds the values of a sample priced compressed: its
// encodings are copies of them, which a sample ending on a long value
// (the sample ends after the row at which it reaches
// DictionarySampleBytes, however long) would make as long. A sample
// beyond it is priced raw only, as 0.7.0 priced every sample, without a
// copy.
const maxPricedBytes = 2 * DictionarySampleBytes

// sampleBytes returns the bytes of the values of vals.
func sampleBytes(vals []parquet.Value) int64 {
	var n int64
	for i := range vals {
		n += valueBytes(&vals[i])
	}
	return n
}

// size returns the length of src compressed by codec (nil: src's).
// A codec's error (none of splitdata's codecs fails on a buffer) prices
// src uncompressed, as deterministic as the codec.
func (p *pricer) size(codec compress.Codec, src []byte) int {
	if codec == nil {
		return len(src)
	}
	var err error
	if p.comp, err = codec.Encode(p.comp[:0], src); err != nil {
		return len(src)
	}
	return len(p.comp)
}

// encode fills p.plain, p.dict and p.idx from the non-null values of
// vals, of kind, and reports whether there was one of a kind a dictionary
// is priced for.
func (p *pricer) encode(kind parquet.Kind, vals []parquet.Value) bool {
	p.plain, p.dict, p.offs, p.keys, p.idx = p.plain[:0], p.dict[:0], p.offs[:0], p.keys[:0], p.idx[:0]
	size := tableSize(len(vals))
	if cap(p.slots) < size {
		p.slots = make([]int32, size)
	}
	p.slots = p.slots[:size]
	clear(p.slots)
	mask := uint64(size - 1)
	switch kind {
	case parquet.Int32, parquet.Float:
		for i := range vals {
			if v := &vals[i]; !v.IsNull() {
				key := uint64(v.Uint32())
				p.plain = binary.LittleEndian.AppendUint32(p.plain, uint32(key))
				p.idx = append(p.idx, p.fixed(key, 4, mask))
			}
		}
	case parquet.Int64, parquet.Double:
		for i := range vals {
			if v := &vals[i]; !v.IsNull() {
				key := v.Uint64()
				p.plain = binary.LittleEndian.AppendUint64(p.plain, key)
				p.idx = append(p.idx, p.fixed(key, 8, mask))
			}
		}
	case parquet.Int96, parquet.FixedLenByteArray, parquet.ByteArray:
		for i := range vals {
			v := &vals[i]
			if v.IsNull() {
				continue
			}
			var b []byte
			switch kind {
			case parquet.Int96:
				b = v.Bytes()
			case parquet.FixedLenByteArray:
				b = v.ByteArray()
			default:
				b = v.ByteArray()
				p.plain = binary.LittleEndian.AppendUint32(p.plain, uint32(len(b)))
			}
			p.plain = append(p.plain, b...)
			p.idx = append(p.idx, p.byteArray(b, kind == parquet.ByteArray, mask))
		}
	default:
		return false
	}
	return len(p.idx) > 0
}

// fixed returns the index of the fixed-width value key, of width bytes,
// adding it to the dictionary when new.
func (p *pricer) fixed(key uint64, width int, mask uint64) int32 {
	for k := maphash.Comparable(p.seed, key) & mask; ; k = (k + 1) & mask {
		j := p.slots[k]
		if j == 0 {
			p.keys = append(p.keys, key)
			if width == 4 {
				p.dict = binary.LittleEndian.AppendUint32(p.dict, uint32(key))
			} else {
				p.dict = binary.LittleEndian.AppendUint64(p.dict, key)
			}
			p.slots[k] = int32(len(p.keys))
			return int32(len(p.keys) - 1)
		}
		if p.keys[j-1] == key {
			return j - 1
		}
	}
}

// byteArray returns the index of the value b, adding it to the dictionary
// when new, with a length prefix when prefixed (BYTE_ARRAY).
func (p *pricer) byteArray(b []byte, prefixed bool, mask uint64) int32 {
	at := func(j int32) []byte {
		lo := p.offs[j]
		if prefixed {
			lo += 4
		}
		hi := len(p.dict)
		if int(j+1) < len(p.offs) {
			hi = p.offs[j+1]
		}
		return p.dict[lo:hi]
	}
	for k := maphash.Bytes(p.seed, b) & mask; ; k = (k + 1) & mask {
		j := p.slots[k]
		if j == 0 {
			p.offs = append(p.offs, len(p.dict))
			if prefixed {
				p.dict = binary.LittleEndian.AppendUint32(p.dict, uint32(len(b)))
			}
			p.dict = append(p.dict, b...)
			p.slots[k] = int32(len(p.offs))
			return int32(len(p.offs) - 1)
		}
		if bytes.Equal(at(j-1), b) {
			return j - 1
		}
	}
}
