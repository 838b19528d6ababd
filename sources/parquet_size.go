package sources

import (
	"math"
	"slices"
	"sync"

	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// DecodedBytes estimates the bytes the file's values take once decoded:
// each column chunk's uncompressed size, except that a dictionary-encoded
// chunk counts every value in full, which decoding repeats (a column of a
// few long categories, or of a few distinct timestamps, is tiny encoded
// and large decoded): a fixed-width value at its width, a byte array at
// its dictionary's mean value length. The mean comes from the dictionary
// page's header; a header that cannot be read leaves the chunk's
// uncompressed size, and the damage for the read to report.
func (p *Parquet) DecodedBytes() int64 {
	var total int64
	for i := range p.file.Metadata().RowGroups {
		total += p.RowGroupDecodedBytes(i)
	}
	return total
}

// sizeCache holds what DecodedBytes, RowGroupDecodedBytes and
// RowGroupDictionaryBytes found per row group: a job asks for them more
// than once (for its memory budget, then per unit), and each answer reads
// a page header per dictionary-encoded chunk. Two numbers per row group,
// so its memory follows the footer's.
type sizeCache struct {
	mu      sync.Mutex
	decoded []int64 // per row group, unknownSize until computed
	dicts   []int64 // likewise
}

// unknownSize marks a size not computed yet.
const unknownSize = math.MinInt64

// cached returns (*slot)[i], computing it with compute the first time.
func (c *sizeCache) cached(slot *[]int64, rowGroups, i int, compute func() int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if *slot == nil {
		*slot = make([]int64, rowGroups)
		for j := range *slot {
			(*slot)[j] = unknownSize
		}
	}
	if (*slot)[i] == unknownSize {
		(*slot)[i] = compute()
	}
	return (*slot)[i]
}

// ReadSizes reads now what the estimates of [Parquet.DecodedBytes],
// [Parquet.RowGroupDecodedBytes] and [Parquet.RowGroupDictionaryBytes]
// go by (the dictionary page headers), so that later calls read nothing:
// a job opening many files calls it on the goroutine that opened each.
func (p *Parquet) ReadSizes() {
	for i := range p.file.Metadata().RowGroups {
		p.RowGroupDecodedBytes(i)
		p.RowGroupDictionaryBytes(i)
	}
}

// rowGroupDecodedBytes is DecodedBytes for row group i alone.
func (p *Parquet) rowGroupDecodedBytes(compact *thrift.CompactProtocol, i int) int64 {
	var total int64
	for c, cc := range p.file.Metadata().RowGroups[i].Columns {
		md := &cc.MetaData
		size := max(md.TotalUncompressedSize, 0)
		dict := md.DictionaryPageOffset > 0 || slices.ContainsFunc(md.Encoding, isDictionaryEncoding)
		switch {
		case !dict || cc.CryptoMetadata.Value != nil || c >= len(p.layout):
		case md.Type == format.ByteArray:
			size = max(size, dictionaryExpanded(p, compact, md))
		default:
			if each := plainBytes(p.layout[c]); each > 0 && md.NumValues > 0 && md.NumValues <= MaxColumnChunkBytes/each {
				size = max(size, md.NumValues*each)
			}
		}
		total += size
	}
	return total
}

// dictionaryExpanded estimates the bytes of a dictionary-encoded byte-array
// chunk's values decoded: its values times the mean length of its
// dictionary's entries (PLAIN, each after a 4-byte length), or 0 when the
// dictionary page header cannot be read.
func dictionaryExpanded(p *Parquet, compact *thrift.CompactProtocol, md *format.ColumnMetaData) int64 {
	end := md.DictionaryPageOffset + max(md.TotalCompressedSize, 0)
	if md.DictionaryPageOffset < 4 || end > p.size {
		return 0
	}
	h, _, err := readPageHeader(p.r, compact, md.DictionaryPageOffset, end-md.DictionaryPageOffset)
	if err != nil || h.Type != format.DictionaryPage || !h.DictionaryPageHeader.Valid {
		return 0
	}
	n := int64(h.DictionaryPageHeader.V.NumValues)
	bytes := int64(h.UncompressedPageSize) - 4*n
	if n <= 0 || bytes < 0 {
		return 0
	}
	return max(md.NumValues, 0) * (bytes / n)
}

// RowGroupDecodedBytes is [Parquet.DecodedBytes] for row group i alone.
func (p *Parquet) RowGroupDecodedBytes(i int) int64 {
	rgs := p.file.Metadata().RowGroups
	if i < 0 || i >= len(rgs) {
		return 0
	}
	return p.sizes.cached(&p.sizes.decoded, len(rgs), i, func() int64 {
		var compact thrift.CompactProtocol
		return p.rowGroupDecodedBytes(&compact, i)
	})
}

// RowGroupDictionaryBytes estimates, on the high side, the memory the
// dictionaries of row group i's column chunks take decoded: each
// dictionary page's uncompressed bytes and an offset per value. A unit of
// the row group holds them all while it is read (shared with the other
// units, see [Parquet.ShareDictionaries]), whatever its rows: a chunk
// with a huge dictionary weighs on every unit. The sizes come from the
// dictionary page headers, read here; a header that cannot be read or
// declares more than a read accepts ([MaxPageBytes], [MaxPageValues], the
// chunk's uncompressed size) counts 0, and the read reports it.
func (p *Parquet) RowGroupDictionaryBytes(i int) int64 {
	rgs := p.file.Metadata().RowGroups
	if i < 0 || i >= len(rgs) {
		return 0
	}
	return p.sizes.cached(&p.sizes.dicts, len(rgs), i, func() int64 {
		var total int64
		var compact thrift.CompactProtocol
		for _, cc := range rgs[i].Columns {
			if cc.CryptoMetadata.Value == nil && len(cc.EncryptedColumnMetadata) == 0 {
				total += p.dictionaryBytes(&compact, &cc.MetaData)
			}
		}
		return total
	})
}

// dictionaryBytes is RowGroupDictionaryBytes for the chunk of metadata md.
func (p *Parquet) dictionaryBytes(compact *thrift.CompactProtocol, md *format.ColumnMetaData) int64 {
	if md.DictionaryPageOffset == 0 && !slices.ContainsFunc(md.Encoding, isDictionaryEncoding) {
		return 0
	}
	start, end, _, ok := p.chunkBytes(md)
	if !ok {
		return 0
	}
	h, _, err := readPageHeader(p.r, compact, start, end-start)
	if err != nil || h.Type != format.DictionaryPage || !h.DictionaryPageHeader.Valid {
		return 0
	}
	n, size := int64(h.DictionaryPageHeader.V.NumValues), int64(h.UncompressedPageSize)
	if n < 0 || n > MaxPageValues || size < 0 || size > MaxPageBytes || size > md.TotalUncompressedSize {
		return 0
	}
	return size + 4*(n+1)
}

// isDictionaryEncoding reports whether e encodes dictionary indexes.
func isDictionaryEncoding(e format.Encoding) bool {
	//lint:ignore SA1019 files of Parquet 1.0 writers list PLAIN_DICTIONARY for their dictionary-encoded pages
	return e == format.PlainDictionary || e == format.RLEDictionary
}
