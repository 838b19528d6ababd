package sources

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"

	"github.com/parquet-go/parquet-go"

	"github.com/splitdata/splitdata/internal/columnar"
)

// Parquet's delta encodings, for direct page decoding (parquet_direct.go).
//
// DELTA_BINARY_PACKED holds integers as a header (block size, miniblocks
// a block, value count, first value) and blocks of deltas: each block a
// zigzag minimum delta, one bit width a miniblock, then the miniblocks'
// deltas less that minimum, bit-packed least significant bit first. A
// block's last miniblocks past the values have their bit widths but no
// bytes. DELTA_LENGTH_BYTE_ARRAY is the byte arrays' lengths so encoded,
// then their bytes end to end; DELTA_BYTE_ARRAY is the lengths of the
// prefixes each value shares with the one before, then its suffixes as
// DELTA_LENGTH_BYTE_ARRAY. BYTE_STREAM_SPLIT, also here, holds
// fixed-width values byte by byte: every value's first byte, then every
// second byte, and so on.
//
// Every count comes from the page's header (its values, checked against
// MaxPageValues) or its levels, never from the encoded bytes: the
// decoders fill slices their callers sized, and refuse a header whose
// count differs. Sums of lengths are checked against the bytes there are
// before anything is copied.

// maxDeltaBlock is the largest block of deltas read, in values: the
// format sets no bound, writers use 128 (parquet-go, arrow-go) to 1,024,
// and parquet-go's reader refuses blocks above 65,536.
const maxDeltaBlock = 1 << 16

// deltaPadding is how many bytes unpackDeltas may read past a miniblock's
// last value: a value of up to 64 bits starting 7 bits into a byte ends
// in the ninth.
const deltaPadding = 16

// decodeDelta fills dst with the integers of src, DELTA_BINARY_PACKED,
// whose header must declare len(dst) values, and returns the bytes of src
// past them. Arithmetic wraps at T's width, as writers' does, whose bit
// widths are then at most T's.
// Miniblocks ending too near the end of src are unpacked from a copy in
// *pad.
func decodeDelta[T int32 | int64](dst []T, src []byte, pad *[]byte) ([]byte, error) {
	if len(dst) == 0 && len(src) == 0 {
		return src, nil // no values, no header: as a page of nulls may be written
	}
	var head [3]uint64
	for k, what := range []string{"block size", "miniblocks a block", "value count"} {
		v, n := binary.Uvarint(src)
		if n <= 0 {
			return nil, fmt.Errorf("delta header: %s unreadable", what)
		}
		head[k], src = v, src[n:]
	}
	block, minis, count := head[0], head[1], head[2]
	switch {
	case block == 0 || block%128 != 0 || block > maxDeltaBlock:
		return nil, fmt.Errorf("delta header: block of %d values (a multiple of 128 up to %d)", block, maxDeltaBlock)
	case minis == 0 || block%minis != 0 || (block/minis)%32 != 0:
		return nil, fmt.Errorf("delta header: %d miniblocks in a block of %d values", minis, block)
	case count != uint64(len(dst)):
		return nil, fmt.Errorf("delta header: %d values, the page holds %d", count, len(dst))
	}
	first, n := binary.Varint(src)
	if n <= 0 {
		return nil, errors.New("delta header: first value unreadable")
	}
	src = src[n:]
	if int64(T(first)) != first {
		return nil, fmt.Errorf("delta header: first value %d out of range", first)
	}
	if len(dst) == 0 {
		return src, nil
	}
	per := int(block / minis) // values a miniblock
	widest := byte(64)
	if big := int64(1) << 40; int64(T(big)) != big {
		widest = 32 // INT32s: writers' deltas wrap at 32 bits
	}
	last := T(first)
	dst[0] = last
	out := 1
	for out < len(dst) {
		d, n := binary.Varint(src)
		if n <= 0 {
			return nil, fmt.Errorf("delta block at value %d of %d: minimum delta unreadable", out, len(dst))
		}
		src = src[n:]
		if uint64(len(src)) < minis {
			return nil, fmt.Errorf("delta block at value %d of %d: %d bit widths past the end", out, len(dst), minis)
		}
		widths := src[:minis]
		src = src[minis:]
		minDelta := T(d)
		for _, w := range widths {
			if out == len(dst) {
				break // the block's remaining miniblocks hold no bytes
			}
			if w > widest {
				return nil, fmt.Errorf("delta miniblock at value %d of %d: bit width %d", out, len(dst), w)
			}
			m := min(per, len(dst)-out)
			run := dst[out : out+m]
			width := int(w)
			size := per * width / 8 // per is a multiple of 32: whole bytes
			need := (m*width + 7) / 8
			if need > len(src) {
				return nil, fmt.Errorf("delta miniblock at value %d of %d: %d bytes past the page's end", out, len(dst), need-len(src))
			}
			// The last miniblock may end short of its full size (only
			// the values used must be there), as parquet-go reads it.
			size = min(size, len(src))
			switch {
			case width == 0:
				for i := range run {
					last += minDelta
					run[i] = last
				}
			case len(src) >= need+deltaPadding:
				last = unpackDeltas(run, src, width, minDelta, last)
			default:
				*pad = sized(*pad, need+deltaPadding)
				copy(*pad, src[:need])
				clear((*pad)[need:])
				last = unpackDeltas(run, *pad, width, minDelta, last)
			}
			out += m
			src = src[size:]
		}
	}
	return src, nil
}

// unpackDeltas fills dst with the running sum from last of minDelta plus
// each value of width bits (1 to 64) packed least significant bit first
// from the start of src, which holds at least deltaPadding bytes past
// them, and returns the last sum.
func unpackDeltas[T int32 | int64](dst []T, src []byte, width int, minDelta, last T) T {
	mask := ^uint64(0) >> (64 - width)
	bit := 0
	if width <= 56 {
		// A value starts at most 7 bits into its first byte: one load.
		for i := range dst {
			word := binary.LittleEndian.Uint64(src[bit>>3:])
			last += minDelta + T(word>>(bit&7)&mask)
			dst[i] = last
			bit += width
		}
		return last
	}
	for i := range dst {
		at, shift := bit>>3, bit&7
		word := binary.LittleEndian.Uint64(src[at:]) >> shift
		if shift > 0 {
			word |= uint64(src[at+8]) << (64 - shift)
		}
		last += minDelta + T(word&mask)
		dst[i] = last
		bit += width
	}
	return last
}

// deltaOffsets fills offsets (one entry more than lengths) with the
// running sum of lengths from 0 and returns the sum, or an error for a
// negative length or a sum above size, the bytes that hold the values.
func deltaOffsets(offsets []uint32, lengths []int32, size int) (int, error) {
	var at uint64 // at most 2^24 lengths below 2^31: no overflow
	var neg int32
	offsets[0] = 0
	for k, n := range lengths {
		neg |= n
		at += uint64(uint32(n))
		offsets[k+1] = uint32(at)
	}
	if neg < 0 {
		for k, n := range lengths {
			if n < 0 {
				return 0, fmt.Errorf("byte array value %d of length %d", k, n)
			}
		}
	}
	if at > uint64(size) {
		return 0, fmt.Errorf("byte array lengths add up to %d bytes, past the page's %d", at, size)
	}
	return int(at), nil
}

// directDeltaLengths appends rows of a page of DELTA_LENGTH_BYTE_ARRAY
// values: rows [from, from+rows) whose levels are defs, whose values are
// the page's [vfrom, vto) of defined. Rows without nulls (most pages)
// have their offsets made straight in the column's, from the lengths, and
// their bytes appended in one copy.
func directDeltaLengths(col *columnar.Column, rows int, defs, values []byte, vfrom, vto, defined int, bufs *pageBuffers) error {
	bufs.indexes = sized(bufs.indexes, defined)
	lengths := bufs.indexes
	data, err := decodeDelta(lengths, values, &bufs.pad)
	if err != nil {
		return fmt.Errorf("byte array lengths: %w", err)
	}
	if vto-vfrom == rows && col.Width == 0 {
		return appendDeltaLengths(col, defs, data, lengths, vfrom, vto)
	}
	bufs.offsets = sized(bufs.offsets, defined+1)
	if _, err := deltaOffsets(bufs.offsets, lengths, len(data)); err != nil {
		return err
	}
	offsets := bufs.offsets[vfrom : vto+1]
	if int64(len(col.Bytes))+int64(offsets[len(offsets)-1]-offsets[0]) > MaxColumnChunkBytes {
		return errBatchTooLarge
	}
	return col.AppendByteArrays(rows, defs, data, offsets)
}

// appendDeltaLengths appends to col the values [vfrom, vto) of a page
// whose values are data, end to end, of the given lengths, one a row:
// defs (if any) are the rows' levels, every one defined.
func appendDeltaLengths(col *columnar.Column, defs, data []byte, lengths []int32, vfrom, vto int) error {
	var start uint64 // bytes of the values before the range
	var neg int32
	for _, n := range lengths[:vfrom] {
		neg |= n
		start += uint64(uint32(n))
	}
	if neg < 0 {
		return errors.New("byte array value of negative length")
	}
	if len(col.Offsets) == 0 {
		col.Offsets = append(col.Offsets, 0)
	}
	base := uint64(len(col.Bytes))
	at := len(col.Offsets)
	col.Offsets = slices.Grow(col.Offsets, vto-vfrom)[:at+vto-vfrom]
	offsets := col.Offsets[at:]
	end := base
	for i, n := range lengths[vfrom:vto] {
		neg |= n
		end += uint64(uint32(n))
		offsets[i] = uint32(end)
	}
	size := end - base
	switch {
	case neg < 0:
		return errors.New("byte array value of negative length")
	case start+size > uint64(len(data)):
		return fmt.Errorf("byte array lengths add up to %d bytes, past the page's %d", start+size, len(data))
	case end > MaxColumnChunkBytes:
		col.Offsets = col.Offsets[:at]
		return errBatchTooLarge
	}
	for _, d := range defs {
		if d != col.MaxDef {
			return fmt.Errorf("definition level %d of a defined value, the column's is %d", d, col.MaxDef)
		}
	}
	col.Defs = append(col.Defs, defs...)
	col.Bytes = append(col.Bytes, data[start:start+size]...)
	return nil
}

// directDeltaBytes appends rows of a page of DELTA_BYTE_ARRAY values, as
// directDeltaLengths does: each value is the first prefix bytes of the
// one before and its suffix. The values are made whole in bufs.expand,
// after their total size was checked against MaxColumnChunkBytes: a few
// bytes of lengths may make a long value many times over.
func directDeltaBytes(col *columnar.Column, rows int, defs, values []byte, vfrom, vto, defined int, bufs *pageBuffers) error {
	bufs.prefixes = sized(bufs.prefixes, defined)
	prefixes := bufs.prefixes
	rest, err := decodeDelta(prefixes, values, &bufs.pad)
	if err != nil {
		return fmt.Errorf("byte array prefix lengths: %w", err)
	}
	bufs.indexes = sized(bufs.indexes, defined)
	suffixes, err := decodeDelta(bufs.indexes, rest, &bufs.pad)
	if err != nil {
		return fmt.Errorf("byte array suffix lengths: %w", err)
	}
	bufs.offsets = sized(bufs.offsets, defined+1)
	if _, err := deltaOffsets(bufs.offsets, bufs.indexes, len(suffixes)); err != nil {
		return err
	}
	// Each value's length, checked against the one before, and their sum.
	var total int64
	prev := int64(0)
	for k, p := range prefixes {
		if p < 0 || int64(p) > prev {
			return fmt.Errorf("byte array value %d: prefix of %d bytes, the value before has %d", k, p, prev)
		}
		prev = int64(p) + int64(bufs.offsets[k+1]-bufs.offsets[k])
		total += prev
		if total > MaxColumnChunkBytes-int64(len(col.Bytes)) {
			return errBatchTooLarge
		}
	}
	bufs.expand = sized(bufs.expand, int(total))[:0]
	out := bufs.expand
	start := 0 // of the value before
	for k, p := range prefixes {
		at := len(out)
		out = append(out, out[start:start+int(p)]...)
		out = append(out, suffixes[bufs.offsets[k]:bufs.offsets[k+1]]...)
		bufs.offsets[k] = uint32(at)
		start = at
	}
	bufs.offsets[defined] = uint32(len(out))
	bufs.expand = out
	return col.AppendByteArrays(rows, defs, out, bufs.offsets[vfrom:vto+1])
}

// directDeltaInts appends rows of a page of DELTA_BINARY_PACKED INT32 or
// INT64 values, as directDeltaLengths does.
func directDeltaInts(col *columnar.Column, rows int, defs, values []byte, vfrom, vto, defined int, bufs *pageBuffers) error {
	w := col.Width
	bufs.fixed = sized(bufs.fixed, (vto-vfrom)*w)
	switch col.Kind {
	case parquet.Int32:
		bufs.indexes = sized(bufs.indexes, defined)
		if _, err := decodeDelta(bufs.indexes, values, &bufs.pad); err != nil {
			return fmt.Errorf("delta-encoded values: %w", err)
		}
		for i, v := range bufs.indexes[vfrom:vto] {
			binary.LittleEndian.PutUint32(bufs.fixed[4*i:], uint32(v))
		}
	case parquet.Int64:
		bufs.wide = sized(bufs.wide, defined)
		if _, err := decodeDelta(bufs.wide, values, &bufs.pad); err != nil {
			return fmt.Errorf("delta-encoded values: %w", err)
		}
		for i, v := range bufs.wide[vfrom:vto] {
			binary.LittleEndian.PutUint64(bufs.fixed[8*i:], uint64(v))
		}
	default:
		return errNotDirect
	}
	return col.AppendFixed(rows, defs, bufs.fixed)
}

// directByteStreamSplit appends rows of a page of BYTE_STREAM_SPLIT
// values (fixed-width: the first bytes of every value, then their second
// bytes, and so on), as directDeltaLengths does.
func directByteStreamSplit(col *columnar.Column, rows int, defs, values []byte, vfrom, vto, defined int, bufs *pageBuffers) error {
	w := col.Width
	if w == 0 {
		return errNotDirect
	}
	if int64(defined)*int64(w) != int64(len(values)) {
		return fmt.Errorf("%d bytes of byte stream split values for %d defined rows of width %d", len(values), defined, w)
	}
	bufs.fixed = sized(bufs.fixed, (vto-vfrom)*w)
	out := bufs.fixed
	for b := range w {
		for i, x := range values[b*defined+vfrom : b*defined+vto] {
			out[i*w+b] = x
		}
	}
	return col.AppendFixed(rows, defs, out)
}
