package pipeline

import (
	"context"

	"github.com/splitdata/splitdata/internal/columnar"
	"github.com/splitdata/splitdata/sinks"
	"github.com/splitdata/splitdata/sources"
)

// The encoded bytes of text inputs' rows. A Parquet input's encoded bytes
// a row (its file's size over its rows) estimate what its rows take
// encoded again, and the plan counts output row groups so (encodeBuffers,
// a streamed row group read back whole: streamHeap, the job window's
// weights). A CSV or JSON Lines file's size is its text, about twice what
// its rows take in Parquet pages (benchmarks' gen shape: 123 and 176
// bytes a row of text, 56 encoded), which made the plan refuse budgets
// that run, and stream row groups a held job fits. So on the columnar
// path the plan encodes a sample of the first text input, its first,
// middle and last units, with the job's output format, and counts each
// text input's rows at the largest ratio of encoded bytes to decoded
// values (sources' DecodedBytes) the samples showed. A sample encodes
// alone, so its dictionaries and pages are amortised over fewer rows than
// an output row group's: the ratio errs high.

// textSampleUnits is how many units of the first text input the plan
// encodes to estimate text rows' encoded bytes.
const textSampleUnits = 3

// textSampleBytes is the most values' bytes decoded of a unit the plan
// samples: twice sources.TextUnitBytes, which only a unit of one long
// record passes. Such a unit is left out: read and encoded before the
// job, it took several times its record beside the job's budget (a
// 60 MiB record: peak RSS 425 -> 738 MB).
const textSampleBytes = 2 * sources.TextUnitBytes

// isText reports whether in is a CSV or JSON Lines input.
func isText(in sources.FileSource) bool {
	switch in.(type) {
	case *sources.CSV, *sources.JSONL:
		return true
	}
	return false
}

// encodedRowBytesOf is encodedRowBytes with text inputs counted at the
// encoded bytes per decoded value byte of a sample (textEncodedRatio)
// encoded by format, on the columnar path (batches); text inputs keep
// their size where no sample can be encoded (other paths, a sample that
// fails to read or encode: the job reports the error in its order).
func (p *plan) encodedRowBytesOf(ctx context.Context, format sinks.Format, batches bool) int64 {
	base := p.encodedRowBytes()
	if !batches || p.rows == 0 {
		return base
	}
	first := -1
	for i, in := range p.inputs {
		if isText(in) {
			first = i
			break
		}
	}
	if first < 0 {
		return base
	}
	ratio, ok := textEncodedRatio(ctx, p.inputs[first], format)
	if !ok {
		return base
	}
	var size int64
	for _, in := range p.inputs {
		if isText(in) {
			size += min(int64(ratio*float64(inputValueBytes(in)))+1, in.Size())
		} else {
			size += in.Size()
		}
	}
	return max(size/p.rows, 1)
}

// textEncodedRatio encodes the first, middle and last units of in, each
// as a row group of format's, and returns the largest ratio of encoded
// bytes to decoded value bytes (fixed-width values and strings' bytes, as
// DecodedBytes counts them); false when in reads no batches, format
// encodes none, a unit fails to read or encode, or every unit is above
// textSampleBytes.
func textEncodedRatio(ctx context.Context, in sources.FileSource, format sinks.Format) (float64, bool) {
	br, ok := in.(sources.BatchReader)
	n := in.NumUnits()
	if !ok || n == 0 {
		return 0, false
	}
	enc, err := format.NewEncoder(in.Schema())
	if err != nil {
		return 0, false
	}
	be, ok := enc.(sinks.BatchEncoder)
	if !ok {
		return 0, false
	}
	units := []int{0, n / 2, n - 1}[:min(n, textSampleUnits)]
	sized, _ := in.(rowGroupSizer)
	ratio, sampled := 0.0, false
	for k, u := range units {
		if k > 0 && u == units[k-1] || sized != nil && sized.RowGroupDecodedBytes(u) > textSampleBytes {
			continue
		}
		sampled = true
		b, err := br.ReadBatch(ctx, u)
		if err != nil {
			return 0, false
		}
		values := batchValueBytes(b)
		chunk, err := be.EncodeBatches([]columnar.Rows{b})
		if err != nil {
			return 0, false
		}
		encoded := chunk.Size()
		if e, ok := chunk.(interface{ EncodedBytes() int64 }); ok {
			encoded = e.EncodedBytes()
		}
		ratio = max(ratio, float64(encoded)/float64(max(values, 1)))
		if r, ok := chunk.(interface{ Release() }); ok {
			r.Release()
		}
	}
	return ratio, sampled
}

// batchValueBytes is the bytes of b's values: fixed-width slots and
// strings' bytes, as sources' DecodedBytes estimates them for a file.
func batchValueBytes(b *columnar.Batch) int64 {
	var n int64
	for c := range b.Cols {
		n += int64(len(b.Cols[c].Fixed) + len(b.Cols[c].Bytes))
	}
	return n
}
