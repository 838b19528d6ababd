package columnar

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// The spill encoding of a batch: what a shuffle writes to its temporary
// files and reads back in the same process, so it is plain and fast, not a
// file format. A batch of a known layout is
//
//	rows uint32
//	per column, in order:
//	  levels   byte                     when MaxDef > 0: levelsFull or
//	                                    levelsFollow
//	  defs     [rows]byte               when levels is levelsFollow
//	  fixed    [rows*Width]byte         fixed-width kinds
//	  offsets  [rows]uint32, bytes      ByteArray: each value's end,
//	                                    relative to the column's first
//	                                    value, then the values' bytes
//
// integers little-endian. A column whose rows of the batch written from
// are all at MaxDef (an optional column without nulls, the common case)
// writes levelsFull and no levels: about a byte a row and a pass over the
// rows less per such column, to write, scatter and read back. The flag is
// the whole batch's, so the encodings of any selection of its rows agree
// (AppendBinaryRows, AppendBinaryBins).

// The levels flag of a column with MaxDef > 0.
const (
	levelsFull   byte = 0 // every row at MaxDef: no levels follow
	levelsFollow byte = 1 // the rows' levels follow
)

// levelsFlag returns the levels flag of the column's first n rows.
func (col *Column) levelsFlag(n int) byte {
	if allAt(col.Defs[:n], col.MaxDef) {
		return levelsFull
	}
	return levelsFollow
}

// allAt reports whether every byte of b is v, a word at a time.
func allAt(b []byte, v byte) bool {
	pat := uint64(v) * 0x0101010101010101
	i := 0
	for ; i+8 <= len(b); i += 8 {
		if binary.LittleEndian.Uint64(b[i:]) != pat {
			return false
		}
	}
	for ; i < len(b); i++ {
		if b[i] != v {
			return false
		}
	}
	return true
}

// AppendBinary appends the spill encoding of b to dst and returns the
// extended slice.
func (b *Batch) AppendBinary(dst []byte) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(b.Len))
	for c := range b.Cols {
		col := &b.Cols[c]
		if col.MaxDef > 0 {
			flag := col.levelsFlag(b.Len)
			dst = append(dst, flag)
			if flag == levelsFollow {
				dst = append(dst, col.Defs[:b.Len]...)
			}
		}
		if col.Width > 0 {
			dst = append(dst, col.Fixed[:b.Len*col.Width]...)
			continue
		}
		if b.Len == 0 {
			continue
		}
		base := col.Offsets[0]
		for _, o := range col.Offsets[1 : b.Len+1] {
			dst = binary.LittleEndian.AppendUint32(dst, o-base)
		}
		dst = append(dst, col.Bytes[base:col.Offsets[b.Len]]...)
	}
	return dst
}

// AppendBinaryRows appends the spill encoding of the batch b.Take(sel)
// would return, without making it.
func (b *Batch) AppendBinaryRows(dst []byte, sel []int32) []byte {
	size := 4
	flags := make([]byte, len(b.Cols))
	for c := range b.Cols {
		col := &b.Cols[c]
		if col.MaxDef > 0 {
			flags[c] = col.levelsFlag(b.Len)
			size++
			if flags[c] == levelsFollow {
				size += len(sel)
			}
		}
		if col.Width > 0 {
			size += col.Width * len(sel)
			continue
		}
		size += 4 * len(sel)
		for _, r := range sel {
			size += int(col.Offsets[r+1] - col.Offsets[r])
		}
	}
	dst = slices.Grow(dst, size)
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(sel)))
	for c := range b.Cols {
		col := &b.Cols[c]
		if col.MaxDef > 0 {
			dst = append(dst, flags[c])
			if flags[c] == levelsFollow {
				for _, r := range sel {
					dst = append(dst, col.Defs[r])
				}
			}
		}
		switch w := col.Width; w {
		case 0:
			var end uint32
			for _, r := range sel {
				end += col.Offsets[r+1] - col.Offsets[r]
				dst = binary.LittleEndian.AppendUint32(dst, end)
			}
			for _, r := range sel {
				dst = append(dst, col.Bytes[col.Offsets[r]:col.Offsets[r+1]]...)
			}
		case 8:
			for _, r := range sel {
				dst = binary.LittleEndian.AppendUint64(dst, binary.LittleEndian.Uint64(col.Fixed[8*int(r):]))
			}
		case 4:
			for _, r := range sel {
				dst = binary.LittleEndian.AppendUint32(dst, binary.LittleEndian.Uint32(col.Fixed[4*int(r):]))
			}
		default:
			for _, r := range sel {
				dst = append(dst, col.Fixed[w*int(r):w*int(r)+w]...)
			}
		}
	}
	return dst
}

// ErrShortData reports spill data that ends inside a batch.
var ErrShortData = errors.New("spilled batch truncated")

// Decode reads one batch of layout from the start of data, as AppendBinary
// wrote it, and returns it with the rest of data. The batch's levels and
// values refer to data, which must then not change; its offsets are
// copied. The levels of columns written without them (levelsFull) are
// made, one slice of rows bytes per distinct MaxDef shared by those
// columns (see FullLevelBytes): the batch is read, not changed.
func Decode(data []byte, layout Layout) (*Batch, []byte, error) {
	if len(data) < 4 {
		return nil, nil, ErrShortData
	}
	rows := int(binary.LittleEndian.Uint32(data))
	data = data[4:]
	take := func(n int) ([]byte, error) {
		if n < 0 || n > len(data) {
			return nil, ErrShortData
		}
		out := data[:n:n]
		data = data[n:]
		return out, nil
	}
	b := &Batch{Len: rows, Cols: make([]Column, len(layout))}
	var err error
	var full [][]byte // levels made for levelsFull columns, by MaxDef
	for c, t := range layout {
		col := &b.Cols[c]
		col.Type = t
		if t.MaxDef > 0 {
			flag, err := take(1)
			if err != nil {
				return nil, nil, err
			}
			switch flag[0] {
			case levelsFollow:
				if col.Defs, err = take(rows); err != nil {
					return nil, nil, err
				}
			case levelsFull:
				col.Defs, full = fullLevels(full, rows, t.MaxDef)
			default:
				return nil, nil, fmt.Errorf("spilled batch: column %d: levels flag %d", c, flag[0])
			}
		}
		if t.Width > 0 {
			if col.Fixed, err = take(rows * t.Width); err != nil {
				return nil, nil, err
			}
			continue
		}
		col.Offsets = make([]uint32, rows+1)
		if rows == 0 {
			continue
		}
		ends, err := take(4 * rows)
		if err != nil {
			return nil, nil, err
		}
		for r := range rows {
			o := binary.LittleEndian.Uint32(ends[4*r:])
			if o < col.Offsets[r] {
				return nil, nil, fmt.Errorf("spilled batch: column %d: offsets decrease at row %d", c, r)
			}
			col.Offsets[r+1] = o
		}
		if col.Bytes, err = take(int(col.Offsets[rows])); err != nil {
			return nil, nil, err
		}
	}
	return b, data, nil
}

// fullLevels returns rows levels at maxDef, the slice of full that holds
// them or a new one appended to full, and full.
func fullLevels(full [][]byte, rows int, maxDef byte) ([]byte, [][]byte) {
	for _, f := range full {
		if f[0] == maxDef {
			return f[:rows:rows], full
		}
	}
	f := make([]byte, max(rows, 1))
	for i := range f {
		f[i] = maxDef
	}
	return f[:rows:rows], append(full, f)
}

// FullLevelBytes bounds the memory Decode makes for the levels of a batch
// of layout with rows rows, beyond the data it refers to and its offsets:
// rows bytes per distinct MaxDef of layout's optional columns.
func FullLevelBytes(layout Layout, rows int) int64 {
	var seen [256]bool
	n := int64(0)
	for _, t := range layout {
		if t.MaxDef > 0 && !seen[t.MaxDef] {
			seen[t.MaxDef] = true
			n += int64(max(rows, 1))
		}
	}
	return n
}
