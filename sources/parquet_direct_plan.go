package sources

import (
	"io"
	"math"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/splitdata/splitdata/internal/columnar"
)

// What direct decoding (parquet_direct.go) reads of a column chunk, and
// whether it reads it at all.

// directChunk is what direct decoding reads of a column chunk: the spans
// of the file holding its pages (a dictionary page, then data pages, the
// first of which holds row pos), read through r at their offsets in the
// file (the input's reader, or over a Fetcher the chunk's window), and
// the rows [lo, hi) it keeps.
type directChunk struct {
	r      io.ReaderAt
	spans  []span
	pos    int64
	lo, hi int64
}

// directEncodings reports whether the footer of a column chunk, md, lists
// only data page encodings that direct decoding reads for its type. A
// chunk with any other (one it does not know, or a delta encoding of a
// type the format defines none for) goes to parquet-go at once: direct decoding would otherwise read and decompress its first
// data page before leaving the chunk, and parquet-go read it again. The
// footer only saves that work; a page whose encoding it did not list
// still falls back (errNotDirect).
func directEncodings(md *format.ColumnMetaData) bool {
	if len(md.EncodingStats) > 0 {
		for _, s := range md.EncodingStats {
			if (s.PageType == format.DataPage || s.PageType == format.DataPageV2) && !directEncoding(s.Encoding, md.Type) {
				return false
			}
		}
		return true
	}
	for _, e := range md.Encoding {
		switch e {
		case format.DeltaBinaryPacked, format.DeltaLengthByteArray, format.DeltaByteArray, format.ByteStreamSplit:
			if !directEncoding(e, md.Type) {
				return false
			}
		}
	}
	return true
}

// directEncoding reports whether direct decoding reads data pages of
// encoding e for values of type t: PLAIN and dictionary indexes for
// every type it takes, the delta encodings and BYTE_STREAM_SPLIT
// (parquet_delta.go) for the types the format defines them for.
func directEncoding(e format.Encoding, t format.Type) bool {
	switch e {
	//lint:ignore SA1019 Parquet 1.0 writers (DuckDB among them) mark dictionary-encoded pages PLAIN_DICTIONARY
	case format.Plain, format.PlainDictionary, format.RLEDictionary:
		return true
	case format.DeltaBinaryPacked:
		return t == format.Int32 || t == format.Int64
	case format.DeltaLengthByteArray, format.DeltaByteArray:
		return t == format.ByteArray
	case format.ByteStreamSplit:
		return t == format.Float || t == format.Double || t == format.Int32 || t == format.Int64 || t == format.FixedLenByteArray
	}
	return false
}

// directPlan returns what direct decoding reads of column chunk c, chunk,
// or false when the chunk is left to parquet-go.
func (r *chunkReader) directPlan(c int, chunk parquet.ColumnChunk, col *columnar.Column) (directChunk, bool) {
	p := r.p
	if codecErr != nil || col.Kind == parquet.Boolean || !hostLittleEndian {
		return directChunk{}, false
	}
	cc := &p.file.Metadata().RowGroups[r.rg].Columns[c]
	if cc.CryptoMetadata.Value != nil || len(cc.EncryptedColumnMetadata) > 0 {
		return directChunk{}, false
	}
	if !directEncodings(&cc.MetaData) {
		return directChunk{}, false
	}
	if codec := cc.MetaData.Codec; codec != format.Uncompressed {
		if codec < 0 || int(codec) >= len(parquetCodecs) {
			return directChunk{}, false
		}
		if _, ok := parquetCodecs[codec].(*cappedCodec); !ok {
			return directChunk{}, false
		}
	}
	switch ch := chunk.(type) {
	case *parquet.FileColumnChunk:
		start, end, _, ok := p.chunkBytes(&cc.MetaData)
		if !ok {
			return directChunk{}, false
		}
		// Every page is read, so that one past the declared rows is
		// refused as parquet-go's pages are.
		return directChunk{r: p.r, spans: []span{{start, end - start}}, lo: 0, hi: math.MaxInt64}, true
	case *fetchChunk:
		// Over a Fetcher: through the window its headers were checked
		// from (prepare), which holds the chunk's span.
		if ch.w == nil || len(ch.w.spans) != 1 {
			return directChunk{}, false
		}
		return directChunk{r: ch.w, spans: ch.w.spans, lo: 0, hi: math.MaxInt64}, true
	case *rangeChunk:
		// The view's spans are the file's, and its reader (the input's,
		// or a window of those spans over a Fetcher) reads them at
		// their offsets in the file.
		if ch.view == nil {
			return directChunk{}, false
		}
		return directChunk{r: ch.view.r, spans: ch.view.spans, pos: ch.pos, lo: ch.lo, hi: ch.hi}, true
	}
	return directChunk{}, false
}
