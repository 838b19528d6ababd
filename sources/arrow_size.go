package sources

import (
	"encoding/binary"
	"fmt"
)

// What an Arrow input's record batches take decoded. An uncompressed
// batch's buffers are its body's bytes; a compressed one (LZ4 frame or
// ZSTD body compression) decodes each buffer to the size prefixing it,
// which its file bytes say nothing of: a zstd body of benchmarks' gen rows
// takes 13 MB of file for 27 MB of buffers. The plan counted the file's
// size, so a compressed input's units were counted at half or less of what
// they hold.

// ReadSizes reads what [Arrow.DecodedBytes] and
// [Arrow.RowGroupDecodedBytes] go by, once: each record batch's metadata
// and, in a compressed batch, the 8-byte uncompressed size prefixing each
// buffer in its body. The pipeline calls it as it opens its inputs, on
// several goroutines; the size methods call it themselves otherwise.
func (a *Arrow) ReadSizes() {
	a.sizesOnce.Do(func() {
		a.sizes = make([]int64, len(a.batches))
		for i, b := range a.batches {
			n, err := a.batchDecodedBytes(b)
			if err != nil {
				// Read whole, the batch reports what is wrong; until
				// then it counts as its body.
				n = b.msg.n - b.meta
			}
			a.sizes[i] = n
			a.sizesSum += n
		}
	})
}

// DecodedBytes estimates the bytes of a's record batches' buffers once
// decoded (see [Arrow.ReadSizes]): their bodies' bytes, and for compressed
// buffers the sizes they declare, which [Arrow.ReadUnit] checks against
// what the compressed bytes can hold before it decodes them.
func (a *Arrow) DecodedBytes() int64 {
	a.ReadSizes()
	return a.sizesSum
}

// RowGroupDecodedBytes estimates the bytes of record batch i's buffers
// once decoded, as [Arrow.DecodedBytes] counts them.
func (a *Arrow) RowGroupDecodedBytes(i int) int64 {
	a.ReadSizes()
	return a.sizes[i]
}

// batchDecodedBytes returns the bytes record batch b's buffers take
// decoded: its body's length uncompressed, else the sum of its buffers'
// declared sizes (a buffer stored uncompressed, size -1, at its own
// length less the prefix), each bounded by [MaxArrowBatchBytes], which a
// larger batch breaks when it is read; no size read here is allocated.
func (a *Arrow) batchDecodedBytes(b arrowBatch) (int64, error) {
	body := b.msg.n - b.meta
	meta, err := a.readMeta(b.msg.off, b.meta)
	if err != nil {
		return 0, err
	}
	rb, _, err := a.batchTable(meta)
	if err != nil {
		return 0, err
	}
	codec, err := bodyCodec(rb)
	if err != nil || codec < 0 {
		return body, err
	}
	start, count, err := rb.vector(2, 16)
	if err != nil {
		return 0, fmt.Errorf("buffers: %w", err)
	}
	var total int64
	var pre [8]byte
	for k := range count {
		p := rb.buf[start+16*k:]
		boff := int64(binary.LittleEndian.Uint64(p))
		blen := int64(binary.LittleEndian.Uint64(p[8:]))
		if boff < 0 || blen < 8 || boff > body || blen > body-boff {
			continue // empty, or checked when the batch is read
		}
		if _, err := a.r.ReadAt(pre[:], b.msg.off+b.meta+boff); err != nil {
			return 0, fmt.Errorf("read buffer %d: %w", k, err)
		}
		size := int64(binary.LittleEndian.Uint64(pre[:]))
		if size == -1 {
			size = blen - 8
		}
		total += min(max(size, 0), maxArrowDecoded)
		if total > maxArrowDecoded {
			return maxArrowDecoded + 1, nil // refused when read
		}
	}
	return total, nil
}
