package columnar

import "encoding/binary"

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
	for k, d := range levels {
		if d == col.MaxDef {
			r := lo + k
			vals = append(vals, col.Fixed[r*w:r*w+w]...)
		}
	}
	return defs, vals
}

// AppendFixed is [Batch.AppendFixed] for picked rows.
func (p *Pick) AppendFixed(defs, vals []byte, c, lo, hi int) ([]byte, []byte) {
	if lo == hi {
		return defs, vals
	}
	cols, refs := p.cols[c], p.refs[lo:hi]
	t := cols[0].Type
	w := t.Width
	if t.MaxDef == 0 {
		switch w {
		case 8:
			for _, ref := range refs {
				at := 8 * int(ref.Row)
				vals = append(vals, cols[ref.Batch].Fixed[at:at+8]...)
			}
		case 4:
			for _, ref := range refs {
				at := 4 * int(ref.Row)
				vals = append(vals, cols[ref.Batch].Fixed[at:at+4]...)
			}
		default:
			for _, ref := range refs {
				at := w * int(ref.Row)
				vals = append(vals, cols[ref.Batch].Fixed[at:at+w]...)
			}
		}
		return defs, vals
	}
	for _, ref := range refs {
		col := cols[ref.Batch]
		d := col.Defs[ref.Row]
		defs = append(defs, d)
		if d == t.MaxDef {
			at := w * int(ref.Row)
			vals = append(vals, col.Fixed[at:at+w]...)
		}
	}
	return defs, vals
}

// AppendPlain appends, for rows [lo, hi) of ByteArray column c, their
// definition levels to defs (nothing for a required column) and each
// non-null row's value to vals in Parquet's PLAIN encoding (a 4-byte
// little-endian length, then the bytes), and returns both extended.
func (b *Batch) AppendPlain(defs, vals []byte, c, lo, hi int) ([]byte, []byte) {
	col := &b.Cols[c]
	if col.Defs != nil {
		defs = append(defs, col.Defs[lo:hi]...)
	}
	for r := lo; r < hi; r++ {
		if col.Defs != nil && col.Defs[r] < col.MaxDef {
			continue
		}
		s, e := col.Offsets[r], col.Offsets[r+1]
		vals = binary.LittleEndian.AppendUint32(vals, e-s)
		vals = append(vals, col.Bytes[s:e]...)
	}
	return defs, vals
}

// AppendPlain is [Batch.AppendPlain] for picked rows.
func (p *Pick) AppendPlain(defs, vals []byte, c, lo, hi int) ([]byte, []byte) {
	if lo == hi {
		return defs, vals
	}
	cols, refs := p.cols[c], p.refs[lo:hi]
	maxDef := cols[0].MaxDef
	for _, ref := range refs {
		col := cols[ref.Batch]
		if maxDef > 0 {
			d := col.Defs[ref.Row]
			defs = append(defs, d)
			if d < maxDef {
				continue
			}
		}
		s, e := col.Offsets[ref.Row], col.Offsets[ref.Row+1]
		vals = binary.LittleEndian.AppendUint32(vals, e-s)
		vals = append(vals, col.Bytes[s:e]...)
	}
	return defs, vals
}
