package columnar

import (
	"encoding/binary"
	"fmt"
)

// Appends for decoders that fill a column's memory themselves: the new
// rows' memory is made once (extend), not cleared before it is written,
// and values are written in place rather than gathered into scratch and
// copied.

// ExtendFixed appends n rows of a fixed-width column, all defined, whose
// definition levels are defs (as the Append methods take them), and
// returns the n*Width bytes of their value slots for the caller to fill
// before the column is read: a decoder that gathers values (dictionary
// indexes expanded, say) writes them in place instead of into scratch
// memory copied after. The slots' contents are unspecified until filled.
// A null among defs, or a level the Append methods refuse, is an error,
// and the column is then left as it was.
func (c *Column) ExtendFixed(n int, defs []byte) ([]byte, error) {
	if c.Width == 0 {
		return nil, fmt.Errorf("fixed-width values for a %v column", c.Kind)
	}
	at := len(c.Defs)
	defined, err := c.appendDefs(n, defs)
	if err != nil {
		return nil, err
	}
	if defined != n {
		c.Defs = c.Defs[:at]
		return nil, fmt.Errorf("%d of %d rows defined where all must be", defined, n)
	}
	from, to := len(c.Fixed), len(c.Fixed)+n*c.Width
	c.Fixed = extend(c.Fixed, to)[:to]
	return c.Fixed[from:to:to], nil
}

// AppendIndexedBytes is [Column.AppendIndexed] for a ByteArray column:
// the page's values are counted first, the column's memory grows once to
// hold them, and values of up to 16 bytes (the codes and names that
// dictionaries hold) are copied a word at a time instead of by a call to
// memmove each. A refused page leaves the column as it was.
func (c *Column) AppendIndexedBytes(n int, defs []byte, indexes []int32, dict *Column) error {
	if c.Width != 0 || dict.Width != 0 || dict.Kind != c.Kind {
		return c.AppendIndexed(n, defs, indexes, dict)
	}
	at := len(c.Defs)
	defined, err := c.appendDefs(n, defs)
	if err != nil {
		return err
	}
	if len(indexes) != defined {
		c.Defs = c.Defs[:at]
		return fmt.Errorf("%d dictionary indexes for %d defined rows", len(indexes), defined)
	}
	size := uint32(dict.Rows())
	doff, src := dict.Offsets, dict.Bytes
	total := int64(0)
	for _, x := range indexes {
		if uint32(x) >= size {
			c.Defs = c.Defs[:at]
			return fmt.Errorf("dictionary index %d out of range [0, %d)", x, size)
		}
		total += int64(doff[x+1] - doff[x])
	}
	base := len(c.Bytes)
	if int64(base)+total > maxBytes {
		c.Defs = c.Defs[:at]
		return ErrTooLarge
	}
	if len(c.Offsets) == 0 {
		c.Offsets = append(c.Offsets, 0)
	}
	// Room for a word's store past the last value.
	c.Bytes = extend(c.Bytes, base+int(total)+wordSlack)
	c.Offsets = extend(c.Offsets, len(c.Offsets)+n)
	bs := c.Bytes[:cap(c.Bytes)]
	o := len(c.Offsets)
	out := c.Offsets[o : o+n]
	pos := base
	if defined == n {
		out = out[:len(indexes)]
		for r, x := range indexes {
			pos = copyValue(bs, pos, src, int(doff[x]), int(doff[x+1]))
			out[r] = uint32(pos)
		}
	} else {
		k := 0
		for r, d := range c.Defs[at : at+n] {
			if d == c.MaxDef {
				x := indexes[k]
				k++
				pos = copyValue(bs, pos, src, int(doff[x]), int(doff[x+1]))
			}
			out[r] = uint32(pos)
		}
	}
	c.Offsets = c.Offsets[:o+n]
	c.Bytes = bs[:pos]
	return nil
}

// copyValue copies src[s:e] to dst at pos and returns the position past
// it. Values of up to 16 bytes are copied a word at a time, when src has
// the words: the stores may write up to wordSlack bytes past the value,
// which dst has room for.
func copyValue(dst []byte, pos int, src []byte, s, e int) int {
	switch l := e - s; {
	case l <= 8 && s+8 <= len(src):
		binary.LittleEndian.PutUint64(dst[pos:], binary.LittleEndian.Uint64(src[s:]))
	case l <= 16 && s+16 <= len(src):
		binary.LittleEndian.PutUint64(dst[pos:], binary.LittleEndian.Uint64(src[s:]))
		binary.LittleEndian.PutUint64(dst[pos+8:], binary.LittleEndian.Uint64(src[s+8:]))
	default:
		copy(dst[pos:], src[s:e])
	}
	return pos + e - s
}

// wordSlack is the room past its values that AppendIndexedBytes keeps
// for a value's word stores, which may write past the value's end.
const wordSlack = 8

// extend returns s with room for at least n elements in all (its length
// unchanged), its own memory when that is enough, else new memory of n
// elements or twice s's, whichever is more, made rather than appended to:
// the runtime clears only memory it reuses, and the caller overwrites it.
func extend[T any](s []T, n int) []T {
	if n <= cap(s) {
		return s
	}
	grown := make([]T, len(s), max(n, 2*cap(s)))
	copy(grown, s)
	return grown
}
