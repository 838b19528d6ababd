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
// next, this goes column by column. When each row is in at most one
// selection, in increasing order (a shuffle's key ranges), a column is
// read once, in row order, each value written to the end of its
// selection's piece so far (scatterColumn); else each column's values are
// read for every selection in turn. For a shuffle spilling in hundreds of
// key ranges (selections of rows hundreds apart), reading the selections
// one after another fetched a column's every cache line once per value
// it holds.
func (b *Batch) AppendBinaryBins(pieces [][]byte, sel [][]int32) error {
	_, err := b.AppendBinaryBinsInto(nil, pieces, sel)
	return err
}

// AppendBinaryBinsInto is AppendBinaryBins cutting the pieces from buf
// when its capacity holds them all, else from a new buffer; it returns
// the buffer they are cut from (nil when every selection is empty). The
// pieces overwrite every byte of buf they take, so buf may hold anything:
// a caller recycling the buffers of pieces it is done with spares the
// zeroing and first-touch page faults of a new one per batch (about 1% of
// a spilling shuffle's CPU).
func (b *Batch) AppendBinaryBinsInto(buf []byte, pieces [][]byte, sel [][]int32) ([]byte, error) {
	if len(pieces) != len(sel) {
		return nil, fmt.Errorf("columnar: %d pieces for %d selections", len(pieces), len(sel))
	}
	// size[k] grows to piece k's size, column by column.
	size := make([]int, len(sel))
	for k, rows := range sel {
		for _, r := range rows {
			if r < 0 || int(r) >= b.Len {
				return nil, fmt.Errorf("columnar: row %d of %d selected", r, b.Len)
			}
		}
		if len(rows) > 0 {
			size[k] = 4
		}
	}
	bins := binOfRows(b.Len, sel)
	// flags[c] is column c's levels flag, the whole batch's.
	flags := make([]byte, len(b.Cols))
	// spans[c][k] is the bytes of selection k's values of ByteArray
	// column c, when bins is set.
	var spans [][]int
	for c := range b.Cols {
		col := &b.Cols[c]
		if col.MaxDef > 0 {
			flags[c] = col.levelsFlag(b.Len)
		}
		var span []int
		if col.Width == 0 && bins != nil {
			span = make([]int, len(sel))
			off := col.Offsets
			for r, k := range bins {
				if k != noBin {
					span[k] += int(off[r+1] - off[r])
				}
			}
			spans = append(spans, span)
		}
		for k, rows := range sel {
			n := len(rows)
			if n == 0 {
				continue
			}
			if col.MaxDef > 0 {
				size[k]++
				if flags[c] == levelsFollow {
					size[k] += n
				}
			}
			if col.Width > 0 {
				size[k] += col.Width * n
				continue
			}
			size[k] += 4 * n
			if span != nil {
				size[k] += span[k]
				continue
			}
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
	switch {
	case total == 0:
		buf = nil
	case cap(buf) >= total:
		buf = buf[:total]
	default:
		// Room for a sixteenth more: the next batch of as many rows,
		// its strings a little longer, still fits.
		buf = make([]byte, total, total+total/16)
	}
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
	if bins != nil {
		scatterColumns(buf, b, sel, bins, spans, flags, pos)
		return buf, nil
	}
	for c := range b.Cols {
		col := &b.Cols[c]
		for k, rows := range sel {
			if len(rows) > 0 {
				pos[k] = col.appendBinaryRows(buf, pos[k], rows, flags[c])
			}
		}
	}
	return buf, nil
}

// scatterColumns writes every column of b for every selection, pos[k]
// being where selection k's first column starts: bins[r] is row r's
// selection, and spans the bytes of each ByteArray column's values of
// each selection, and flags each column's levels flag.
func scatterColumns(buf []byte, b *Batch, sel [][]int32, bins []uint16, spans [][]int, flags []byte, pos []int) {
	// Per selection: where its next level, value (or end) and ByteArray
	// bytes go, its values' end so far, and where its bytes end.
	defs := make([]int, len(sel))
	vals := make([]int, len(sel))
	data := make([]int, len(sel))
	ends := make([]uint32, len(sel))
	limit := make([]int, len(sel))
	for c := range b.Cols {
		col := &b.Cols[c]
		var span []int
		if col.Width == 0 {
			span, spans = spans[0], spans[1:]
		}
		for k, rows := range sel {
			n := len(rows)
			if n == 0 {
				continue
			}
			defs[k], vals[k] = pos[k], pos[k]
			if col.MaxDef > 0 {
				buf[pos[k]] = flags[c]
				defs[k]++
				vals[k]++
				if flags[c] == levelsFollow {
					vals[k] += n
				}
			}
			if col.Width > 0 {
				pos[k] = vals[k] + col.Width*n
				continue
			}
			data[k], ends[k] = vals[k]+4*n, 0
			limit[k] = data[k] + span[k]
			pos[k] = limit[k]
		}
		if flags[c] == levelsFollow {
			for r, k := range bins {
				if k != noBin {
					buf[defs[k]] = col.Defs[r]
					defs[k]++
				}
			}
		}
		scatterValues(buf, col, bins, vals, data, ends, limit)
	}
}

// scatterValues writes column col's values (or, of a ByteArray column,
// ends and bytes) of each row to its selection's place, vals[bins[r]]
// (and data[bins[r]], its bytes ending at limit), and moves the places
// past them.
func scatterValues(buf []byte, col *Column, bins []uint16, vals, data []int, ends []uint32, limit []int) {
	switch w := col.Width; w {
	case 0:
		off, src := col.Offsets, col.Bytes
		for r, k := range bins {
			if k == noBin {
				continue
			}
			lo, hi := off[r], off[r+1]
			n := hi - lo
			ends[k] += n
			binary.LittleEndian.PutUint32(buf[vals[k]:], ends[k])
			vals[k] += 4
			at := data[k]
			// A value's bytes end at its selection's limit; short ones
			// move as words, the bytes past a value being overwritten by
			// the next values.
			copyShort(buf[at:limit[k]], src[lo:], int(n))
			data[k] = at + int(n)
		}
	case 8:
		for r, k := range bins {
			if k != noBin {
				binary.LittleEndian.PutUint64(buf[vals[k]:], binary.LittleEndian.Uint64(col.Fixed[8*r:]))
				vals[k] += 8
			}
		}
	case 4:
		for r, k := range bins {
			if k != noBin {
				binary.LittleEndian.PutUint32(buf[vals[k]:], binary.LittleEndian.Uint32(col.Fixed[4*r:]))
				vals[k] += 4
			}
		}
	case 1:
		for r, k := range bins {
			if k != noBin {
				buf[vals[k]] = col.Fixed[r]
				vals[k]++
			}
		}
	default:
		for r, k := range bins {
			if k != noBin {
				copy(buf[vals[k]:vals[k]+w], col.Fixed[w*r:])
				vals[k] += w
			}
		}
	}
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

// appendBinaryRows writes the column's spill encoding of rows at
// buf[at:], which has room for it, and returns where it ends; flag is the
// column's levels flag.
func (col *Column) appendBinaryRows(buf []byte, at int, rows []int32, flag byte) int {
	if col.MaxDef > 0 {
		buf[at] = flag
		at++
	}
	if col.MaxDef > 0 && flag == levelsFollow {
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
// has room for them. A value of up to shortPlain bytes moves as one block
// of shortPlain bytes where both sides have room for it, else as 8-byte
// words where both have room for the last word, either cheaper than a
// call to copy of n bytes: the bytes it writes past the value are the
// next values' place, written after it. The block's move takes one path
// whatever the length, where the words' loop mispredicted its end on a
// column of mixed lengths: scatterValues took about 60 fewer samples of
// 3,700 (perf at 999 Hz) on the mixed shuffle, BenchmarkSpillPieces/bins
// 9.3 -> 8.6 ms.
func copyShort(dst, src []byte, n int) {
	if n <= shortPlain && shortPlain <= len(dst) && shortPlain <= len(src) {
		*(*[shortPlain]byte)(dst) = *(*[shortPlain]byte)(src)
		return
	}
	if w := (n + 7) &^ 7; n <= 64 && w <= len(dst) && w <= len(src) {
		for i := 0; i < w; i += 8 {
			binary.LittleEndian.PutUint64(dst[i:], binary.LittleEndian.Uint64(src[i:]))
		}
		return
	}
	copy(dst[:n], src)
}
