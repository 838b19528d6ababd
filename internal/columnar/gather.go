package columnar

import (
	"encoding/binary"
	"slices"
)

// The page appends below are the one copy of a value on its way from a
// decoded batch to a page: the page writer compresses the buffers they
// fill. Each grows its destinations once for a span of rows and stores
// into them with small typed loops, instead of appending value by value
// (an append of a few bytes is a call to memmove). An optional column's
// value is stored whether or not its row is null, and the write position
// moves on only past a non-null one, so the loops do not branch on nulls:
// a batch keeps a value slot for every row, nulls included. The loops
// are functions of their own, not inlined: inlined into the appends,
// their counters lived on the stack, stored and loaded every row.

// extendBy returns b extended by n bytes, their contents undefined, keeping
// b's memory when its capacity holds them.
func extendBy(b []byte, n int) []byte {
	return slices.Grow(b, n)[:len(b)+n]
}

// present is 1 when definition level d is maxDef (the row holds a value),
// else 0.
func present(d, maxDef byte) int {
	if d == maxDef {
		return 1
	}
	return 0
}

// AppendFixed appends, for rows [lo, hi) of column c, their definition
// levels to defs (nothing for a required column) and the Width bytes of
// each non-null row's value to vals, and returns both extended. It is the
// typed gather of fixed-width columns: a Parquet writer of PLAIN pages
// takes the values as they are laid out here. c must not be a ByteArray
// column.
func (b *Batch) AppendFixed(defs, vals []byte, c, lo, hi int) ([]byte, []byte) {
	col := &b.Cols[c]
	w := col.Width
	if col.Defs == nil {
		return defs, append(vals, col.Fixed[lo*w:hi*w]...)
	}
	levels := col.Defs[lo:hi]
	defs = append(defs, levels...)
	src := col.Fixed[lo*w : hi*w]
	if allAt(levels, col.MaxDef) {
		return defs, append(vals, src...)
	}
	at := len(vals)
	vals = extendBy(vals, w*len(levels))
	var n int
	switch w {
	case 8:
		n = compact8(vals[at:], src, levels, col.MaxDef)
	case 4:
		n = compact4(vals[at:], src, levels, col.MaxDef)
	default:
		for k, d := range levels {
			if d == col.MaxDef {
				n += copy(vals[at+n:], src[w*k:w*k+w])
			}
		}
	}
	return defs, vals[:at+n]
}

// compact8 stores the 8-byte values of src whose levels are maxDef into
// out, which has room for all of them, and returns the bytes kept.
//
//go:noinline
func compact8(out, src, levels []byte, maxDef byte) int {
	j := 0
	for k, d := range levels {
		binary.LittleEndian.PutUint64(out[j:], binary.LittleEndian.Uint64(src[8*k:]))
		j += 8 & -present(d, maxDef)
	}
	return j
}

// compact4 is compact8 for 4-byte values.
//
//go:noinline
func compact4(out, src, levels []byte, maxDef byte) int {
	j := 0
	for k, d := range levels {
		binary.LittleEndian.PutUint32(out[j:], binary.LittleEndian.Uint32(src[4*k:]))
		j += 4 & -present(d, maxDef)
	}
	return j
}

// AppendFixed is [Batch.AppendFixed] for picked rows.
func (p *Pick) AppendFixed(defs, vals []byte, c, lo, hi int) ([]byte, []byte) {
	if lo == hi {
		return defs, vals
	}
	cols, refs := p.cols[c], p.refs[lo:hi]
	t := cols[0].Type
	w := t.Width
	if w != 8 && w != 4 {
		return appendFixedRefs(defs, vals, cols, refs)
	}
	if len(cols) > 1 {
		return pickFixed(defs, vals, cols, refs, w, t.MaxDef, p.noNulls(c))
	}
	src := cols[0].Fixed
	at := len(vals)
	vals = extendBy(vals, w*len(refs))
	full := p.noNulls(c)
	if full {
		dat := len(defs)
		defs = extendBy(defs, len(refs))
		fillLevels(defs[dat:], t.MaxDef)
	}
	if t.MaxDef == 0 || full {
		if w == 8 {
			pick8(vals[at:], src, refs)
		} else {
			pick4(vals[at:], src, refs)
		}
		return defs, vals
	}
	dat := len(defs)
	defs = extendBy(defs, len(refs))
	var n int
	if w == 8 {
		n = pickDefs8(vals[at:], defs[dat:], src, cols[0].Defs, refs, t.MaxDef)
	} else {
		n = pickDefs4(vals[at:], defs[dat:], src, cols[0].Defs, refs, t.MaxDef)
	}
	return defs, vals[:at+n]
}

// pick8 stores the 8-byte values of src's rows refs into out.
//
//go:noinline
func pick8(out, src []byte, refs []Ref) {
	for _, ref := range refs {
		at := 8 * int(ref.Row)
		binary.LittleEndian.PutUint64(out, binary.LittleEndian.Uint64(src[at:at+8]))
		out = out[8:]
	}
}

// pick4 is pick8 for 4-byte values.
//
//go:noinline
func pick4(out, src []byte, refs []Ref) {
	for _, ref := range refs {
		at := 4 * int(ref.Row)
		binary.LittleEndian.PutUint32(out, binary.LittleEndian.Uint32(src[at:at+4]))
		out = out[4:]
	}
}

// pickDefs8 stores the definition levels of rows refs of an optional
// column into levels and the 8-byte values of those whose levels are
// maxDef into out, and returns the bytes of values kept.
//
//go:noinline
func pickDefs8(out, levels, src, defs []byte, refs []Ref, maxDef byte) int {
	j := 0
	levels = levels[:len(refs)]
	for k, ref := range refs {
		d := defs[ref.Row]
		levels[k] = d
		at := 8 * int(ref.Row)
		binary.LittleEndian.PutUint64(out[j:], binary.LittleEndian.Uint64(src[at:at+8]))
		j += 8 & -present(d, maxDef)
	}
	return j
}

// pickDefs4 is pickDefs8 for 4-byte values.
//
//go:noinline
func pickDefs4(out, levels, src, defs []byte, refs []Ref, maxDef byte) int {
	j := 0
	levels = levels[:len(refs)]
	for k, ref := range refs {
		d := defs[ref.Row]
		levels[k] = d
		at := 4 * int(ref.Row)
		binary.LittleEndian.PutUint32(out[j:], binary.LittleEndian.Uint32(src[at:at+4]))
		j += 4 & -present(d, maxDef)
	}
	return j
}

// appendFixedRefs is [Pick.AppendFixed] for widths other than 8 and 4: a
// copy per value.
func appendFixedRefs(defs, vals []byte, cols []*Column, refs []Ref) ([]byte, []byte) {
	t := cols[0].Type
	w := t.Width
	for _, ref := range refs {
		col := cols[ref.Batch]
		if t.MaxDef > 0 {
			d := col.Defs[ref.Row]
			defs = append(defs, d)
			if d != t.MaxDef {
				continue
			}
		}
		at := w * int(ref.Row)
		vals = append(vals, col.Fixed[at:at+w]...)
	}
	return defs, vals
}

// shortPlain is the longest byte array value moved as one block of
// shortPlain bytes, the spare ones overwritten by the next value, rather
// than by a copy of its length: memmove branches on the length first,
// and on a page's mixed lengths mispredicts; moves of one constant
// length take one path. (The compiler makes the block's move a call to
// memmove too, the two may overlap; eight word moves measured slower.)
const shortPlain = 64

// putPlain appends the PLAIN encoding of src[s:e] to vals, which has room
// for it and shortPlain bytes more, and returns vals extended.
func putPlain(vals, src []byte, s, e uint32) []byte {
	n := int(e - s)
	at := len(vals)
	binary.LittleEndian.PutUint32(vals[at:at+4], uint32(n))
	if n <= shortPlain && int(s)+shortPlain <= len(src) {
		*(*[shortPlain]byte)(vals[at+4 : at+4+shortPlain]) = *(*[shortPlain]byte)(src[s:])
	} else {
		copy(vals[at+4:at+4+n], src[s:e])
	}
	return vals[:at+4+n]
}

// AppendPlain appends, for rows [lo, hi) of ByteArray column c, their
// definition levels to defs (nothing for a required column) and each
// non-null row's value to vals in Parquet's PLAIN encoding (a 4-byte
// little-endian length, then the bytes), and returns both extended.
func (b *Batch) AppendPlain(defs, vals []byte, c, lo, hi int) ([]byte, []byte) {
	col := &b.Cols[c]
	if lo == hi {
		return defs, vals
	}
	offs := col.Offsets[lo : hi+1]
	// Room for every row's value, the nulls' empty ones included, a
	// length each and the words the last may spill.
	need := int(offs[len(offs)-1]-offs[0]) + 4*(hi-lo) + shortPlain
	if cap(vals)-len(vals) < need {
		vals = slices.Grow(vals, need)
	}
	if col.Defs == nil {
		return defs, plainSpan(vals, col.Bytes, offs)
	}
	levels := col.Defs[lo:hi]
	defs = append(defs, levels...)
	if allAt(levels, col.MaxDef) {
		return defs, plainSpan(vals, col.Bytes, offs)
	}
	for r, d := range levels {
		if d == col.MaxDef {
			vals = putPlain(vals, col.Bytes, offs[r], offs[r+1])
		}
	}
	return defs, vals
}

// plainSpan appends the PLAIN encodings of the values offs delimits in
// src to vals, which has room for them and shortPlain bytes more.
func plainSpan(vals, src []byte, offs []uint32) []byte {
	for r := range len(offs) - 1 {
		vals = putPlain(vals, src, offs[r], offs[r+1])
	}
	return vals
}

// AppendPlain is [Batch.AppendPlain] for picked rows.
func (p *Pick) AppendPlain(defs, vals []byte, c, lo, hi int) ([]byte, []byte) {
	if lo == hi {
		return defs, vals
	}
	cols, refs := p.cols[c], p.refs[lo:hi]
	maxDef := cols[0].MaxDef
	full := p.noNulls(c)
	if maxDef > 0 {
		at := len(defs)
		defs = extendBy(defs, len(refs))
		levels := defs[at:]
		if full {
			fillLevels(levels, maxDef)
		} else {
			for k, ref := range refs {
				levels[k] = cols[ref.Batch].Defs[ref.Row]
			}
		}
	}
	if len(cols) == 1 {
		return defs, pickPlain(vals, cols[0], refs, maxDef > 0 && !full)
	}
	vals, _ = pickPlainRefs(vals, cols, refs, maxDef > 0 && !full)
	return defs, vals
}

// pickPlain appends the PLAIN encodings of the non-null values of col's
// rows refs to vals; without nulls, it reads no levels.
func pickPlain(vals []byte, col *Column, refs []Ref, nulls bool) []byte {
	offs, src, defs, maxDef := col.Offsets, col.Bytes, col.Defs, col.MaxDef
	for _, ref := range refs {
		if nulls && defs[ref.Row] < maxDef {
			continue // null
		}
		s, e := offs[ref.Row], offs[ref.Row+1]
		if cap(vals)-len(vals) < 4+shortPlain+int(e-s) {
			vals = growPlain(vals, int(e-s))
		}
		vals = putPlain(vals, src, s, e)
	}
	return vals
}

// growPlain returns vals with room for the PLAIN encoding of a value of n
// bytes and shortPlain bytes more (see putPlain).
func growPlain(vals []byte, n int) []byte {
	return slices.Grow(vals, 4+shortPlain+n)
}

// take returns b's rows sel[0], sel[1], ... as a new batch: [Gather] from
// the one batch, with a loop per column that reads it directly rather
// than through a Ref and a batch list per row, and byte array values
// moved as blocks of shortPlain bytes (see putPlain) rather than a copy
// each. It panics if an index is out of range.
func (b *Batch) take(sel []int32) (*Batch, error) {
	out := &Batch{Len: len(sel), Cols: make([]Column, len(b.Cols))}
	for c := range out.Cols {
		if err := takeColumn(&out.Cols[c], &b.Cols[c], sel); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// takeColumn sets dst to the rows sel of src.
func takeColumn(dst, src *Column, sel []int32) error {
	dst.Type = src.Type
	if dst.MaxDef > 0 {
		dst.Defs = make([]byte, len(sel))
		takeDefs(dst.Defs, src.Defs, sel)
	}
	switch w := dst.Width; w {
	case 0:
		offs := src.Offsets
		total := 0
		for _, r := range sel {
			total += int(offs[r+1] - offs[r])
		}
		if int64(total) > maxBytes {
			return ErrTooLarge
		}
		dst.Offsets = make([]uint32, len(sel)+1)
		bytes := make([]byte, total+shortPlain) // room for the last block
		takeBytes(bytes, dst.Offsets, src.Bytes, offs, sel)
		dst.Bytes = bytes[:total]
	case 8:
		dst.Fixed = make([]byte, 8*len(sel))
		take8(dst.Fixed, src.Fixed, sel)
	case 4:
		dst.Fixed = make([]byte, 4*len(sel))
		take4(dst.Fixed, src.Fixed, sel)
	default:
		dst.Fixed = make([]byte, w*len(sel))
		for k, r := range sel {
			copy(dst.Fixed[w*k:w*k+w], src.Fixed[w*int(r):w*int(r)+w])
		}
	}
	return nil
}

// takeDefs stores the levels of rows sel into out.
//
//go:noinline
func takeDefs(out, defs []byte, sel []int32) {
	out = out[:len(sel)]
	for k, r := range sel {
		out[k] = defs[r]
	}
}

// take8 stores the 8-byte values of src's rows sel into out.
//
//go:noinline
func take8(out, src []byte, sel []int32) {
	for _, r := range sel {
		at := 8 * int(r)
		binary.LittleEndian.PutUint64(out, binary.LittleEndian.Uint64(src[at:at+8]))
		out = out[8:]
	}
}

// take4 is take8 for 4-byte values.
//
//go:noinline
func take4(out, src []byte, sel []int32) {
	for _, r := range sel {
		at := 4 * int(r)
		binary.LittleEndian.PutUint32(out, binary.LittleEndian.Uint32(src[at:at+4]))
		out = out[4:]
	}
}

// takeBytes stores the values of src's rows sel, delimited by srcOffs,
// into out, which has room for them and shortPlain bytes more, and their
// end offsets into offs[1:].
//
//go:noinline
func takeBytes(out []byte, offs []uint32, src []byte, srcOffs []uint32, sel []int32) {
	offs = offs[:len(sel)+1]
	at := uint32(0)
	for k, r := range sel {
		s, e := srcOffs[r], srcOffs[r+1]
		n := e - s
		if n <= shortPlain && int(s)+shortPlain <= len(src) {
			*(*[shortPlain]byte)(out[at : at+shortPlain]) = *(*[shortPlain]byte)(src[s:])
		} else {
			copy(out[at:at+n], src[s:e])
		}
		at += n
		offs[k+1] = at
	}
}

// fillLevels sets every level of levels to maxDef.
func fillLevels(levels []byte, maxDef byte) {
	if len(levels) == 0 {
		return
	}
	levels[0] = maxDef
	for n := 1; n < len(levels); n *= 2 {
		copy(levels[n:], levels[:n])
	}
}
