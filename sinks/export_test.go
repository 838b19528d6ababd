package sinks

import (
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// PaysDictionary exposes paysDictionary to the black-box tests.
var PaysDictionary = paysDictionary

// WithoutPageWriter makes e write every column of batches with
// parquet-go's writer, the reference of the page writer's differential
// test.
func WithoutPageWriter(e *RowGroupEncoder) { e.noPageWriter = true }

// OwnColumns reports which columns of e's schema the page writer covers.
func OwnColumns(e *RowGroupEncoder) []bool {
	own := make([]bool, len(e.leaves))
	for c := range own {
		own[c] = e.ownColumn(c)
	}
	return own
}

// PlacePage appends to data a data page of body as the page writer puts
// one together with the compression of opts, its guess of the compressed
// size led by the last page's body and compressed sizes (0, 0: none yet).
// It returns the bytes, and whether the page went straight into data's
// capacity, with no scratch buffer.
func PlacePage(opts ParquetOptions, data, body []byte, lastBody, lastPage int64) ([]byte, bool, error) {
	codec, err := opts.codec()
	if err != nil {
		return nil, false, err
	}
	w := &pageWriter{codec: codec, compressed: codec.CompressionCodec() != format.Uncompressed, data: data, lastBody: lastBody, lastPage: lastPage}
	w.enc.Reset(new(thrift.CompactProtocol).NewWriter(&w.header))
	h := PlacedHeader(len(body))
	if _, _, err := w.place(&h, body); err != nil {
		return nil, false, err
	}
	return w.data, w.compressed && w.comp == nil, nil
}

// PlacedHeader is the header PlacePage writes for a body of n bytes,
// without its compressed size and CRC.
func PlacedHeader(n int) format.PageHeader {
	return format.PageHeader{
		Type:                 format.DataPage,
		UncompressedPageSize: int32(n),
		DataPageHeader: thrift.New(format.DataPageHeader{
			NumValues: int32(n / 8),
			Encoding:  format.Plain,
		}),
	}
}

// CompareBytes exposes compareBytes, the page bounds' order of byte
// arrays.
var CompareBytes = compareBytes
