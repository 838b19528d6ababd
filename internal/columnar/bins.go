package columnar

import (
	"encoding/binary"
	"fmt"
)

// AppendBinaryBins is AppendBinaryRows for many selections of one batch
// at once: pieces[k] is set to b.AppendBinaryRows(nil, sel[k]), or nil
// when sel[k] is empty. The pieces are cut from one new buffer, each with
// no room past its end; pieces and sel have the same length.
//
// Where AppendBinaryRows reads every column for one selection before the
// next, this goes column by column, each column's values for every
// selection in turn: for a shuffle spilling in hundreds of key ranges
// (selections of rows hundreds apart), one column's values stay in a
// core's cache while they are read, where a whole batch did not.
func (b *Batch) AppendBinaryBins(pieces [][]byte, sel [][]int32) error {
	if len(pieces) != len(sel) {
		return fmt.Errorf("columnar: %d pieces for %d selections", len(pieces), len(sel))
	}
	// size[k] grows to piece k's size, column by column.
	size := make([]int, len(sel))
	for k, rows := range sel {
		for _, r := range rows {
			if r < 0 || int(r) >= b.Len {
				return fmt.Errorf("columnar: row %d of %d selected", r, b.Len)
			}
		}
		if len(rows) > 0 {
			size[k] = 4
		}
	}
	for c := range b.Cols {
		col := &b.Cols[c]
		for k, rows := range sel {
			n := len(rows)
			if n == 0 {
				continue
			}
			if col.MaxDef > 0 {
				size[k] += n
			}
			if col.Width > 0 {
				size[k] += col.Width * n
				continue
			}
			size[k] += 4 * n
			off := col.Offsets
			for _, r := range rows {
				size[k] += int(off[r+1] - off[r])
			}
		}
	}
	total := 0
	for _, s := range size {
		total += s
	}
	buf := make([]byte, total)
	// pos[k] is where piece k's next column starts.
	pos := make([]int, len(sel))
	at := 0
	for k, s := range size {
		pieces[k] = nil
		if s == 0 {
			continue
		}
		pieces[k] = buf[at : at+s : at+s]
		binary.LittleEndian.PutUint32(buf[at:], uint32(len(sel[k])))
		pos[k] = at + 4
		at += s
	}
	bins := binOfRows(b.Len, sel)
	for c := range b.Cols {
		col := &b.Cols[c]
		for k, rows := range sel {
			if len(rows) > 0 {
				pos[k] = col.appendBinaryRows(buf, pos[k], rows, bins == nil)
			}
		}
		if col.Width == 0 && bins != nil {
			scatterBytes(buf, col, sel, bins, pos)
		}
	}
	return nil
}

// noBin marks a row no selection holds in binOfRows.
const noBin = ^uint16(0)

// binOfRows returns the selection of each of n rows, or nil when a row is
// in more than one or a selection's rows are not in increasing order, or
// when there are too many selections.
func binOfRows(n int, sel [][]int32) []uint16 {
	if len(sel) >= int(noBin) {
		return nil
	}
	bins := make([]uint16, n)
	for r := range bins {
		bins[r] = noBin
	}
	for k, rows := range sel {
		last := int32(-1)
		for _, r := range rows {
			if r <= last || bins[r] != noBin {
				return nil
			}
			bins[r], last = uint16(k), r
		}
	}
	return bins
}

// scatterBytes writes a ByteArray column's values' bytes for every
// selection, pos[k] being where selection k's end (the ends before them
// are written), and moves pos past them: the column is read once in row
// order, each value copied to the end of its selection's bytes, where
// reading the values of one selection after another read them at random
// (a column's bytes, unlike its fixed-width values, seldom fit in a
// core's cache).
func scatterBytes(buf []byte, col *Column, sel [][]int32, bins []uint16, pos []int) {
	// pos[k] moves back to where selection k's bytes start.
	limit := make([]int, len(pos))
	off, src := col.Offsets, col.Bytes
	for k, rows := range sel {
		if len(rows) == 0 {
			continue
		}
		limit[k] = pos[k]
		for _, r := range rows {
			pos[k] -= int(off[r+1] - off[r])
		}
	}
	for r, k := range bins {
		if k == noBin {
			continue
		}
		lo, hi := off[r], off[r+1]
		n := int(hi - lo)
		at := pos[k]
		copyShort(buf[at:limit[k]], src[lo:], n)
		pos[k] = at + n
	}
}

// appendBinaryRows writes the column's spill encoding of rows at
// buf[at:], which has room for it, and returns where it ends; with
// values false, a ByteArray column's ends are written and room left for
// its bytes.
func (col *Column) appendBinaryRows(buf []byte, at int, rows []int32, values bool) int {
	if col.MaxDef > 0 {
		d := buf[at : at+len(rows)]
		for j, r := range rows {
			d[j] = col.Defs[r]
		}
		at += len(rows)
	}
	switch w := col.Width; w {
	case 0:
		off, src := col.Offsets, col.Bytes
		ends := buf[at : at+4*len(rows)]
		at += 4 * len(rows)
		var end uint32
		for j, r := range rows {
			end += off[r+1] - off[r]
			binary.LittleEndian.PutUint32(ends[4*j:], end)
		}
		// The values' bytes end at limit; short ones move as two words
		// where both sides have room, the bytes past a value being
		// overwritten by the next values.
		limit := at + int(end)
		if !values {
			return limit
		}
		for _, r := range rows {
			lo, hi := off[r], off[r+1]
			copyShort(buf[at:limit], src[lo:], int(hi-lo))
			at += int(hi - lo)
		}
	case 8:
		d := buf[at : at+8*len(rows)]
		for j, r := range rows {
			binary.LittleEndian.PutUint64(d[8*j:], binary.LittleEndian.Uint64(col.Fixed[8*int(r):]))
		}
		at += len(d)
	case 4:
		d := buf[at : at+4*len(rows)]
		for j, r := range rows {
			binary.LittleEndian.PutUint32(d[4*j:], binary.LittleEndian.Uint32(col.Fixed[4*int(r):]))
		}
		at += len(d)
	case 1:
		d := buf[at : at+len(rows)]
		for j, r := range rows {
			d[j] = col.Fixed[r]
		}
		at += len(d)
	default:
		for _, r := range rows {
			copy(buf[at:at+w], col.Fixed[w*int(r):])
			at += w
		}
	}
	return at
}

// copyShort copies the n bytes starting src to the start of dst, which
// has room for them. A value of up to 64 bytes moves as 8-byte words where
// both sides have room for the last word, cheaper than a call to copy:
// the bytes it writes past the value are the next values' place, written
// after it.
func copyShort(dst, src []byte, n int) {
	if w := (n + 7) &^ 7; n <= 64 && w <= len(dst) && w <= len(src) {
		for i := 0; i < w; i += 8 {
			binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(src[i:]))
		}
		return
	}
	copy(dst[:n], src)
}
