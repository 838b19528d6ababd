package sinks

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/klauspost/compress/s2"
	"github.com/parquet-go/parquet-go/format"
)

// This file puts a data page together where it ends up: an optional
// column's definition levels go in front of its values, in room kept
// before them, and the page is compressed straight into the chunk's bytes
// (a direct writer's are the row group's) after room left for its header.
// Neither changes a byte: they spare copying the values into a page body
// and the compressed page into the chunk.

// prefixLevels returns the body of an optional column's page: the length
// of w.levels, the encoded definition levels, then vals. When vals are the
// page's PLAIN values and the room kept before them (see reserveLevels)
// holds the levels, they are written there, and the body is made without
// copying the values; else it is assembled in w.body.
func (w *pageWriter) prefixLevels(vals []byte, indexed bool) []byte {
	n := 4 + len(w.levels)
	if !indexed && n <= w.head && w.valsInRoom() {
		start := w.head - n
		binary.LittleEndian.PutUint32(w.room[start:], uint32(len(w.levels)))
		copy(w.room[start+4:w.head], w.levels)
		return w.room[start : w.head+len(w.vals)]
	}
	w.body = binary.LittleEndian.AppendUint32(w.body[:0], uint32(len(w.levels)))
	w.body = append(w.body, w.levels...)
	w.body = append(w.body, vals...)
	return w.body
}

// valsInRoom reports whether w.vals still starts at w.room[w.head:]: an
// append that outgrew it moved the values elsewhere.
func (w *pageWriter) valsInRoom() bool {
	if cap(w.vals) == 0 || cap(w.room) != w.head+cap(w.vals) {
		return false
	}
	return &w.room[:w.head+1][w.head] == &w.vals[:1][0]
}

// reserveLevels makes the next page's values start after room for its
// definition levels when they do not already, or when the room is
// shorter than the last page's levels and a margin: w.vals keeps its
// capacity, in a buffer that starts w.head bytes earlier. It is called
// with no values held.
func (w *pageWriter) reserveLevels() {
	need := 4 + len(w.levels)
	if w.valsInRoom() && need <= w.head {
		return
	}
	w.head = max(w.head, (2*need+64+7)&^7) // values stay 8-byte aligned
	w.room = make([]byte, w.head, w.head+max(cap(w.vals), int(w.limit)+int(w.limit)/8))
	w.vals = w.room[w.head:w.head]
}

// headerSlack is how much longer than guessed a page header may turn out
// (see place): its page size and CRC are varints of at most 5 bytes.
const headerSlack = 16

// place compresses body and appends the page, h and its compressed body,
// to w.data; h is complete but for the compressed size and the CRC, which
// place sets. It returns the header's and the compressed body's lengths.
//
// The body is compressed straight into w.data when it has room for the
// codec's largest output after a header of the guessed length: the header
// is encoded once with a guess of the page's size and a CRC of 5 bytes,
// and written before the page, which moves only when the real header's
// length differs (a CRC of fewer bytes, one page in 16). Without that
// room, or with a codec that wrote elsewhere, the page is compressed into
// scratch and copied.
func (w *pageWriter) place(h *format.PageHeader, body []byte) (headerLen, pageLen int64, err error) {
	if !w.compressed {
		return w.appendPage(h, body)
	}
	bound := w.compressBound(len(body))
	if bound < 0 {
		return w.compressAndAppend(h, body)
	}
	// The guess: the last page's compression ratio, and the longest CRC.
	guess := int64(len(body))
	if w.lastBody > 0 {
		guess = min(guess*w.lastPage/w.lastBody, math.MaxInt32)
	}
	h.CompressedPageSize = int32(guess)
	h.CRC = math.MinInt32
	if err := w.encodeHeader(h); err != nil {
		return 0, 0, err
	}
	pos := len(w.data)
	at := pos + w.header.Len()
	if cap(w.data)-at < bound+headerSlack {
		return w.compressAndAppend(h, body)
	}
	room := w.data[at:at]
	page, err := w.codec.Encode(room, body)
	if err != nil {
		return 0, 0, fmt.Errorf("column %q: compress page: %w", w.path, err)
	}
	if len(page) == 0 || cap(page) != cap(room) || &page[:1][0] != &room[:1][0] {
		// The codec wrote elsewhere: copied as from scratch.
		w.comp = page
		return w.appendCompressed(h, body, page)
	}
	w.lastBody, w.lastPage = int64(len(body)), int64(len(page))
	h.CompressedPageSize = int32(len(page))
	h.CRC = int32(crc32.ChecksumIEEE(page))
	if err := w.encodeHeader(h); err != nil {
		return 0, 0, err
	}
	end := pos + w.header.Len() + len(page)
	if end > cap(w.data) {
		// A header longer than the slack allows: cannot happen with
		// varints of 5 bytes, but a copy keeps it safe.
		w.comp = append(w.comp[:0], page...)
		return w.appendCompressed(h, body, w.comp)
	}
	full := w.data[:end]
	if hl := w.header.Len(); hl != at-pos {
		copy(full[pos+hl:], page) // overlapping: copy moves as memmove does
	}
	copy(full[pos:], w.header.Bytes())
	w.data = full
	return int64(w.header.Len()), int64(len(page)), nil
}

// compressBound returns the largest compressed size of n bytes with w's
// codec, or -1 when the codec does not say (it is then not compressed in
// place).
func (w *pageWriter) compressBound(n int) int {
	if _, ok := w.codec.(*snappyCodec); ok {
		// Both of its encoders write into dst when its capacity holds
		// this bound.
		return s2.MaxEncodedLen(n)
	}
	return -1
}

// compressAndAppend compresses body into scratch and appends the page.
func (w *pageWriter) compressAndAppend(h *format.PageHeader, body []byte) (int64, int64, error) {
	var err error
	if w.comp, err = w.codec.Encode(w.comp[:0], body); err != nil {
		return 0, 0, fmt.Errorf("column %q: compress page: %w", w.path, err)
	}
	return w.appendCompressed(h, body, w.comp)
}

// appendCompressed appends the page of body compressed as page, which
// does not alias w.data's capacity.
func (w *pageWriter) appendCompressed(h *format.PageHeader, body, page []byte) (int64, int64, error) {
	w.lastBody, w.lastPage = int64(len(body)), int64(len(page))
	return w.appendPage(h, page)
}

// appendPage sets the sizes and CRC of h for the (compressed) page and
// appends its header and page to w.data.
func (w *pageWriter) appendPage(h *format.PageHeader, page []byte) (int64, int64, error) {
	h.CompressedPageSize = int32(len(page))
	h.CRC = int32(crc32.ChecksumIEEE(page))
	if err := w.encodeHeader(h); err != nil {
		return 0, 0, err
	}
	w.data = appendDoubling(w.data, w.header.Bytes())
	w.data = appendDoubling(w.data, page)
	return int64(w.header.Len()), int64(len(page)), nil
}

// encodeHeader encodes h into w.header.
func (w *pageWriter) encodeHeader(h *format.PageHeader) error {
	w.header.Reset()
	if err := w.enc.Encode(h); err != nil {
		return fmt.Errorf("column %q: encode page header: %w", w.path, err)
	}
	return nil
}
