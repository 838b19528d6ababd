package sources

import (
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// DecodedBytes estimates the bytes the file's values take once decoded:
// each column chunk's uncompressed size, except that a dictionary-encoded
// byte-array chunk counts every value at its dictionary's mean value
// length, which decoding repeats in full (a column of a few long
// categories is tiny encoded and large decoded). The mean comes from the
// dictionary page's header; a header that cannot be read leaves the
// chunk's uncompressed size, and the damage for the read to report.
func (p *Parquet) DecodedBytes() int64 {
	var total int64
	var compact thrift.CompactProtocol
	for _, rg := range p.file.Metadata().RowGroups {
		for _, cc := range rg.Columns {
			md := &cc.MetaData
			size := max(md.TotalUncompressedSize, 0)
			if md.DictionaryPageOffset > 0 && md.Type == format.ByteArray && cc.CryptoMetadata.Value == nil {
				size = max(size, dictionaryExpanded(p, &compact, md))
			}
			total += size
		}
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
	var total int64
	var compact thrift.CompactProtocol
	for _, cc := range rgs[i].Columns {
		md := &cc.MetaData
		size := max(md.TotalUncompressedSize, 0)
		if md.DictionaryPageOffset > 0 && md.Type == format.ByteArray && cc.CryptoMetadata.Value == nil {
			size = max(size, dictionaryExpanded(p, &compact, md))
		}
		total += size
	}
	return total
}
